import type { BackupCompression } from '@minefleet/domain/enums';
import { BufferPool } from './buffer-pool.js';
import { compressStream } from './codec.js';
import { HashWorker } from './hash-worker.js';
import { readAhead } from './read-ahead.js';
import { DEFAULT_BACKUP_EXCLUDES, pathMatcher } from './excludes.js';
import { coalesce, largeBody, openFile } from './file-entries.js';
import { TAR_END, encodeTarHeader } from './tar-header.js';
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
  /**
   * The consumer is done with this chunk of `stream` (written, or copied away): its memory may be read
   * into again. At most once per chunk, and only once nothing reads it any more; optional.
   */
  release(chunk: Uint8Array): void;
}

/** Small files being read while the next ones are opened. */
const SMALL_FILES_AHEAD = 8;
/** Size of the reads of larger files, and of the chunks headers and small files are joined into. */
const CHUNK = 1024 * 1024;
/**
 * Buffers kept for reuse: what is in flight at once (reads ahead, the stages' queues, the store's
 * writes) with room to spare; past it a buffer handed back is left to the collector.
 */
const POOLED_BUFFERS = 24;
const MAX_SKIPPED_LISTED = 100;

/**
 * Archives a folder as tar, compressed as asked, hashing and counting the output as it flows. Nothing
 * is read before the consumer asks for bytes, so a slow store slows the reading instead of filling memory.
 */
export function createArchive(root: string, options: CreateArchiveOptions): Archive {
  const skipped: SkippedEntry[] = [];
  const progress: ArchiveProgress = { bytesRead: 0, files: 0 };
  let uncompressedBytes = 0;

  // Once buffers come back (the consumer or the compressor hands them back), new ones are shared
  // memory, which the hashing thread reads without a copy.
  const pool = new BufferPool(CHUNK, POOLED_BUFFERS);
  const release = (chunk: Uint8Array): void => {
    if (pool.owns(chunk)) pool.shared = true;
    pool.release(chunk);
  };
  const tar = coalesce(tarStream(root, options, pool, progress, skipped), pool);
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
    const hash = new HashWorker();
    let sizeBytes = 0;
    let settled = false;
    let hashed = false;
    try {
      // Read ahead on both sides of the compressor so file reads, compression and the consumer's
      // writes overlap instead of taking turns.
      // The compressor hands back each tar chunk once it has copied it (zstd; zlib keeps no count).
      const compressed = compressStream(options.compression, readAhead(counted, 4), release);
      for await (const chunk of readAhead(compressed, 4)) {
        // A buffer that will come back is read by the hashing thread itself and free once both are
        // done; any other chunk is copied for it (one that never came back would be kept alive there).
        if (chunk.buffer instanceof SharedArrayBuffer && pool.hold(chunk))
          await hash.updateShared(chunk, () => pool.release(chunk));
        else await hash.update(chunk);
        sizeBytes += chunk.length;
        yield chunk;
      }
      const sha256 = await hash.digest();
      hashed = true;
      settled = true;
      resolve({
        sha256,
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
      if (!hashed) await hash.close();
      if (!settled) reject(new Error('The archive stream was closed before its end'));
    }
  })();

  return { stream, summary, release };
}

async function* tarStream(
  root: string,
  options: CreateArchiveOptions,
  pool: BufferPool,
  progress: ArchiveProgress,
  skipped: SkippedEntry[],
): AsyncGenerator<Buffer> {
  const exclude = pathMatcher(options.exclude ?? DEFAULT_BACKUP_EXCLUDES);
  const fileDone = (): void => {
    progress.files += 1;
    options.onProgress?.({ ...progress });
  };
  const onRead = (bytes: number): void => {
    progress.bytesRead += bytes;
    options.onProgress?.({ ...progress });
  };
  // Small files opened and being read, in archive order. Files are opened one after the other (a large
  // one is read to its end before the next is opened, so nothing is opened long before it is archived);
  // only the reading of small ones overlaps.
  const pending: Promise<{ chunk: Buffer; bytesRead: number }>[] = [];
  async function* takeSmall(keep: number): AsyncGenerator<Buffer> {
    while (pending.length > keep) {
      const { chunk, bytesRead } = await pending.shift()!;
      onRead(bytesRead);
      yield chunk;
      fileDone();
    }
  }
  try {
    for await (const entry of walkFolder(root, exclude, (s) => skipped.push(s))) {
      options.signal?.throwIfAborted();
      if (entry.type !== 'file') {
        yield* takeSmall(0);
        yield encodeTarHeader(
          entry.type === 'directory'
            ? { name: entry.relative, type: 'directory', size: 0, mode: entry.mode, mtime: entry.mtime }
            : {
                name: entry.relative,
                type: 'symlink',
                size: 0,
                mode: entry.mode,
                mtime: entry.mtime,
                linkname: entry.target,
              },
        );
        continue;
      }
      const opened = await openFile(entry.absolute, entry.relative);
      if (opened.kind === 'small') {
        pending.push(opened.chunk);
        yield* takeSmall(SMALL_FILES_AHEAD);
      } else if (opened.kind === 'large') {
        let reading = false;
        try {
          yield* takeSmall(0);
          reading = true;
          yield* largeBody(opened, pool, onRead, options.signal);
        } finally {
          if (!reading) await opened.handle.close();
        }
        fileDone();
      } else if (opened.kind === 'skipped') {
        skipped.push({ path: entry.relative, reason: opened.reason });
      }
    }
    yield* takeSmall(0);
    yield TAR_END;
  } finally {
    await Promise.allSettled(pending);
  }
}
