import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { BufferPool } from './buffer-pool.js';
import { encodeTarHeader, padding } from './tar-header.js';
import type { SkippedEntry } from './walk.js';

/**
 * Reading the files of an archive. Each file operation is a round trip to libuv's thread pool, and on
 * worlds of many small files those round trips, not the bytes, are what costs: a small file is read whole
 * (header, body and padding in one buffer, one chunk downstream) while the next ones are opened, and a
 * large file keeps a few reads in flight instead of one.
 */

/** Files up to this size are read in one go into one buffer, several at once. */
export const SMALL_FILE = 512 * 1024;
/** How many reads of one larger file run at once (each the size of the pool's buffers). */
const READS_IN_FLIGHT = 3;

export type OpenedFile =
  /** Read whole: header, body and padding. `bytesRead` may be short of the size if the file shrank. */
  | { kind: 'small'; chunk: Promise<{ chunk: Buffer; bytesRead: number }> }
  /** Header only; the body is streamed by `largeBody`, which closes the handle. */
  | { kind: 'large'; header: Buffer; handle: FileHandle; size: number }
  | { kind: 'skipped'; reason: SkippedEntry['reason'] }
  | { kind: 'gone' };

/**
 * Opens a file for the archive and, when it is small, starts reading it. Resolves once the file is
 * opened and its size known, so the caller can open the next one while this one is read.
 */
export async function openFile(absolute: string, relative: string): Promise<OpenedFile> {
  let handle;
  try {
    // O_NOFOLLOW: a file swapped for a symlink since the listing (a server process racing the backup)
    // must not pull the link's target, maybe a host file, into the tenant's archive. O_NONBLOCK: one
    // swapped for a FIFO must not block the backup forever (no effect on regular files).
    handle = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { kind: 'gone' }; // removed since the listing
    if (code === 'ELOOP') return { kind: 'skipped', reason: 'symlink-outside' };
    throw error;
  }
  let handed = false;
  try {
    // The size recorded is the size at open time. A file that grows meanwhile is cut there and one that
    // shrinks is padded with zeros: the tar stays well-formed. Hot backups flush and pause saving first,
    // so this only protects the archive's structure, never replaces that consistency step.
    const stats = await handle.stat();
    if (!stats.isFile()) return { kind: 'skipped', reason: 'excluded-type' }; // replaced since the listing
    const size = stats.size;
    const header = encodeTarHeader({
      name: relative,
      type: 'file',
      size,
      mode: stats.mode & 0o7777,
      mtime: Math.floor(stats.mtimeMs / 1000),
    });
    handed = true;
    if (size > SMALL_FILE) return { kind: 'large', header, handle, size };
    const chunk = readSmall(handle, header, size);
    chunk.catch(() => undefined); // delivered when the archive reaches this file
    return { kind: 'small', chunk };
  } finally {
    if (!handed) await handle.close();
  }
}

async function readSmall(
  handle: FileHandle,
  header: Buffer,
  size: number,
): Promise<{ chunk: Buffer; bytesRead: number }> {
  try {
    const chunk = Buffer.allocUnsafe(header.length + size + padding(size));
    header.copy(chunk, 0);
    const bytesRead = await readFully(handle, chunk, header.length, size, 0);
    chunk.fill(0, header.length + bytesRead);
    return { chunk, bytesRead };
  } finally {
    await handle.close();
  }
}

/**
 * The header, body and padding of a large file, a few reads ahead, read into the pool's buffers; closes
 * the handle.
 */
export async function* largeBody(
  file: { header: Buffer; handle: FileHandle; size: number },
  pool: BufferPool,
  onRead: (bytes: number) => void,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  const { handle, size } = file;
  const reads: Promise<{ chunk: Buffer; bytesRead: number }>[] = [];
  let next = 0;
  try {
    yield file.header;
    for (;;) {
      while (reads.length < READS_IN_FLIGHT && next < size) {
        const want = Math.min(pool.size, size - next);
        const memory = pool.take();
        const chunk = want === memory.length ? memory : memory.subarray(0, want);
        const read = readFully(handle, chunk, 0, want, next).then((bytesRead) => {
          // Past the end of a file that shrank: zeros, so the entry keeps its recorded size.
          chunk.fill(0, bytesRead);
          return { chunk, bytesRead };
        });
        read.catch(() => undefined);
        reads.push(read);
        next += want;
      }
      const read = reads.shift();
      if (read === undefined) break;
      signal?.throwIfAborted();
      const { chunk, bytesRead } = await read;
      onRead(bytesRead);
      yield chunk;
    }
    const pad = padding(size);
    if (pad > 0) yield Buffer.alloc(pad);
  } finally {
    await Promise.allSettled(reads);
    await handle.close();
  }
}

/** Reads until `length` bytes or the end of the file; returns the bytes read. */
async function readFully(
  handle: FileHandle,
  buffer: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/**
 * Joins small chunks (headers, small files, padding) into chunks of up to the pool's buffer size, so
 * that hashing, compressing and writing run per megabyte rather than per file; large chunks pass through
 * uncopied. A chunk copied here is handed back to the pool at once (it was the pool's if it was the end
 * of a large file's reads).
 */
export async function* coalesce(source: AsyncIterable<Buffer>, pool: BufferPool): AsyncGenerator<Buffer> {
  const size = pool.size;
  let pending = pool.take();
  let filled = 0;
  for await (const chunk of source) {
    if (chunk.length >= size / 2) {
      if (filled > 0) {
        yield pending.subarray(0, filled);
        pending = pool.take();
        filled = 0;
      }
      yield chunk;
      continue;
    }
    if (filled + chunk.length > size) {
      yield pending.subarray(0, filled);
      pending = pool.take();
      filled = 0;
    }
    chunk.copy(pending, filled);
    filled += chunk.length;
    pool.release(chunk);
  }
  if (filled > 0) yield pending.subarray(0, filled);
  else pool.release(pending);
}
