/**
 * Where backup archives live. Adapters: a local folder (default) and S3-compatible object storage.
 * Both pass the shared conformance suite. Bodies are streamed: nothing is held whole in memory.
 */
export interface BackupStore {
  /** `local` or `s3`, for logs and health. */
  readonly kind: string;

  /**
   * Stores the body under `key`. The object becomes visible only when the whole body is written; on
   * failure (or abort) nothing is left under `key`. Resolves with the stored size. A store that is done
   * with a chunk's bytes before the end (written, or copied into its own buffer) may say so through
   * `onWritten`, at most once per chunk, so the producer can reuse that memory; calling it never is fine.
   */
  put(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options?: { signal?: AbortSignal; onWritten?: (chunk: Uint8Array) => void },
  ): Promise<{ sizeBytes: number }>;

  /** Streams the object. Throws DomainError BACKUP_NOT_FOUND when it does not exist. */
  get(key: string): Promise<AsyncIterable<Uint8Array>>;

  /** Size and time of the object, or null. */
  stat(key: string): Promise<{ sizeBytes: number; modifiedAt: Date } | null>;

  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;

  /** Every object whose key starts with `prefix`. */
  list(prefix: string): AsyncIterable<{ key: string; sizeBytes: number }>;

  /** Checks that the store can be reached (for /health). */
  check(): Promise<void>;
}
