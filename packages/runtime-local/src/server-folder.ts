import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';

/**
 * Where things live in a server's folder (`<dataDir>/servers/<serverId>`). Everything Minefleet itself
 * keeps about the running process is under `.minefleet/`, so a backup can leave it out in one entry.
 */
export const STATE_DIR = '.minefleet';

export interface ServerFolder {
  root: string;
  pluginsDir: string;
  stateDir: string;
  /** Unix socket served by the game process: console commands in, console lines out. */
  socket: string;
  /** Written by the game process once its socket listens: pid, generation, server id, start time. */
  processFile: string;
  /** Written when the process ends (by itself, or by the driver that saw it end). */
  exitFile: string;
  /** The spec last deployed or configured, so a later control plane can ping and restart the server. */
  specFile: string;
  /** What the launcher or supervisor reads when it starts. */
  launchFile: string;
  /** Raw stdout/stderr of the process (normally empty: output goes through the console host). */
  stdioFile: string;
  logsDir: string;
  /** The server jar of a Java distribution (a copy of the cached download). */
  jarFile: string;
  /** The flying-squid equivalent of server.properties. */
  flyingSquidSettings: string;
  serverProperties: string;
}

// Server ids are UUIDs in practice; anything that could climb out of the servers folder is refused.
const SERVER_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export function serverFolder(dataDir: string, serverId: string): ServerFolder {
  if (!SERVER_ID.test(serverId))
    throw new DomainError('INVALID_ID', `Invalid server id: ${JSON.stringify(serverId)}`);
  const root = path.join(path.resolve(dataDir), 'servers', serverId);
  const stateDir = path.join(root, STATE_DIR);
  return {
    root,
    pluginsDir: path.join(root, 'plugins'),
    stateDir,
    socket: path.join(stateDir, 'console.sock'),
    processFile: path.join(stateDir, 'process.json'),
    exitFile: path.join(stateDir, 'exit.json'),
    specFile: path.join(stateDir, 'spec.json'),
    launchFile: path.join(stateDir, 'launch.json'),
    stdioFile: path.join(stateDir, 'stdio.log'),
    logsDir: path.join(stateDir, 'logs'),
    jarFile: path.join(stateDir, 'server.jar'),
    flyingSquidSettings: path.join(root, 'flying-squid.json'),
    serverProperties: path.join(root, 'server.properties'),
  };
}

/**
 * Paths (relative to the root) a backup leaves out: Minefleet's process state, logs (console and the
 * game's own), and what is downloaded again on deploy (jars, Paper's caches and libraries).
 */
export const BACKUP_EXCLUDES = [
  STATE_DIR,
  'logs',
  'cache',
  'libraries',
  'versions',
  '.fabric',
  'crash-reports',
];
