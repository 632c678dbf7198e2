import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lchown, lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';
import type { LaunchPlan } from './distribution-runtime.js';
import type { ServerFolder } from './server-folder.js';

/**
 * How a game process is contained on this host, strongest first:
 * - `sandbox-user`: a bubblewrap filesystem sandbox *and* the server's own unprivileged user (the
 *   control plane runs as root): the process sees the machine read-only, its own folder writable, and
 *   nothing of the control plane's data folder (database, secrets, other servers, backups).
 * - `sandbox`: the filesystem sandbox only (the control plane is not root, so the process keeps its
 *   user): the data folder is hidden, but the process could still read what that user may read
 *   elsewhere, e.g. the control plane's /proc entries.
 * - `none`: no containment: the process runs as the control plane's user with its access.
 */
export type IsolationLevel = 'sandbox-user' | 'sandbox' | 'none';

export type IsolationMode = 'auto' | 'require' | 'off';

export interface Isolation {
  level: IsolationLevel;
  /** Why this level (what the host lacks for a stronger one). */
  reason: string;
  bwrap?: string | undefined;
  setpriv?: string | undefined;
}

export interface SandboxOptions {
  /** The control plane's data folder: hidden from every game process. */
  dataDir: string;
  /** Other folders to hide (a backup folder outside the data folder, ...). */
  hidden?: string[];
  /** Folders the game needs read-only although they sit under a hidden or masked folder. */
  readOnly?: string[];
  /** First uid/gid handed to servers (`sandbox-user`); each server gets the next free one. */
  uidBase?: number;
}

