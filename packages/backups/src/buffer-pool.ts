/**
 * Read buffers of one archive, handed back by whoever last needs their bytes and filled again.
 *
 * Every fresh buffer of a megabyte is memory the kernel has to fault in, page by page, and the
 * collector has to find later: for a backup without compression that was a sixth of its time. A buffer
 * is free again once everyone holding it has released it: the one who took it (the store once its write
 * is done, the compressor once it has copied the bytes) and whoever `hold`s it as well (the hashing
 * thread reading the memory itself). A buffer that is never released is collected as before. The pool
 * keeps at most `keep` free buffers, so memory stays bounded.
 */
export class BufferPool {
  private readonly free: ArrayBufferLike[] = [];
  /** Memory this pool handed out and not had back yet, with how many still hold it. */
  private readonly holds = new WeakMap<ArrayBufferLike, number>();

  /**
   * New buffers are SharedArrayBuffer memory, which another thread can read without a copy. Worth it
   * only for buffers that come back: shared memory is zeroed when made and is not returned to the
   * system as readily (a backup whose buffers never came back peaked ~65 MiB higher with it).
   */
  shared = false;

  constructor(
    readonly size: number,
    private readonly keep = 16,
  ) {}

  /** A buffer of `size` bytes (its content is whatever it held before), held once by the caller. */
  take(): Buffer {
    const recycled = this.free.pop();
    // Memory of its own, never a slice of Node's shared pool that others write to.
    const memory = recycled ?? (this.shared ? new SharedArrayBuffer(this.size) : new ArrayBuffer(this.size));
    this.holds.set(memory, 1);
    return Buffer.from(memory, 0, this.size);
  }

  /** Whether `chunk` is (a view of) a buffer this pool handed out and has not had back. */
  owns(chunk: Uint8Array): boolean {
    return this.holds.has(chunk.buffer);
  }

  /** One more holder of `chunk`'s buffer, who will release it too; false if not the pool's. */
  hold(chunk: Uint8Array): boolean {
    const count = this.holds.get(chunk.buffer);
    if (count === undefined) return false;
    this.holds.set(chunk.buffer, count + 1);
    return true;
  }

  /**
   * One holder no longer needs `chunk`'s bytes. A view of a buffer this pool handed out (the whole
   * buffer or part of it) counts for the whole buffer, which is free once its last holder released it;
   * memory that is not the pool's, or no longer out, is ignored. Returns whether the buffer is free again.
   */
  release(chunk: Uint8Array): boolean {
    const memory = chunk.buffer;
    const count = this.holds.get(memory);
    if (count === undefined) return false;
    if (count > 1) {
      this.holds.set(memory, count - 1);
      return false;
    }
    this.holds.delete(memory);
    if (this.free.length >= this.keep) return false;
    this.free.push(memory);
    return true;
  }
}
