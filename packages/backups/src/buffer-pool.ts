/**
 * Read buffers of one archive, handed back by whoever last needs their bytes and filled again.
 *
 * Every fresh buffer of a megabyte is memory the kernel has to fault in, page by page, and the
 * collector has to find later: for a backup without compression that was a sixth of its time. A buffer
 * comes back only through `release`, from the one place that knows its bytes are no longer needed (the
 * store once the write is done, the compressor once it has copied them); a buffer nobody hands back is
 * collected as before. The pool keeps at most `keep` free buffers, so memory stays bounded.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];
  /** Memory this pool allocated and that is out (not in `free`): only those can come back. */
  private readonly out = new WeakSet<ArrayBuffer>();
  private reused = 0;

  constructor(
    readonly size: number,
    private readonly keep = 16,
  ) {}

  /** A buffer of `size` bytes (its content is whatever it held before). */
  take(): Buffer {
    const memory = this.free.pop();
    if (memory !== undefined) {
      this.reused++;
      this.out.add(memory);
      return Buffer.from(memory, 0, this.size);
    }
    // allocUnsafeSlow: memory of its own, never a slice of Node's shared pool that others write to.
    const fresh = Buffer.allocUnsafeSlow(this.size);
    this.out.add(fresh.buffer);
    return fresh;
  }

  /**
   * `chunk`'s bytes are no longer needed by anyone. A view of a buffer this pool handed out (the whole
   * buffer or part of it) returns the whole buffer to the pool; anything else, or a buffer given back
   * twice, is ignored. Returns whether the memory was taken back.
   */
  release(chunk: Uint8Array): boolean {
    const memory = chunk.buffer;
    if (!(memory instanceof ArrayBuffer) || !this.out.has(memory)) return false;
    this.out.delete(memory);
    if (this.free.length >= this.keep) return false;
    this.free.push(memory);
    return true;
  }

  /** How many buffers were handed out again rather than allocated (for tests and benchmarks). */
  get reuses(): number {
    return this.reused;
  }
}