function which(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(':')) {
    const candidate = path.join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/**
 * What this host allows: bubblewrap that really runs, and root to give each server its own user.
 * `searchPath` is the PATH the tools are looked for in.
 */
export function detectIsolation(mode: IsolationMode, searchPath: string): Isolation {
  if (mode === 'off') return { level: 'none', reason: 'isolation is turned off (MINEFLEET_ISOLATION=off)' };
  const bwrap = which('bwrap', searchPath);
  let level: IsolationLevel = 'none';
  let reason: string;
  if (!bwrap) {
    reason = 'bubblewrap (bwrap) is not installed: apt-get install bubblewrap';
  } else {
    const probe = spawnSync(
      bwrap,
      ['--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--unshare-ipc', '--', 'true'],
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (probe.status !== 0) {
      reason = `bubblewrap cannot create a sandbox here (user namespaces disabled?): ${(probe.stderr || probe.error?.message || '').trim()}`;
    } else if (process.getuid?.() === 0) {
      const setpriv = which('setpriv', searchPath);
      if (setpriv)
        return { level: 'sandbox-user', reason: 'bubblewrap, and a user per server', bwrap, setpriv };
      level = 'sandbox';
      reason = 'setpriv (util-linux) is missing, so game processes keep the root user';
      return { level, reason, bwrap };
    } else {
      return {
        level: 'sandbox',
        reason: 'the control plane is not root, so game processes share its user',
        bwrap,
      };
    }
  }
  if (mode === 'require') {
    throw new DomainError('RUNTIME_UNAVAILABLE', `Game processes cannot be isolated: ${reason}.`);
  }
  return { level, reason };
}

const UID_FILE = 'uid';

/** Wraps launch plans in the sandbox the host allows and gives each server its own user. */
export class Sandbox {
  private allocation: Promise<unknown> = Promise.resolve();

  constructor(
    readonly isolation: Isolation,
    private readonly options: SandboxOptions,
  ) {}

  /**
   * Hands the server's folder to its user right before the spawn (after the control plane wrote its
   * files there), so the process can write its own folder and nothing else.
   */
  async handOver(folder: ServerFolder): Promise<void> {
    if (this.isolation.level !== 'sandbox-user') return;
    await chownTree(folder.root, await this.uidOf(folder));
  }

  /** The plan to spawn instead of `plan`: bubblewrap around it (and the server's user) when available. */
  async wrap(plan: LaunchPlan, folder: ServerFolder): Promise<LaunchPlan> {
    const { isolation } = this;
    if (isolation.level === 'none' || !isolation.bwrap) return plan;
    const uid = isolation.level === 'sandbox-user' ? await this.uidOf(folder) : undefined;
    const dataDir = path.resolve(this.options.dataDir);
    const args = [
      '--ro-bind',
      '/',
      '/',
      '--dev',
      '/dev',
      '--proc',
      '/proc',
      '--tmpfs',
      '/tmp',
      '--unshare-ipc',
      '--unshare-uts',
      '--info-fd',
      '3',
    ];
    // Code the process runs that a /tmp mask would hide (a checkout or node binary under /tmp). The
    // folders down to it are made traversable: bubblewrap would make them 0700, root's, and the server's
    // user could not reach its own launcher.
    for (const dir of this.options.readOnly ?? []) {
      if (!isInside(dir, '/tmp') || isInside(dir, dataDir)) continue;
      for (const parent of parentsUnder('/tmp', dir)) args.push('--perms', '0711', '--dir', parent);
      args.push('--ro-bind', dir, dir);
    }
    // The data folder (and any other hidden folder) becomes an empty, root-owned tmpfs; the path down to
    // the server's folder is made traversable; the server's folder is bound writable.
    for (const hidden of [dataDir, ...(this.options.hidden ?? []).map((h) => path.resolve(h))]) {
      if (isInside(hidden, '/tmp')) {
        // Under the fresh /tmp the path must be made; elsewhere it exists on the read-only root.
        for (const parent of parentsUnder('/tmp', hidden)) args.push('--perms', '0711', '--dir', parent);
      } else if (!existsSync(hidden)) continue;
      args.push('--perms', '0711', '--tmpfs', hidden);
    }
    for (const parent of parentsUnder(dataDir, folder.root)) args.push('--perms', '0711', '--dir', parent);
    args.push('--bind', folder.root, folder.root);
    args.push('--chdir', folder.root, '--');
    if (uid !== undefined && isolation.setpriv) {
      args.push(
        isolation.setpriv,
        `--reuid=${uid}`,
        `--regid=${uid}`,
        '--clear-groups',
        '--no-new-privs',
        '--inh-caps=-all',
        '--bounding-set=-all',
        '--',
      );
    }
    args.push(plan.command, ...plan.args);
    return { command: isolation.bwrap, args, env: plan.env, infoFd: true };
  }

  /** The server's user id: kept in its state folder, else the next one after every other server's. */
  private async uidOf(folder: ServerFolder): Promise<number> {
    const file = path.join(folder.stateDir, UID_FILE);
    const run = this.allocation.then(async () => {
      const known = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(known) && known > 0) return known;
      const serversDir = path.dirname(folder.root);
      let highest = (this.options.uidBase ?? 200_000) - 1;
      for (const id of await readdir(serversDir).catch(() => [] as string[])) {
        const other = Number(
          (await readFile(path.join(serversDir, id, '.minefleet', UID_FILE), 'utf8').catch(() => '')).trim(),
        );
        if (Number.isInteger(other) && other > highest) highest = other;
      }
      const uid = highest + 1;
      await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
      await writeFile(file, `${uid}\n`, { mode: 0o644 });
      return uid;
    });
    this.allocation = run.catch(() => undefined);
    return run;
  }
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** The folders strictly between `from` and `to` (exclusive of both), outermost first. */
function parentsUnder(from: string, to: string): string[] {
  const parents: string[] = [];
  let current = path.dirname(to);
  while (current !== from && isInside(current, from) && current !== path.dirname(current)) {
    parents.unshift(current);
    current = path.dirname(current);
  }
  return parents;
}

/** Gives a folder tree to a user (symbolic links themselves, never what they point at). */
async function chownTree(root: string, uid: number): Promise<void> {
  const stat = await lstat(root);
  if (stat.uid !== uid || stat.gid !== uid) await lchown(root, uid, uid);
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    const info = await lstat(full).catch(() => undefined);
    if (info && (info.uid !== uid || info.gid !== uid)) await lchown(full, uid, uid).catch(() => {});
  }
}
