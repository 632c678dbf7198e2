import { describe, expect, it } from 'vitest';
import { WorkQueue } from './queue.js';

describe('WorkQueue', () => {
  it('de-duplicates a key queued many times', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.depth).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.depth).toBe(0);
  });

  it('never hands a key to a second worker while it is processed; an event meanwhile queues it for after', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a'); // an event while 'a' is being reconciled
    expect(q.depth).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await new Promise((r) => setTimeout(r, 10));
    expect(second).toBeUndefined();
    q.done(first!);
    await new Promise((r) => setTimeout(r, 0));
    expect(second).toBe('a');
  });

  it('backs off exponentially with jitter, capped, and forget() starts again from the base', () => {
    const low = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0 });
    expect([1, 2, 3, 4, 5].map(() => low.backoff('k'))).toEqual([80, 160, 320, 640, 800]);
    const high = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 1 });
    expect([1, 2].map(() => high.backoff('k'))).toEqual([120, 240]);
    low.forget('k');
    expect(low.backoff('k')).toBe(80);
    expect(low.retries('k')).toBe(1);
  });

  it('a rate-limited key comes back after its delay', async () => {
    const q = new WorkQueue({ baseDelayMs: 30, random: () => 0.5 });
    const started = Date.now();
    q.addRateLimited('k');
    expect(q.depth).toBe(0);
    expect(await q.get()).toBe('k');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('shutDown releases waiting workers', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('x');
    expect(q.depth).toBe(0);
  });
});
