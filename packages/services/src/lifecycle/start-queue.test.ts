import { describe, expect, it } from 'vitest';
import { StartQueue } from './start-queue.js';

/** A launch the test finishes by hand; `order` records when each one began. */
function harness(concurrency: number) {
  const queue = new StartQueue(concurrency);
  const order: string[] = [];
  const finish = new Map<string, () => void>();
  const launch = (key: string) => () => {
    order.push(key);
    return new Promise<void>((resolve) => finish.set(key, resolve));
  };
  const done = async (key: string) => {
    finish.get(key)!();
    // The slot is given back in a settled promise's callbacks.
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  const settle = async () => {
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { queue, order, launch, done, settle };
}

describe('StartQueue', () => {
  it('runs at most `concurrency` launches at once, the rest in order as slots free', async () => {
    const { queue, order, launch, done, settle } = harness(2);
    for (const key of ['a1', 'a2', 'a3', 'a4']) queue.enqueue(key, 'A', launch(key));
    await settle();
    expect(order).toEqual(['a1', 'a2']);
    expect(queue.running).toBe(2);
    expect(queue.queued).toBe(2);
    await done('a2');
    expect(order).toEqual(['a1', 'a2', 'a3']);
    await done('a1');
    await done('a3');
    await done('a4');
    expect(order).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(queue.running).toBe(0);
  });

  it("puts another tenant's single start second behind a burst, not last", async () => {
    const { queue, order, launch, done, settle } = harness(1);
    // A1 takes the free slot directly (the caller launches it itself), A2–A4 wait, then B1 arrives.
    const release = queue.tryAcquire('A');
    expect(release).not.toBeNull();
    order.push('a1');
    for (const key of ['a2', 'a3', 'a4']) queue.enqueue(key, 'A', launch(key));
    queue.enqueue('b1', 'B', launch('b1'));
    await settle();
    expect(order).toEqual(['a1']);
    release!();
    await settle();
    expect(order).toEqual(['a1', 'b1']);
    await done('b1');
    await done('a2');
    await done('a3');
    expect(order).toEqual(['a1', 'b1', 'a2', 'a3', 'a4']);
  });

  it('alternates between tenants that both have bursts waiting', async () => {
    const { queue, order, launch, done, settle } = harness(1);
    for (const key of ['a1', 'a2', 'a3']) queue.enqueue(key, 'A', launch(key));
    for (const key of ['b1', 'b2', 'b3']) queue.enqueue(key, 'B', launch(key));
    queue.enqueue('c1', 'C', launch('c1'));
    await settle();
    for (const key of ['a1', 'b1', 'c1', 'a2', 'b2', 'a3']) await done(key);
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'b3']);
  });

  it('gives a slot to a waiting launch before a new caller (tryAcquire refuses while any wait)', async () => {
    const { queue, launch, done, settle } = harness(1);
    queue.enqueue('a1', 'A', launch('a1'));
    queue.enqueue('a2', 'A', launch('a2'));
    await settle();
    expect(queue.tryAcquire('B')).toBeNull();
    await done('a1');
    expect(queue.tryAcquire('B')).toBeNull(); // a2 holds the only slot now
    await done('a2');
    const release = queue.tryAcquire('B');
    expect(release).not.toBeNull();
    expect(queue.running).toBe(1);
    release!();
    release!(); // giving a slot back twice frees it once
    expect(queue.running).toBe(0);
  });

  it('drops cancelled launches and replaces a waiting launch under the same key', async () => {
    const { queue, order, launch, done, settle } = harness(1);
    queue.enqueue('a1', 'A', launch('a1'));
    queue.enqueue('a2', 'A', launch('a2'));
    queue.enqueue('b1', 'B', launch('b1'));
    expect(queue.cancel('a2')).toBe(true);
    expect(queue.cancel('a2')).toBe(false);
    expect(queue.has('b1')).toBe(true);
    queue.enqueue('b1', 'B', launch('b1-again'));
    expect(queue.queued).toBe(1);
    await settle();
    await done('a1');
    expect(order).toEqual(['a1', 'b1-again']);
    queue.enqueue('c1', 'C', launch('c1'));
    queue.clear();
    await done('b1-again');
    expect(order).toEqual(['a1', 'b1-again']);
    expect(queue.running).toBe(0);
  });

  it('gives the slot back when a launch fails, and reports the failure', async () => {
    const errors: string[] = [];
    const queue = new StartQueue(1, (error, key) => errors.push(`${key}: ${(error as Error).message}`));
    const ran: string[] = [];
    queue.enqueue('a1', 'A', () => Promise.reject(new Error('boom')));
    queue.enqueue('a2', 'A', async () => {
      ran.push('a2');
    });
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(errors).toEqual(['a1: boom']);
    expect(ran).toEqual(['a2']);
  });

  it('refuses a concurrency below one', () => {
    expect(() => new StartQueue(0)).toThrow(RangeError);
    expect(() => new StartQueue(1.5)).toThrow(RangeError);
  });
});
