import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { BackupCompression } from '@minefleet/domain/enums';
import { compressStream } from './codec.js';
import { readAhead } from './read-ahead.js';
import { DEFAULT_BACKUP_EXCLUDES, pathMatcher } from './excludes.js';
import { TAR_END, encodeTarHeader, padding } from './tar-header.js';
import { walkFolder, type SkippedEntry } from './walk.js';

export interface CreateArchiveOptions {
  compression: BackupCompression;
  /** Globs relative to the folder; defaults to DEFAULT_BACKUP_EXCLUDES. Pass [] to archive everything. */
  exclude?: readonly string[];
  /** Called as file bytes are read (not archive bytes), e.g. to report percent of a known folder size. */
  onProgress?: (progress: ArchiveProgress) => void;
  signal?: AbortSignal;
}

export interface ArchiveProgress {
  bytesRead: number;
  files: number;
}

export interface ArchiveSummary {
  /** SHA-256 (hex) of the archive bytes as stored, i.e. after compression. */
  sha256: string;
  /** Size of the archive as stored. */
  sizeBytes: number;
  /** Regular files archived. */
  files: number;
  /** Size of the tar stream before compression. */
  uncompressedBytes: number;
  /** Entries left out for their type (sockets, devices) or because a symlink pointed outside. */
  skipped: SkippedEntry[];
}

export interface Archive {
  /** The archive bytes; iterate once. Memory stays bounded: bytes are read as they are consumed. */
  stream: AsyncIterable<Uint8Array>;
  /** Resolves when the stream has been consumed to its end; rejects when archiving fails or stops. */
  summary: Promise<ArchiveSummary>;
}

const READ_CHUNK = 1024 * 1024;
const MAX_SKIPPED_LISTED = 100;

/**
 * Archives a folder as tar, compressed as asked, hashing and counting the output as it flows. Nothing
 * is read before the consumer asks for bytes, so a slow store slows the reading instead of filling memory.
 */
export function createArchive(root: string, options: CreateArchiveOptions): Archive {
  const skipped: SkippedEntry[] = [];
  const progress: ArchiveProgress = { bytesRead: 0, files: 0 };
  let uncompressedBytes = 0;

  const tar = tarStream(root, options, progress, skipped);
  const counted = (async function* () {
    for await (const chunk of tar) {
      uncompressedBytes += chunk.length;
      yield chunk;
    }
  })();

  let resolve!: (summary: ArchiveSummary) => void;
  let reject!: (error: unknown) => void;
  const summary = new Promise<ArchiveSummary>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The caller may only look at the stream's own error; the summary's rejection must not go unhandled.
  summary.catch(() => undefined);

  const stream = (async function* () {
    const hash = createHash('sha256');
    let sizeBytes = 0;
    let settled = false;
    try {
      // Read ahead on both sides of the compressor so file reads, compression and the consumer's
      // writes overlap instead of taking turns.
      for await (const chunk of readAhead(compressStream(options.compression, readAhead(counted, 4)), 4)) {
        hash.update(chunk);
        sizeBytes += chunk.length;
        yield chunk;
      }
      settled = true;
      resolve({
        sha256: hash.digest('hex'),
        sizeBytes,
        files: progress.files,
        uncompressedBytes,
        skipped: skipped.slice(0, MAX_SKIPPED_LISTED),
      });
    } catch (error) {
      settled = true;
      reject(error);
      throw error;
    } finally {
      if (!settled) reject(new Error('The archive stream was closed before its end'));
    }
  })();

  return { stream, summary };
}

async function* tarStream(
  root: string,
  options: CreateArchiveOptions,
  progress: ArchiveProgress,
  skipped: SkippedEntry[],
): AsyncGenerator<Buffer> {
  const exclude = pathMatcher(options.exclude ?? DEFAULT_BACKUP_EXCLUDES);
  for await (const entry of walkFolder(root, exclude, (s) => skipped.push(s))) {
    options.signal?.throwIfAborted();
    if (entry.type === 'directory') {
      yield encodeTarHeader({
        name: entry.relative,
        type: 'directory',
        size: 0,
        mode: entry.mode,
        mtime: entry.mtime,
      });
    } else if (entry.type === 'symlink') {
      yield encodeTarHeader({
        name: entry.relative,
        type: 'symlink',
        size: 0,
        mode: entry.mode,
        mtime: entry.mtime,
        linkname: entry.target,
      });
    } else {
      yield* fileEntry(entry.absolute, entry.relative, options, progress, skipped);
    }
  }
  yield TAR_END;
}

async function* fileEntry(
  absolute: string,
  relative: string,
  options: CreateArchiveOptions,
  progress: ArchiveProgress,
  skipped: SkippedEntry[],
): AsyncGenerator<Buffer> {
  let handle;
  try {
    // O_NOFOLLOW: a file swapped for a symlink since the listing (a server process racing the backup)
    // must not pull the link's target, maybe a host file, into the tenant's archive. O_NONBLOCK: one
    // swapped for a FIFO must not block the backup forever (no effect on regular files).
    handle = await open(absolute, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return; // removed since the listing
    if (code === 'ELOOP') {
      skipped.push({ path: relative, reason: 'symlink-outside' });
      return;
    }
    throw error;
  }
  try {
    // The size recorded is the size at open time. A file that grows meanwhile is cut there and one that
    // shrinks is padded with zeros: the tar stays well-formed. Hot backups flush and pause saving first,
    // so this only protects the archive's structure, never replaces that consistency step.
    const stats = await handle.stat();
    if (!stats.isFile()) {
      skipped.push({ path: relative, reason: 'excluded-type' }); // replaced since the listing
      return;
    }
    const size = stats.size;
    yield encodeTarHeader({
      name: relative,
      type: 'file',
      size,
      mode: stats.mode & 0o7777,
      mtime: Math.floor(stats.mtimeMs / 1000),
    });
    let position = 0;
    while (position < size) {
      options.signal?.throwIfAborted();
      const want = Math.min(READ_CHUNK, size - position);
      const buffer = Buffer.allocUnsafe(want);
      const { bytesRead } = await handle.read(buffer, 0, want, position);
      if (bytesRead === 0) {
        buffer.fill(0);
        yield buffer;
        position += want;
        continue;
      }
      position += bytesRead;
      progress.bytesRead += bytesRead;
      options.onProgress?.({ ...progress });
      yield bytesRead === want ? buffer : buffer.subarray(0, bytesRead);
    }
    const pad = padding(size);
    if (pad > 0) yield Buffer.alloc(pad);
    progress.files += 1;
    options.onProgress?.({ ...progress });
  } finally {
    await handle.close();
  }
}
