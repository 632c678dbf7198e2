import { randomBytes, createHash } from 'node:crypto';
import { lstat, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-stream';
import type { BackupCompression } from '@minefleet/domain/enums';
import type { ExtractLimits } from '@minefleet/domain/ports/archive-engine';
import { DomainError, isDomainError } from '@minefleet/domain/errors';
import { decompressStream } from './codec.js';
import { readAhead } from './read-ahead.js';
import { SafeWriter } from './safe-writer.js';

export interface ExtractArchiveOptions {
  compression: BackupCompression;
  /** SHA-256 (hex) the archive bytes must have; a mismatch is BACKUP_CORRUPT and nothing is kept. */
  expectedSha256?: string;
  /** Called as archive bytes are read. */
  onProgress?: (progress: { bytesRead: number; files: number }) => void;
  signal?: AbortSignal;
  /** Bounds on what the archive may unpack to (a decompression bomb stops at them). */
  limits?: ExtractLimits;
}

export interface ExtractSummary {
  /** SHA-256 (hex) of the archive bytes read. */
  sha256: string;
  sizeBytes: number;
  files: number;
  bytesWritten: number;
}

/**
 * Extracts an archive into `target`, which must not exist. Entries are written into a temporary sibling
 * folder that becomes `target` by one rename only once every entry is written and the checksum matches;
 * on any failure the temporary folder is removed and `target` never appears.
 */
export async function extractArchive(
  source: AsyncIterable<Uint8Array>,
  target: string,
  options: ExtractArchiveOptions,
): Promise<ExtractSummary> {
  await assertMissing(target);
  const staging = siblingPath(target, 'extract');
  await mkdir(staging, { mode: 0o755 });
  try {
    const summary = await extractIntoEmptyFolder(source, staging, options);
    await rename(staging, target);
    return summary;
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** `.<name>.mf-<purpose>-<random>` beside `target`: same filesystem (renames are atomic), hidden. */
export function siblingPath(target: string, purpose: string): string {
  const resolved = path.resolve(target);
  return path.join(
    path.dirname(resolved),
    `.${path.basename(resolved)}.mf-${purpose}-${randomBytes(6).toString('hex')}`,
  );
}

/**
 * Extracts into an existing empty folder. Errors keep their kind: a damaged or hostile archive is
 * BACKUP_CORRUPT; a failing source (network, store) or a failing disk (ENOSPC, EROFS) is rethrown as is,
 * since retrying or freeing space may fix those and the archive is not to blame.
 */
export async function extractIntoEmptyFolder(
  source: AsyncIterable<Uint8Array>,
  folder: string,
  options: ExtractArchiveOptions,
): Promise<ExtractSummary> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const failure: { source?: unknown; writer?: unknown; body?: unknown } = {};
  const writer = new SafeWriter(folder);

  const hashed = (async function* () {
    // Only errors of the source's own next() are the source's: an error thrown into this generator at
    // its yield (a decompressor failing downstream) is the archive's.
    const iterator = source[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        let step: IteratorResult<Uint8Array>;
        try {
          step = await iterator.next();
        } catch (error) {
          finished = true;
          failure.source = error;
          throw error;
        }
        if (step.done === true) {
          finished = true;
          return;
        }
        hash.update(step.value);
        sizeBytes += step.value.length;
        options.onProgress?.({ bytesRead: sizeBytes, files: writer.files });
        yield step.value;
      }
    } finally {
      if (!finished) await iterator.return?.();
    }
  })();

  const extract = tar.extract();
  // Read ahead around the decompressor: the store's reads, decoding and our writes overlap.
  const feeding = feed(readAhead(decompressStream(options.compression, readAhead(hashed, 4)), 2), extract);
  feeding.catch(() => undefined);

  let entries = 0;
  let declared = 0;
  try {
    for await (const entry of extract) {
      options.signal?.throwIfAborted();
      entries++;
      declared += entry.header.size ?? 0;
      const { limits } = options;
      if (limits && (entries > limits.maxEntries || declared > limits.maxBytes)) {
        throw new DomainError(
          'BACKUP_CORRUPT',
          entries > limits.maxEntries
            ? `The archive holds more than ${limits.maxEntries} entries; nothing was restored.`
            : `The archive unpacks to more than ${limits.maxBytes} bytes; nothing was restored.`,
          { reason: 'too-large', max_bytes: limits.maxBytes, max_entries: limits.maxEntries },
        );
      }
      // Errors raised while reading an entry's body come from the archive (or its source), not from
      // the disk: tag them so they are not mistaken for a write failure below.
      const body = (async function* () {
        try {
          for await (const chunk of entry) yield chunk as Buffer;
        } catch (error) {
          failure.body = error;
          throw error;
        }
      })();
      try {
        await writer.write(entry.header, body);
      } catch (error) {
        if (error !== failure.body) failure.writer = error;
        throw error;
      }
    }
    await feeding;
    try {
      await writer.finish();
    } catch (error) {
      failure.writer = error;
      throw error;
    }
  } catch (error) {
    extract.destroy(new Error('Extraction stopped'));
    await feeding.catch(() => undefined);
    // Files still being finished must be closed before the caller removes the folder.
    await writer.settle().catch(() => undefined);
    if (failure.source !== undefined) throw failure.source as Error;
    if (failure.writer !== undefined) throw failure.writer as Error;
    if (isDomainError(error) || options.signal?.aborted) throw error;
    throw new DomainError('BACKUP_CORRUPT', `The archive cannot be read: ${(error as Error).message}`, {
      reason: 'unreadable',
    });
  }

  const sha256 = hash.digest('hex');
  if (options.expectedSha256 !== undefined && sha256 !== options.expectedSha256.toLowerCase()) {
    throw new DomainError('BACKUP_CORRUPT', 'The archive does not match its recorded checksum', {
      reason: 'checksum-mismatch',
      expected: options.expectedSha256,
      actual: sha256,
    });
  }
  return { sha256, sizeBytes, files: writer.files, bytesWritten: writer.bytesWritten };
}

/** Pushes bytes into tar-stream's writable side with backpressure; ends it, or destroys it on error. */
async function feed(bytes: AsyncIterable<Uint8Array>, extract: tar.Extract): Promise<void> {
  try {
    for await (const chunk of bytes) {
      if (extract.destroyed) return;
      if (!extract.write(chunk)) await writable(extract);
    }
    extract.end(undefined);
  } catch (error) {
    extract.destroy(error as Error);
    throw error;
  }
}

function writable(stream: tar.Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
    stream.on('error', done);
  });
}

async function assertMissing(target: string): Promise<void> {
  try {
    await lstat(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  throw Object.assign(new Error(`Refusing to extract into ${target}: it exists`), { code: 'EEXIST' });
}
