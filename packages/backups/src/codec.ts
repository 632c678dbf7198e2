import { Readable, pipeline } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import type { BackupCompression } from '@minefleet/domain/enums';
import { zstdCompress, zstdDecompress } from './zstd-codec.js';

/**
 * Compression of archive streams, as async iterables of bytes in and out. `none` passes bytes through.
 * gzip uses Node's zlib (on the thread pool) at level 6, gzip(1)'s default, so archives and the
 * command-line tools compare like for like. `release`, if given, is called with each input chunk the
 * compressor has copied and no longer reads (zstd does; zlib's stream does not say when).
 */
export function compressStream(
  compression: BackupCompression,
  source: AsyncIterable<Uint8Array>,
  release?: (chunk: Uint8Array) => void,
): AsyncIterable<Uint8Array> {
  switch (compression) {
    case 'none':
      return source;
    case 'gzip':
      return throughZlib(source, createGzip({ level: 6, chunkSize: 256 * 1024 }));
    case 'zstd':
      return zstdCompress(source, release ? { release } : {});
  }
}

export function decompressStream(
  compression: BackupCompression,
  source: AsyncIterable<Uint8Array>,
): AsyncIterable<Uint8Array> {
  switch (compression) {
    case 'none':
      return source;
    case 'gzip':
      // A truncated stream is an error (zlib's default finish flush), not a silently short archive.
      return throughZlib(source, createGunzip({ chunkSize: 256 * 1024 }));
    case 'zstd':
      return zstdDecompress(source);
  }
}

/** File name suffix for an archive of this compression. */
export function archiveExtension(compression: BackupCompression): string {
  return compression === 'none' ? '.tar' : compression === 'gzip' ? '.tar.gz' : '.tar.zst';
}

function throughZlib(
  source: AsyncIterable<Uint8Array>,
  transform: NodeJS.ReadWriteStream,
): AsyncIterable<Uint8Array> {
  // pipeline() destroys both sides on error or early exit, so the source's cleanup runs either way.
  return pipeline(
    Readable.from(source, { objectMode: false }),
    transform,
    () => undefined,
  ) as unknown as AsyncIterable<Uint8Array>;
}
