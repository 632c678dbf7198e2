import { describe, expect, it } from 'vitest';
import { BufferPool } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands a buffer back out once it is released, whole even if a part of it came back', () => {
    const pool = new BufferPool(1024, 4);
    const first = pool.take();
    expect(first.length).toBe(1024);
    expect(pool.release(first.subarray(0, 10))).toBe(true);
    const again = pool.take();
    expect(again.buffer).toBe(first.buffer);
    expect(again.length).toBe(1024);
  });

  it('ignores memory it did not hand out, and a buffer released twice', () => {
    const pool = new BufferPool(1024, 4);
    expect(pool.release(Buffer.allocUnsafeSlow(1024))).toBe(false);
    expect(pool.release(Buffer.from('a small buffer'))).toBe(false);
    const taken = pool.take();
    expect(pool.release(taken)).toBe(true);
    expect(pool.release(taken)).toBe(false);
    const a = pool.take();
    const b = pool.take();
    expect(a.buffer).toBe(taken.buffer);
    expect(b.buffer).not.toBe(taken.buffer); // given back twice, handed out once
  });

  it('never hands out a slice of memory others share', () => {
    const pool = new BufferPool(64, 4);
    const small = pool.take();
    expect(small.byteOffset).toBe(0);
    expect(small.buffer.byteLength).toBe(64);
  });

  it('frees a buffer once its last holder released it; shared memory when asked', () => {
    const pool = new BufferPool(1024, 4);
    expect(pool.take().buffer).toBeInstanceOf(ArrayBuffer);
    pool.shared = true;
    const taken = pool.take();
    expect(taken.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(pool.hold(taken.subarray(100))).toBe(true); // a second reader (the hashing thread)
    expect(pool.hold(Buffer.alloc(8))).toBe(false);
    expect(pool.release(taken)).toBe(false); // the store is done; the reader is not
    expect(pool.owns(taken)).toBe(true);
    expect(pool.take().buffer).not.toBe(taken.buffer);
    expect(pool.release(taken.subarray(100))).toBe(true);
    expect(pool.owns(taken)).toBe(false);
    expect(pool.take().buffer).toBe(taken.buffer);
  });

  it('keeps at most `keep` free buffers', () => {
    const pool = new BufferPool(16, 2);
    const taken = [pool.take(), pool.take(), pool.take()];
    expect(taken.map((b) => pool.release(b))).toEqual([true, true, false]);
    const memories = new Set([pool.take().buffer, pool.take().buffer, pool.take().buffer]);
    expect(memories.size).toBe(3);
    // Two came back from the free list, the third is new memory (the one past `keep` was let go).
    expect(memories.has(taken[0]!.buffer) && memories.has(taken[1]!.buffer)).toBe(true);
    expect(memories.has(taken[2]!.buffer)).toBe(false);
  });
});
