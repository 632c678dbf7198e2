import type { ExtractLimits } from '@minefleet/domain/ports/archive-engine';
import {
  chmod,
  copyFile,
  link,
  lstat,
  mkdir,
  opendir,
  readdir,
  readlink,
  rename,
  rm,
  stat,
  symlink,
} from 'node:fs/promises';
import path from 'node:path';
import type { BackupCompression } from '@minefleet/domain/enums';
import { DEFAULT_BACKUP_EXCLUDES, pathMatcher, type PathMatcher } from './excludes.js';
import { extractIntoEmptyFolder, siblingPath } from './extract-archive.js';

export interface RestoreOptions {
  compression: BackupCompression;
  expectedSha256?: string;
  /**
   * Globs of paths to carry over from the current folder when the archive does not contain them.
   * Defaults to DEFAULT_BACKUP_EXCLUDES: what a backup leaves out (server jar, libraries, logs, caches)
   * is still there after a restore, so the server starts as before and its log history is kept. Pass []
   * for a folder that holds exactly the archive.
   */
  preserve?: readonly string[];
  onProgress?: (progress: { bytesRead: number; files: number }) => void;
  signal?: AbortSignal;
  limits?: ExtractLimits;
}

export interface RestoreSummary {
  sha256: string;
  sizeBytes: number;
  files: number;
  bytesWritten: number;
  /** Top-level paths carried over from the previous folder. */
  preserved: string[];
}

/**
 * Replaces `serverRoot` with the archive's contents, atomically as far as the filesystem allows:
 *
 * 1. extract into a hidden sibling folder, verifying every entry and the checksum;
 * 2. carry over preserved paths from the current folder (hard links, so the current folder is untouched);
 * 3. rename the current folder aside, rename the new one in (two renames in one directory);
 * 4. only then remove the old folder.
 *
 * A failure in 1–3 removes the new folder and leaves the current one where it was, usable; if the
 * process dies between the two renames, `recoverInterruptedRestore` (run at boot, and first thing here)
 * puts the old folder back. The server must be stopped by the caller: files written meanwhile are lost.
 */
export async function restoreInto(
  serverRoot: string,
  archive: AsyncIterable<Uint8Array>,
  options: RestoreOptions,
): Promise<RestoreSummary> {
  const root = path.resolve(serverRoot);
  await recoverInterruptedRestore(root);
  const staging = siblingPath(root, 'restore');
  // The restored folder keeps the current folder's mode (a private folder must not become readable).
  const mode = await stat(root).then(
    (s) => s.mode & 0o777,
    () => 0o700,
  );
  await mkdir(staging, { mode });
  await chmod(staging, mode);
  let old: string | null = null;
  try {
    const summary = await extractIntoEmptyFolder(archive, staging, options);
    const exists = await pathExists(root);
    const preserved = exists
      ? await carryOver(root, staging, pathMatcher(options.preserve ?? DEFAULT_BACKUP_EXCLUDES))
      : [];
    options.signal?.throwIfAborted();
    if (exists) {
      old = siblingPath(root, 'old');
      await rename(root, old);
    }
    try {
      await rename(staging, root);
    } catch (error) {
      if (old !== null) await rename(old, root);
      old = null;
      throw error;
    }
    if (old !== null) await rm(old, { recursive: true, force: true }).catch(() => undefined);
    return { ...summary, preserved };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Finishes what a restore killed midway left behind, for `serverRoot`: a half-extracted folder is
 * removed; an old folder renamed aside is renamed back when the server folder is missing (the process
 * died between the two renames), else removed (it died after the swap). Returns what it did.
 */
export async function recoverInterruptedRestore(serverRoot: string): Promise<string[]> {
  const root = path.resolve(serverRoot);
  const parent = path.dirname(root);
  const prefix = `.${path.basename(root)}.mf-`;
  let names: string[];
  try {
    names = await readdir(parent);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const actions: string[] = [];
  for (const name of names.filter(
    (n) => n.startsWith(`${prefix}restore-`) || n.startsWith(`${prefix}extract-`),
  )) {
    await rm(path.join(parent, name), { recursive: true, force: true });
    actions.push(`removed ${name}`);
  }
  for (const name of names.filter((n) => n.startsWith(`${prefix}old-`))) {
    const leftover = path.join(parent, name);
    if (!(await pathExists(root))) {
      await rename(leftover, root);
      actions.push(`renamed ${name} back`);
    } else {
      await rm(leftover, { recursive: true, force: true });
      actions.push(`removed ${name}`);
    }
  }
  return actions;
}

/** Links the preserved paths of `from` that `to` lacks into `to`; returns the top-level ones carried. */
async function carryOver(from: string, to: string, preserve: PathMatcher): Promise<string[]> {
  const carried: string[] = [];
  const visit = async (relative: string): Promise<void> => {
    for await (const dirent of await opendir(relative === '' ? from : path.join(from, relative))) {
      const child = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
      if (preserve(child)) {
        if (!(await pathExists(path.join(to, child)))) {
          await mkdir(path.dirname(path.join(to, child)), { recursive: true });
          await cloneTree(path.join(from, child), path.join(to, child));
          carried.push(child);
        }
      } else if (dirent.isDirectory()) {
        await visit(child);
      }
    }
  };
  await visit('');
  return carried.sort();
}

/** Copies a tree as hard links (same filesystem: instant, no extra space), falling back to copies. */
async function cloneTree(source: string, destination: string): Promise<void> {
  const stats = await lstat(source);
  if (stats.isDirectory()) {
    await mkdir(destination, { mode: stats.mode & 0o777 });
    for (const name of await readdir(source))
      await cloneTree(path.join(source, name), path.join(destination, name));
  } else if (stats.isSymbolicLink()) {
    await symlink(await readlink(source), destination);
  } else if (stats.isFile()) {
    try {
      await link(source, destination);
    } catch {
      await copyFile(source, destination);
    }
  }
  // Sockets, FIFOs and devices are not carried: a restarted server re-creates its own.
}

async function pathExists(candidate: string): Promise<boolean> {
  try {
    await lstat(candidate);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
