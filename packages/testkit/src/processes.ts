import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';

export interface FoundProcess {
  pid: number;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
}

const SANDBOX_WRAPPERS = new Set(['bwrap', 'setpriv']);

/**
 * Game-server processes on this machine whose command line mentions `dataDir` (a test's or bench's
 * data folder), the control plane itself (`main.js`) left out: what must be adopted, or cleaned up.
 */
export async function gameProcesses(dataDir: string): Promise<FoundProcess[]> {
  const found: FoundProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0');
      const cmdline = argv.join(' ');
      // The sandbox's wrappers (bubblewrap, setpriv) name the server's folder too, but the game is the
      // process they run: one game per server, however it is contained.
      if (SANDBOX_WRAPPERS.has(path.basename(argv[0] ?? ''))) continue;
      if (cmdline.includes(dataDir) && !cmdline.includes('main.js'))
        found.push({ pid: Number(entry), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
