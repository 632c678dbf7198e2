import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface FoundProcess {
  pid: number;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
}

const SANDBOX_WRAPPERS = new Set(['bwrap', 'setpriv']);

/**
 * Processes on this machine whose command line mentions `dataDir`, the control plane itself
 * (`main.js`) left out; `wrappers: false` also leaves out the sandbox's wrappers (bubblewrap,
 * setpriv), which name the server's folder too although the game is the process they run.
 */
async function processesMentioning(dataDir: string, wrappers: boolean): Promise<FoundProcess[]> {
  const found: FoundProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      const cmdline = argv.join(' ');
      if (!wrappers && SANDBOX_WRAPPERS.has(path.basename(argv[0] ?? ''))) continue;
      if (cmdline.includes(dataDir) && !cmdline.includes('main.js'))
        found.push({ pid: Number(entry), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/**
 * Game-server processes on this machine whose command line mentions `dataDir` (a test's or bench's
 * data folder), the control plane itself (`main.js`) left out: what must be adopted, or cleaned up.
 * One game per server, however it is contained (sandbox wrappers are not counted).
 */
export function gameProcesses(dataDir: string): Promise<FoundProcess[]> {
  return processesMentioning(dataDir, false);
}

/** The process group of a pid (field 5 of /proc/<pid>/stat), undefined once it ended. */
async function processGroupOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  const fields = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
  const group = Number(fields?.[2]);
  return Number.isInteger(group) && group > 1 ? group : undefined;
}

function signal(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // It ended meanwhile.
  }
}

/**
 * Ends every process left running for a test's or bench's data folder: game launchers, the sandbox
 * wrappers around them, and their process groups. Game processes are detached so that they survive a
 * control plane's crash, so killing a control plane leaves them running; kill the control planes
 * first, or one may start a game again. Resolves once none is left; throws after `timeoutMs`.
 */
export async function endGameProcesses(dataDir: string, timeoutMs = 10_000): Promise<void> {
  const own = await processGroupOf(process.pid);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = await processesMentioning(dataDir, true);
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`processes of ${dataDir} survived SIGKILL:\n${left.map((p) => p.cmdline).join('\n')}`);
    }
    for (const { pid } of left) {
      const group = await processGroupOf(pid);
      if (group !== undefined && group !== own) signal(-group);
      signal(pid);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
