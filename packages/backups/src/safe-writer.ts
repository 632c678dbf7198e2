import { link, lstat, mkdir, open, realpath, rm, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Header } from 'tar-stream';
import { WriteQueue } from './write-queue.js';
import { checkSymlinkTarget, isInside, safeEntryPath, unsafeEntry } from './entry-safety.js';

/**
 * Writes tar entries into a fresh, empty folder, refusing anything that could reach outside it.
 *
 * Symlinks are created last (as GNU tar does with --delay-directory-restore for links): while files
 * and directories are written no symlink exists in the folder, so no write can be redirected through
 * one. Once every link exists, each is resolved for real and must land inside the folder. Hard links
 * may only point at a regular file already extracted. Devices, FIFOs and unknown types are refused.
 * Modes keep the permission bits only (no setuid/setgid/sticky); ownership is the restoring user's.
 */
/** Files whose last writes, time and close may still run while later entries are written. */
const MAX_CLOSING = 16;

export class SafeWriter {
  files = 0;
  bytesWritten = 0;
  private readonly symlinks: { relative: string; target: string }[] = [];
  private readonly knownDirs = new Set<string>(['']);
  private readonly pendingCloses = new Set<Promise<void>>();
  private closeFailure: { error: unknown } | undefined;

  constructor(private readonly root: string) {}

  async write(header: Header, body: AsyncIterable<unknown>): Promise<void> {
    while (this.pendingCloses.size >= MAX_CLOSING) await Promise.race(this.pendingCloses);
    this.throwIfClosingFailed();
    const relative = safeEntryPath(header.name);
    // tar-stream reports unknown type flags as null, which its types do not admit.
    switch (header.type as Header['type'] | null) {
      case 'directory':
        await drain(body);
        if (relative === '') return;
        await this.directory(relative, header.mode ?? 0o755);
        return;
      case 'file':
      case 'contiguous-file':
        if (relative === '') throw unsafeEntry(header.name, 'type-conflict');
        await this.file(relative, header, body);
        return;
      case 'link':
        await drain(body);
        await this.hardLink(relative, header.linkname ?? '');
        return;
      case 'symlink':
        await drain(body);
        if (relative === '') throw unsafeEntry(header.name, 'type-conflict');
        checkSymlinkTarget(relative, header.linkname ?? '');
        this.symlinks.push({ relative, target: header.linkname ?? '' });
        return;
      default:
        // character-device, block-device, fifo and types tar-stream does not know (null).
        throw unsafeEntry(header.name, 'unsupported-type');
    }
  }

  /** Finishes every file, creates the deferred symlinks and checks where each really leads. */
  async finish(): Promise<void> {
    await this.settle();
    const realRoot = await realpath(this.root);
    for (const { relative, target } of this.symlinks) {
      await this.assertNoSymlinkOnPath(relative);
      await this.ensureParent(relative);
      await conflictAsCorrupt(relative, () => symlink(target, this.abs(relative)));
    }
    for (const { relative, target } of this.symlinks) {
      const landing = await resolveLink(this.abs(relative), target);
      if (landing === null || !isInside(realRoot, landing) || landing === realRoot) {
        await rm(this.abs(relative), { force: true });
        throw unsafeEntry(relative, landing === null ? 'link-target-missing' : 'link-outside');
      }
    }
  }

  private abs(relative: string): string {
    return path.join(this.root, ...relative.split('/'));
  }

  private async directory(relative: string, mode: number): Promise<void> {
    await conflictAsCorrupt(relative, () =>
      mkdir(this.abs(relative), { recursive: true, mode: (mode & 0o777) | 0o700 }),
    );
    this.knownDirs.add(relative);
  }

  private async ensureParent(relative: string): Promise<void> {
    const parent = path.posix.dirname(relative);
    if (parent === '.' || this.knownDirs.has(parent)) return;
    await conflictAsCorrupt(relative, () => mkdir(this.abs(parent), { recursive: true, mode: 0o755 }));
    this.knownDirs.add(parent);
  }

