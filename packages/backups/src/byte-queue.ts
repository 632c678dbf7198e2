/**
 * A FIFO of byte chunks that hands out exact byte counts without concatenating everything it holds:
 * the zstd frame splitter reads small headers and large bodies from network-sized chunks, and copying
 * the whole backlog on each read would make splitting quadratic.
 */
export class ByteQueue {
  private readonly chunks: Buffer[] = [];
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(
      Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
    );
    this.total += chunk.length;
  }

  /** The first `n` bytes without consuming them, or null when fewer are queued. */
  peek(n: number): Buffer | null {
    if (n > this.total) return null;
    const first = this.chunks[this.head];
    if (first !== undefined && first.length >= n) return first.subarray(0, n);
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    for (let i = this.head; filled < n; i++) {
      const chunk = this.chunks[i]!;
      const take = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, take);
      filled += take;
    }
    return out;
  }

  /** Removes and returns `n` bytes as slices of the queued chunks (no copy). Caller checks `length`. */
  take(n: number): Buffer[] {
    if (n > this.total) throw new RangeError(`take(${n}) with ${this.total} queued`);
    const out: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const chunk = this.chunks[this.head]!;
      if (chunk.length <= left) {
        out.push(chunk);
        left -= chunk.length;
        this.head++;
      } else {
        out.push(chunk.subarray(0, left));
        this.chunks[this.head] = chunk.subarray(left);
        left = 0;
      }
    }
    this.total -= n;
    // Drop consumed slots now and then so the array does not grow with the stream.
    if (this.head > 64) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
    return out;
  }
}
