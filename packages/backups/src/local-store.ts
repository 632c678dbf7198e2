import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, open, opendir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import { DomainError } from '@minefleet/domain/errors';
import { isInside } from './entry-safety.js';
import { WriteQueue } from './write-queue.js';
import { assertValidKey, assertValidPrefix } from './store-keys.js';

/** Temporary files live here, inside the store's folder: same filesystem, so the final rename is atomic. */
const INCOMING = '.incoming';

/**
 * Archives as files under one folder, a key's `/` being a sub-folder. A `put` writes a temporary file,
 * fsyncs it, renames it under its key and fsyncs the folder, so after a crash a key holds either the
 * whole archive or nothing.
 */
export class LocalBackupStore implements BackupStore {
  readonly kind = 'local';
  private readonly root: string;

  constructor(root: string) {
    this.root = path.resolve(root);
  }

  async put(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: { signal?: AbortSignal; onWritten?: (chunk: Uint8Array) => void } = {},
  ): Promise<{ sizeBytes: number }> {
    const final = this.pathOf(key);
    const incoming = path.join(this.root, INCOMING);
    await mkdir(incoming, { recursive: true });
    const temporary = path.join(incoming, `${randomBytes(8).toString('hex')}.part`);
    const handle = await open(temporary, 'wx', 0o600);
    let sizeBytes = 0;
    try {
      const queue = new WriteQueue(handle, { onWritten: options.onWritten });
      try {
        try {
          for await (const chunk of body) {
            options.signal?.throwIfAborted();
            await queue.write(chunk);
            sizeBytes += chunk.length;
          }
        } finally {
          await queue.flush().catch(() => undefined); // nothing may still write when the handle closes
        }
        await queue.flush();
        options.signal?.throwIfAborted();
        await handle.sync();
      } finally {
        await handle.close();
      }
      await mkdir(path.dirname(final), { recursive: true });
      await rename(temporary, final);
      await syncDirectory(path.dirname(final));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { sizeBytes };
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array>> {
    const file = this.pathOf(key);
    // Open first so a missing key fails here, not later in the caller's loop.
    const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR' || error.code === 'EISDIR') {
        throw new DomainError('BACKUP_NOT_FOUND', `No archive under ${key}`, { key });
      }
      throw error;
    });
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw new DomainError('BACKUP_NOT_FOUND', `No archive under ${key}`, { key });
    }
    return handle.createReadStream({ highWaterMark: 1024 * 1024, autoClose: true });
  }

  async stat(key: string): Promise<{ sizeBytes: number; modifiedAt: Date } | null> {
    try {
      const stats = await stat(this.pathOf(key));
      return stats.isFile() ? { sizeBytes: stats.size, modifiedAt: stats.mtime } : null;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      await unlink(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw error;
    }
    // Remove folders the key emptied, so a deleted server leaves no empty tree behind.
    for (
      let dir = path.dirname(file);
      dir !== this.root && isInside(this.root, dir);
      dir = path.dirname(dir)
    ) {
      try {
        await rmdir(dir);
      } catch {
        break;
      }
    }
  }

  async *list(prefix: string): AsyncIterable<{ key: string; sizeBytes: number }> {
    assertValidPrefix(prefix);
    // Start from the deepest folder the prefix names, then filter by the full prefix.
    const slash = prefix.lastIndexOf('/');
    const start = slash === -1 ? '' : prefix.slice(0, slash);
    const found: { key: string; sizeBytes: number }[] = [];
    await this.collect(start, prefix, found);
    // Byte order of keys, as S3 lists them.
    found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    yield* found;
  }

  async check(): Promise<void> {
    await mkdir(this.root, { recursive: true });
    await access(this.root, constants.R_OK | constants.W_OK);
    // access() ignores read-only mounts for root; a real write tells the truth.
    const incoming = path.join(this.root, INCOMING);
    await mkdir(incoming, { recursive: true });
    const probe = path.join(incoming, `${randomBytes(8).toString('hex')}.check`);
    await (await open(probe, 'wx')).close();
    await unlink(probe);
  }

  private pathOf(key: string): string {
    assertValidKey(key);
    const resolved = path.resolve(this.root, ...key.split('/'));
    // Redundant with the key rules; kept so a future change to them cannot open a way out.
    if (!isInside(this.root, resolved) || resolved === this.root) {
      throw new DomainError('VALIDATION_FAILED', 'Invalid backup key: outside the store', { key });
    }
    return resolved;
  }

  private async collect(
    relative: string,
    prefix: string,
    found: { key: string; sizeBytes: number }[],
  ): Promise<void> {
    let dir;
    try {
      dir = await opendir(relative === '' ? this.root : path.join(this.root, ...relative.split('/')));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw error;
    }
    for await (const dirent of dir) {
      if (dirent.name.startsWith('.')) continue; // .incoming and anything else hidden is not a key
      const key = relative === '' ? dirent.name : `${relative}/${dirent.name}`;
      if (dirent.isDirectory()) {
        if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) await this.collect(key, prefix, found);
      } else if (dirent.isFile() && key.startsWith(prefix)) {
        const stats = await stat(path.join(this.root, ...key.split('/'))).catch(() => null);
        if (stats !== null) found.push({ key, sizeBytes: stats.size });
      }
    }
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