  /** A later entry of the same name replaces an earlier file (tar semantics), never a directory. */
  private async replaceable(relative: string): Promise<void> {
    try {
      const existing = await lstat(this.abs(relative));
      if (existing.isDirectory()) throw unsafeEntry(relative, 'type-conflict');
      await unlink(this.abs(relative));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }

  private async file(relative: string, header: Header, body: AsyncIterable<unknown>): Promise<void> {
    this.throwIfClosingFailed();
    await this.ensureParent(relative);
    const mode = ((header.mode ?? 0o644) & 0o777) | 0o600;
    // 'wx' never opens an existing file; only a name seen twice pays for the replace check.
    const handle = await open(this.abs(relative), 'wx', mode).catch(async (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
      await this.replaceable(relative);
      return conflictAsCorrupt(relative, () => open(this.abs(relative), 'wx', mode));
    });
    const queue = new WriteQueue(handle);
    let written = false;
    try {
      try {
        for await (const piece of body) {
          const chunk = piece as Buffer;
          await queue.write(chunk);
          this.bytesWritten += chunk.length;
        }
      } finally {
        // Even when the body fails, no write may still be running when the handle closes.
        await queue.flush().catch(() => undefined);
      }
      written = true;
    } finally {
      if (!written) await handle.close();
    }
    // The body is consumed: finishing the file (last writes, time, close) overlaps the next entries.
    // With many small files these round trips to the thread pool are most of a restore's time.
    this.closing(
      (async () => {
        try {
          await queue.flush();
          if (header.mtime) await handle.utimes(header.mtime, header.mtime);
        } finally {
          await handle.close();
        }
      })(),
    );
    this.files += 1;
  }

  /** Tracks a file being finished; at most MAX_CLOSING at once, the first failure is kept. */
  private closing(task: Promise<void>): void {
    const tracked = task.then(
      () => {
        this.pendingCloses.delete(tracked);
      },
      (error: unknown) => {
        this.pendingCloses.delete(tracked);
        this.closeFailure ??= { error };
      },
    );
    this.pendingCloses.add(tracked);
  }

  private throwIfClosingFailed(): void {
    if (this.closeFailure !== undefined) throw this.closeFailure.error;
  }

  /** Waits for every file being finished; call before reading what was written. */
  async settle(): Promise<void> {
    await Promise.all(this.pendingCloses);
    this.throwIfClosingFailed();
  }

  private async hardLink(relative: string, linkname: string): Promise<void> {
    if (relative === '') throw unsafeEntry(relative, 'type-conflict');
    const target = safeEntryPath(linkname);
    let targetStats;
    try {
      targetStats = await lstat(this.abs(target));
    } catch {
      throw unsafeEntry(relative, 'link-target-missing');
    }
    if (!targetStats.isFile()) throw unsafeEntry(relative, 'link-outside');
    await this.ensureParent(relative);
    await this.replaceable(relative);
    await conflictAsCorrupt(relative, () => link(this.abs(target), this.abs(relative)));
    this.files += 1;
  }

  private async assertNoSymlinkOnPath(relative: string): Promise<void> {
    const segments = relative.split('/');
    for (let i = 1; i < segments.length; i++) {
      try {
        if ((await lstat(this.abs(segments.slice(0, i).join('/')))).isSymbolicLink()) {
          throw unsafeEntry(relative, 'path-through-symlink');
        }
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
    }
  }
}

async function drain(body: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of body) {
    // A header-only entry may still carry bytes (a directory with a size): skip them.
  }
}

/** EEXIST/ENOTDIR/EISDIR while writing mean two entries disagree on a path's type: a broken archive. */
async function conflictAsCorrupt<T>(relative: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR')
      throw unsafeEntry(relative, 'type-conflict');
    throw error;
  }
}

/**
 * Where a symlink really leads: the kernel's answer (realpath) when its target exists. For a dangling
 * link, the real path of the target's deepest existing ancestor plus the missing names; a dangling
 * target with `..` in it is undecidable (it depends on what is created later) and yields null.
 */
async function resolveLink(linkPath: string, target: string): Promise<string | null> {
  try {
    return await realpath(linkPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return null;
  }
  const segments = target.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) return null;
  const base = await realpath(path.dirname(linkPath));
  // Without `..`, joining is exact, and realpath of an existing prefix follows any link on it.
  for (let i = segments.length - 1; i >= 0; i--) {
    try {
      const real = await realpath(path.join(base, ...segments.slice(0, i)));
      return path.join(real, ...segments.slice(i));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return null;
    }
  }
  return null;
}
