import { readFile } from 'node:fs/promises';
import type { ExitInfo } from '@minefleet/domain/ports/runtime-driver';
import { commandLine, isAlive, processGroupOf } from './proc.js';
import type { ServerFolder } from './server-folder.js';

/** What a launcher writes into its server's state folder when it starts (`process.json`). */
export interface ProcessFile {
  pid: number;
  generation: number;
  serverId: string;
  startedAt: string;
}

export async function readProcessFile(folder: ServerFolder): Promise<ProcessFile | null> {
  try {
    const file = JSON.parse(await readFile(folder.processFile, 'utf8')) as ProcessFile;
    return Number.isInteger(file.pid) && file.pid > 0 ? file : null;
  } catch {
    return null;
  }
}

export async function readExitFile(folder: ServerFolder): Promise<ExitInfo | null> {
  try {
    const raw = JSON.parse(await readFile(folder.exitFile, 'utf8')) as {
      code: number | null;
      signal: string | null;
      at: string;
      generation: number;
    };
    return { code: raw.code, signal: raw.signal, at: new Date(raw.at), generation: raw.generation };
  } catch {
    return null;
  }
}

/** Whether a pid runs this server's launch file (guards against a reused pid). */
export async function isOurLauncher(folder: ServerFolder, pid: number): Promise<boolean> {
  const argv = await commandLine(pid);
  return argv !== null && argv.includes(folder.launchFile);
}

/** The folder's process file, when its pid is alive and still runs this server's launcher. */
export async function aliveOnDisk(folder: ServerFolder): Promise<ProcessFile | null> {
  const file = await readProcessFile(folder);
  if (!file || !isAlive(file.pid)) return null;
  return (await isOurLauncher(folder, file.pid)) ? file : null;
}

/**
 * The process group to signal for a launcher pid read from its folder: the group the kernel reports (in
 * a sandbox the bubblewrap wrapper leads it), never one that holds this control plane or init — a game
 * process writes that folder and must not steer a signal at anything else.
 */
export function safeGroupOf(pid: number): number {
  const group = processGroupOf(pid);
  const own = processGroupOf(process.pid);
  return group !== undefined && group > 1 && group !== own ? group : pid;
}
