import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { DomainError } from '@minefleet/domain/errors';
import type { LaunchPlan } from './distribution-runtime.js';
import type { ServerFolder } from './server-folder.js';

/** A game process just spawned: the child, the group leader's pid, and the launcher's own pid. */
export interface SpawnedGame {
  child: ChildProcess;
  /** The pid spawned: it leads the process group (in a sandbox, the bubblewrap wrapper). */
  groupPid: number;
  /** The launcher's pid (the one in its process file and console hello). */
  pid: number;
}

/**
 * Spawns the launch plan detached in the server's folder (its own session and process group), raw
 * stdio to a file: a pipe would tie the process's life to ours. Unreferenced, so it outlives us.
 */
export async function spawnGame(plan: LaunchPlan, folder: ServerFolder): Promise<SpawnedGame> {
  const stdio = openSync(folder.stdioFile, 'w', 0o600);
  let child;
  try {
    child = spawn(plan.command, plan.args, {
      cwd: folder.root,
      env: plan.env,
      detached: true,
      // A sandbox reports the launcher's pid on fd 3 (the wrapper's own pid leads the group).
      stdio: plan.infoFd ? ['ignore', stdio, stdio, 'pipe'] : ['ignore', stdio, stdio],
    });
  } finally {
    closeSync(stdio);
  }
  const groupPid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid!));
    child.once('error', (error) => reject(error));
  }).catch((error: Error) => {
    throw new DomainError('RUNTIME_UNAVAILABLE', `Cannot launch ${plan.command}: ${error.message}`);
  });
  const pid = plan.infoFd ? await sandboxedPid(child, groupPid) : groupPid;
  child.unref();
  return { child, groupPid, pid };
}

/**
 * The pid of the process bubblewrap started (its `--info-fd` JSON, `child-pid`): the launcher, which
 * names itself by that pid in its console hello and process file. Falls back to the wrapper's pid.
 */
async function sandboxedPid(child: ChildProcess, fallback: number): Promise<number> {
  const info = child.stdio[3] as Readable | null | undefined;
  if (!info) return fallback;
  let text = '';
  const pid = await new Promise<number>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), 10_000);
    const done = (value: number) => {
      clearTimeout(timer);
      resolve(value);
    };
    info.setEncoding('utf8');
    info.on('data', (chunk: string) => {
      text += chunk;
      // Only a complete object: closing the pipe while bubblewrap still writes would kill it (SIGPIPE).
      const match = /"child-pid"\s*:\s*(\d+)[^}]*\}/.exec(text);
      if (match) done(Number(match[1]));
    });
    info.once('end', () => done(fallback));
    info.once('error', () => done(fallback));
  });
  // Keep reading whatever else comes until bubblewrap closes it, without holding this process open.
  info.resume();
  (info as Readable & { unref?: () => void }).unref?.();
  return pid;
}
