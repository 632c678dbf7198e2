import { execFile } from 'node:child_process';

/** Java a Minecraft version needs: 1.20.5+ → 21, 1.18–1.20.4 → 17, 1.17 → 16, older → 8. */
export function requiredJavaMajor(minecraftVersion: string): number {
  const [major = 0, minor = 0, patch = 0] = minecraftVersion
    .split(/[.-]/)
    .map((part) => Number.parseInt(part, 10) || 0);
  if (major > 1 || minor >= 21 || (minor === 20 && patch >= 5)) return 21;
  if (minor >= 18) return 17;
  if (minor === 17) return 16;
  return 8;
}

export interface JavaInstallation {
  path: string;
  major: number;
  version: string;
}

/** The major version from `java -version` output: `"17.0.15"` → 17, `"1.8.0_392"` → 8. */
export function parseJavaVersion(output: string): { major: number; version: string } | null {
  const match = /version "([^"]+)"/.exec(output);
  if (!match) return null;
  const version = match[1]!;
  const parts = version.split(/[._+-]/).map((part) => Number.parseInt(part, 10));
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return major !== undefined && Number.isFinite(major) ? { major, version } : null;
}

/** Runs `<java> -version` (argv, no shell); null when it is missing or does not answer like a JVM. */
export function detectJava(javaPath: string, timeoutMs = 15_000): Promise<JavaInstallation | null> {
  return new Promise((resolve) => {
    execFile(javaPath, ['-version'], { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        resolve(null);
        return;
      }
      const parsed = parseJavaVersion(`${stderr}\n${stdout}`);
      resolve(parsed ? { path: javaPath, ...parsed } : null);
    });
  });
}

/**
 * JVM flags for a plan's memory: the heap gets the memory minus headroom for the JVM's own use
 * (metaspace, thread stacks, direct buffers, GC structures), so the process stays within the plan.
 * -Xms equals -Xmx so the heap is reserved at start rather than grown under load.
 */
export function jvmMemoryFlags(memoryMb: number): string[] {
  const headroom = Math.max(256, Math.round(memoryMb * 0.15));
  const heap = Math.max(256, memoryMb - headroom);
  return [
    `-Xms${heap}M`,
    `-Xmx${heap}M`,
    '-XX:+UseG1GC',
    '-XX:+ParallelRefProcEnabled',
    '-XX:MaxGCPauseMillis=200',
  ];
}
