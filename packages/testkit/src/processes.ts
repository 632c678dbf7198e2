import { readFile, readdir } from 'node:fs/promises';

export interface FoundProcess {
  pid: number;
  /** The command line, arguments joined by spaces. */
  cmdline: string;
}

/**
 * Game-server processes on this machine whose command line mentions `dataDir` (a test's or bench's
 * data folder), the control plane itself (`main.js`) left out: what must be adopted, or cleaned up.
 */
export async function gameProcesses(dataDir: string): Promise<FoundProcess[]> {
  const found: FoundProcess[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ');
      if (cmdline.includes(dataDir) && !cmdline.includes('main.js'))
        found.push({ pid: Number(entry), cmdline });
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
