import { lstat, opendir, readlink } from 'node:fs/promises';
import path from 'node:path';
import { checkSymlinkTarget } from './entry-safety.js';
import type { PathMatcher } from './excludes.js';

/** One thing to archive, in archive order (a directory before what it holds, names sorted). */
export type WalkEntry =
  | { type: 'directory'; relative: string; mode: number; mtime: number }
  /** Mode, time and size are read from the open file, when it is archived. */
  | { type: 'file'; relative: string; absolute: string }
  | { type: 'symlink'; relative: string; target: string; mode: number; mtime: number };

export interface SkippedEntry {
  path: string;
  reason: 'excluded-type' | 'symlink-outside';
}

/**
 * Walks a folder depth-first without following symlinks. Sockets, FIFOs and devices are skipped (a
 * server's control socket is not state); a symlink is kept only when its target is relative and stays
 * inside the folder, so an archive never carries a way out of the server's folder.
 */
export async function* walkFolder(
  root: string,
  exclude: PathMatcher,
  onSkipped: (entry: SkippedEntry) => void,
): AsyncGenerator<WalkEntry> {
  yield* walkDir(root, '', exclude, onSkipped);
}

async function* walkDir(
  root: string,
  relativeDir: string,
  exclude: PathMatcher,
  onSkipped: (entry: SkippedEntry) => void,
): AsyncGenerator<WalkEntry> {
  const absoluteDir = relativeDir === '' ? root : path.join(root, relativeDir);
  const entries: { name: string; isFile: boolean }[] = [];
  // Listed whole then sorted, so archives of the same folder are byte-identical. The listing's types
  // spare regular files an lstat: the archiver opens and fstat()s them anyway, and per-file system
  // calls are what costs on worlds of many small files.
  for await (const dirent of await opendir(absoluteDir))
    entries.push({ name: dirent.name, isFile: dirent.isFile() });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  for (const { name, isFile } of entries) {
    const relative = relativeDir === '' ? name : `${relativeDir}/${name}`;
    if (exclude(relative)) continue;
    const absolute = path.join(absoluteDir, name);
    if (isFile) {
      yield { type: 'file', relative, absolute };
      continue;
    }
    let stats;
    try {
      stats = await lstat(absolute);
    } catch (error) {
      // Deleted between listing and stat (a server writing while we read): nothing to archive.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const mtime = Math.floor(stats.mtimeMs / 1000);
    const mode = stats.mode & 0o7777;
    if (stats.isDirectory()) {
      yield { type: 'directory', relative, mode, mtime };
      yield* walkDir(root, relative, exclude, onSkipped);
    } else if (stats.isFile()) {
      yield { type: 'file', relative, absolute };
    } else if (stats.isSymbolicLink()) {
      const target = await readlink(absolute);
      if (symlinkStaysInside(relative, target)) yield { type: 'symlink', relative, target, mode, mtime };
      else onSkipped({ path: relative, reason: 'symlink-outside' });
    } else {
      onSkipped({ path: relative, reason: 'excluded-type' });
    }
  }
}

/** The same rule extraction applies, so that every archive we write can be restored. */
function symlinkStaysInside(linkRelative: string, target: string): boolean {
  try {
    checkSymlinkTarget(linkRelative, target);
    return true;
  } catch {
    return false;
  }
}
