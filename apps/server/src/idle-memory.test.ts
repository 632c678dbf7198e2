import { describe, expect, it } from 'vitest';
import pino from 'pino';
import { IdleMemory, memoryReducingCollector } from './idle-memory.js';

const log = pino({ level: 'silent' });

describe('IdleMemory', () => {
  it('collects once per quiet spell: after the start, then only after a busier window', () => {
    let requests = 0;
    let collected = 0;
    // A 10 s window: more than 10 requests in it is busy.
    const idle = new IdleMemory({
      quietMs: 10_000,
      activity: () => requests,
      log,
      collect: () => collected++,
    });
    idle.start();
    try {
      idle.check();
      expect(collected).toBe(1); // the start's own allocations
      idle.check();
      requests += 10;
      idle.check();
      expect(collected).toBe(1); // quiet again (10 requests is not more than one a second): nothing new
      requests += 11;
      idle.check();
      expect(collected).toBe(1); // busy: never in the middle of load
      requests += 500;
      idle.check();
      expect(collected).toBe(1);
      idle.check();
      expect(collected).toBe(2); // the first quiet window after it
      idle.check();
      expect(collected).toBe(2);
    } finally {
      idle.stop();
    }
  });

  it('never collects when off', () => {
    let collected = 0;
    const idle = new IdleMemory({ quietMs: 0, activity: () => 0, log, collect: () => collected++ });
    idle.start();
    idle.check();
    expect(collected).toBe(0);
    idle.stop();
  });

  it("V8's collection gives a burst's memory back to the system", async () => {
    const collect = memoryReducingCollector();
    expect((globalThis as { gc?: unknown }).gc).toBeUndefined();
    const burst = () => {
      const kept: { i: number; s: string }[] = [];
      for (let i = 0; i < 1_500_000; i++) kept.push({ i, s: `x${i}` });
      return kept.length;
    };
    expect(burst()).toBe(1_500_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = process.memoryUsage();
    collect();
    const after = process.memoryUsage();
    const mib = (n: number) => n / 1048576;
    // The burst left ~100 MiB of garbage in the heap.
    expect(mib(before.heapTotal - after.heapTotal)).toBeGreaterThan(60);
    if (Number(process.versions.v8.split('.')[0]) >= 12) {
      // Node 22+: the pages go back to the system at once (Node 20's V8 unmaps them later, on its own).
      expect(mib(before.rss - after.rss)).toBeGreaterThan(60);
    }
  });
});
