import { describe, expect, it } from 'vitest';
import { ServerCounts } from './server-counts.js';

describe('ServerCounts', () => {
  it('remembers a total until a create or delete of that tenant', async () => {
    const counts = new ServerCounts();
    counts.remember('t1', 3, counts.version());
    counts.remember('t2', 7, counts.version());
    expect(counts.get('t1')).toBe(3);
    await counts.changing('t1', async () => {
      expect(counts.get('t1')).toBeUndefined();
    });
    expect(counts.get('t1')).toBeUndefined();
    // Only the written tenant's total is dropped.
    expect(counts.get('t2')).toBe(7);
  });

  it('does not keep a total counted while a write was in flight, nor after a failed write', async () => {
    const counts = new ServerCounts();
    let finish!: () => void;
    const write = counts.changing('t1', () => new Promise<void>((resolve) => (finish = resolve)));
    const during = counts.version();
    counts.remember('t1', 3, during); // counted before the write committed
    finish();
    await write;
    expect(counts.get('t1')).toBeUndefined();
    const before = counts.version();
    await expect(counts.changing('t1', () => Promise.reject(new Error('rolled back')))).rejects.toThrow();
    counts.remember('t1', 3, before); // counted before the failed write began
    expect(counts.get('t1')).toBeUndefined();
    counts.remember('t1', 3, counts.version());
    expect(counts.get('t1')).toBe(3);
  });
});
