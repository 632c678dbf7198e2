import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The built `minefleet` executable (`npx tsc -b` first): tests run it as a user would. */
export const CLI_MAIN = fileURLToPath(new URL('../../../apps/cli/dist/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a `minefleet` run: its own config folder and the settings given in `extra`
 * (`MINEFLEET_URL`, `MINEFLEET_TOKEN`…). The CLI's settings and colours come only from the test, never
 * from the machine running it.
 */
export function cliEnv(configDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, MINEFLEET_CONFIG_DIR: configDir, ...extra };
  for (const name of ['MINEFLEET_URL', 'MINEFLEET_TOKEN', 'NO_COLOR', 'FORCE_COLOR', 'XDG_CONFIG_HOME'])
    if (!(name in extra)) delete env[name];
  return env;
}

/** Fails with the fix when the CLI has not been built. */
export function assertCliBuilt(): void {
  if (!existsSync(CLI_MAIN)) throw new Error(`${CLI_MAIN} is missing: build first with "npx tsc -b"`);
}

/** Starts `minefleet <args>` with the given environment; the caller reads and ends its streams. */
export function startCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  options: { cwd?: string } = {},
): ChildProcess {
  return spawn(process.execPath, [CLI_MAIN, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
}

/** Runs `minefleet <args>` to its end with `input` on stdin; what it printed and its exit code. */
export function runCli(
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; cwd?: string },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = startCli(args, options.env, options.cwd !== undefined ? { cwd: options.cwd } : {});
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`minefleet ${args.join(' ')} timed out\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin!.end(options.input ?? '');
  });
}
