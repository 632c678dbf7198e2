import type { BackupCompression } from '../enums.js';

/**
 * The archive engine as the backup service needs it: turn a server folder into a stream of archive
 * bytes, and an archive stream back into a server folder. The adapter is @minefleet/backups (tar +
 * none/gzip/zstd, streaming, SHA-256 on the fly, atomic folder swap); the service never imports it, so
 * it can be tested against any engine and the composition root picks the implementation.
 */
export interface ArchiveEngine {
  /**
   * Archives `root`, leaving out the engine's default excludes plus `exclude` (globs relative to the
   * folder). Nothing is read before the stream is consumed; `summary` settles once it has been.
   */
  archive(root: string, options: ArchiveOptions): ArchiveStream;

  /**
   * Replaces `root` with the archive's contents, atomically: extracted beside it and verified (every
   * entry, and the SHA-256 of the bytes when `expectedSha256` is given) before the folders are swapped.
   * A damaged archive or a checksum mismatch throws DomainError BACKUP_CORRUPT and leaves `root` as it
   * was. Paths of the current folder matching the engine's default excludes or `preserve` and absent
   * from the archive are carried over (server jar, logs, the runtime's own files).
   */
  restore(root: string, source: AsyncIterable<Uint8Array>, options: RestoreOptions): Promise<RestoreResult>;

  /** Finishes or undoes a restore a killed process left half-done in `root`'s parent folder. */
  recoverInterruptedRestore(root: string): Promise<string[]>;

  /** Bytes of the regular files a backup of `root` would read (for progress as a fraction). */
  measure(root: string, exclude: readonly string[]): Promise<number>;

  /** The file extension of an archive (`.tar`, `.tar.gz`, `.tar.zst`), for store keys and downloads. */
  extension(compression: BackupCompression): string;
}

/** An archive being made: its bytes, and what they came to once consumed. */
export interface ArchiveStream {
  /** The archive bytes; iterate once. */
  stream: AsyncIterable<Uint8Array>;
  /** Settles once the stream has been consumed to its end (or failed). */
  summary: Promise<ArchiveResult>;
  /**
   * Optional: the consumer no longer needs this chunk of `stream` (written to disk, copied away), so the
   * engine may fill its memory again. Call it only then, at most once per chunk; never calling it is
   * always correct (the memory is collected instead).
   */
  release?(chunk: Uint8Array): void;
}

export interface ArchiveOptions {
  compression: BackupCompression;
  exclude: readonly string[];
  /** Called as file bytes are read. */
  onProgress?: (progress: { bytesRead: number; files: number }) => void;
  signal?: AbortSignal;
}

export interface ArchiveResult {
  /** SHA-256 (hex) of the archive bytes as stored. */
  sha256: string;
  sizeBytes: number;
  files: number;
  uncompressedBytes: number;
}

export interface RestoreOptions {
  compression: BackupCompression;
  expectedSha256?: string | undefined;
  preserve: readonly string[];
  onProgress?: (progress: { bytesRead: number; files: number }) => void;
  signal?: AbortSignal;
  /** Bounds on what the archive may unpack to; past one, BACKUP_CORRUPT (`too-large`) and nothing kept. */
  limits?: ExtractLimits | undefined;
}

export interface ExtractLimits {
  /** Bytes of file contents the archive may declare in total. */
  maxBytes: number;
  /** Entries (files, folders, links) the archive may hold. */
  maxEntries: number;
}

export interface RestoreResult {
  sha256: string;
  sizeBytes: number;
  files: number;
}
