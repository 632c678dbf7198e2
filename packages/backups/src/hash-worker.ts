import { Worker } from 'node:worker_threads';

/**
 * SHA-256 of a byte stream computed on a worker thread. Hashing costs ~0.7 ms per MiB of CPU and an
 * archive's bytes otherwise all pass through the event loop's thread, which also reads, compresses and
 * writes them: on a worker the hash runs beside that instead of between it.
 *
 * Bytes go through one fixed ring of shared memory: each chunk is copied in (a memcpy into memory that
 * stays mapped, an order of magnitude cheaper than hashing it) and the worker is told where. Passing
 * the chunks themselves would keep them alive until the worker's own garbage collection, which a
 * thread that allocates nothing seldom runs: memory then grew with the archive. The exception is
 * memory that is shared already and comes back to be filled again (the archive's read buffers, once
 * the store hands them back): `updateShared` passes it without a copy, and says when the worker is
 * done with it, so the same few buffers go round and nothing grows.
 *
 * The worker's code is plain CommonJS passed as a string, so it needs no build step of its own and runs
 * the same from the compiled package and from the TypeScript sources under test.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const ring = new Uint8Array(workerData.ring);
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message === null) {
    parentPort.postMessage({ digest: hash.digest('hex') });
    parentPort.close();
    return;
  }
  hash.update(
    message.shared === undefined
      ? ring.subarray(message.offset, message.offset + message.length)
      : new Uint8Array(message.shared, message.offset, message.length),
  );
  parentPort.postMessage({ done: message.length });
});
`;

/** Size of the ring: bytes copied for the worker and not hashed yet, before `update` waits. */
const RING_BYTES = 16 * 1024 * 1024;
/** Largest piece per message, so the ring holds several and copying and hashing overlap. */
const PIECE_BYTES = 1024 * 1024;

export class HashWorker {
  private readonly worker: Worker;
  private readonly ring = new Uint8Array(new SharedArrayBuffer(RING_BYTES));
  private head = 0;
  /** Bytes sent and not hashed yet (in the ring or shared), at most RING_BYTES. */
  private outstanding = 0;
  /** For each message sent and not answered yet, in order: what to call once it is hashed, if anything. */
  private readonly sent: ((() => void) | undefined)[] = [];
  private failure: Error | undefined;
  private waiting: (() => void) | undefined;
  private finished: ((digest: string) => void) | undefined;
  private failed: ((error: Error) => void) | undefined;

  constructor() {
    // Kept referenced: awaiting the digest must keep the process alive. The archive stream ends the
    // worker in every case (digest, failure or early close).
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ring: this.ring.buffer } });
    this.worker.on('message', (message: { done?: number; digest?: string }) => {
      if (message.digest !== undefined) {
        this.finished?.(message.digest);
        return;
      }
      this.outstanding -= message.done ?? 0;
      this.sent.shift()?.();
      this.wake();
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => {
      if (this.finished !== undefined || this.failure !== undefined) return;
      this.fail(new Error(`The hashing thread exited (${code})`));
    });
  }

  /** Hashes `chunk` next; resolves once it is copied for the worker (the caller may then reuse it). */
  async update(chunk: Uint8Array): Promise<void> {
    this.throwIfFailed();
    let offset = 0;
    while (offset < chunk.length) {
      // A piece never wraps around the ring's end.
      const length = Math.min(PIECE_BYTES, chunk.length - offset, RING_BYTES - this.head);
      while (this.outstanding + length > RING_BYTES) {
        await new Promise<void>((resolve) => (this.waiting = resolve));
        this.throwIfFailed(); // woken by a failure rather than by progress
      }
      this.ring.set(chunk.subarray(offset, offset + length), this.head);
      this.worker.postMessage({ offset: this.head, length });
      this.sent.push(undefined);
      this.outstanding += length;
      this.head = (this.head + length) % RING_BYTES;
      offset += length;
    }
  }

  /**
   * Hashes `chunk`, a view of a SharedArrayBuffer, next, without copying it: the worker reads the memory
   * itself. `hashed` is called once it has (until then the bytes must not change); never if the worker
   * fails or is closed first. Resolves once the chunk is sent; waits, like `update`, while RING_BYTES
   * are sent and not hashed.
   */
  async updateShared(chunk: Uint8Array, hashed: () => void): Promise<void> {
    if (!(chunk.buffer instanceof SharedArrayBuffer)) throw new TypeError('not shared memory');
    this.throwIfFailed();
    while (this.outstanding > 0 && this.outstanding + chunk.length > RING_BYTES) {
      await new Promise<void>((resolve) => (this.waiting = resolve));
      this.throwIfFailed();
    }
    this.worker.postMessage({ shared: chunk.buffer, offset: chunk.byteOffset, length: chunk.length });
    this.sent.push(hashed);
    this.outstanding += chunk.length;
  }

  /** The hex digest of everything passed to `update`; the worker ends. */
  digest(): Promise<string> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<string>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
      this.worker.postMessage(null);
    });
  }

  /** Stops the worker early (the stream failed or was closed). */
  async close(): Promise<void> {
    this.failure ??= new Error('The hashing thread was stopped');
    this.wake();
    await this.worker.terminate();
  }

  private throwIfFailed(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.wake();
    this.failed?.(this.failure);
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }
}
