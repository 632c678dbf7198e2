import type { FileHandle } from 'node:fs/promises';

/**
 * Writes chunks to a file at increasing positions with a few writes in flight. Awaiting each write
 * before the next leaves the disk idle while the next chunk is produced, and the producer idle while
 * the kernel copies; positional writes may safely overlap, so up to `depth` run at once.
 */
export class WriteQueue {
  private position = 0;
  private readonly inFlight: Promise<void>[] = [];
  private failure: { error: unknown } | undefined;

  private readonly depth: number;
  /** Called with each chunk once its write is done (never for a write that failed). */
  private readonly onWritten: ((chunk: Uint8Array) => void) | undefined;

  constructor(
    private readonly handle: FileHandle,
    options: { depth?: number; onWritten?: ((chunk: Uint8Array) => void) | undefined } = {},
  ) {
    this.depth = options.depth ?? 4;
    this.onWritten = options.onWritten;
  }

  /** Queues `chunk`; resolves when there is room for another. The chunk must not be modified after. */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure.error;
    const at = this.position;
    this.position += chunk.length;
    const pending = writeFully(this.handle, chunk, at).then(() => this.onWritten?.(chunk));
    pending.catch((error: unknown) => {
      this.failure ??= { error };
    });
    this.inFlight.push(pending);
    if (this.inFlight.length >= this.depth) await this.inFlight.shift();
  }

  /** Waits for every queued write; rejects with the first failure. */
  async flush(): Promise<number> {
    const results = await Promise.allSettled(this.inFlight.splice(0));
    if (this.failure !== undefined) throw this.failure.error;
    const rejected = results.find((r) => r.status === 'rejected');
    if (rejected !== undefined) throw rejected.reason;
    return this.position;
  }
}

async function writeFully(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset, position + offset);
    offset += bytesWritten;
  }
}
