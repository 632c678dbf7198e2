import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';
import { pumpQueue } from './queue-pump.js';

function drain<T>(queue: BoundedQueue<T>): T[] {
  const out: T[] = [];
  for (let item = queue.shift(); item !== undefined; item = queue.shift()) out.push(item);
  return out;
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((resolve) => (open = resolve));
  return { wait, open };
}

describe('BoundedQueue', () => {
  it('is first-in first-out below capacity', () => {
    const queue = new BoundedQueue<number>(5);
    for (const n of [1, 2, 3]) expect(queue.push(n)).toBe(true);
    expect(queue.size).toBe(3);
    expect(drain(queue)).toEqual([1, 2, 3]);
    expect(queue.dropped).toBe(0);
  });

  it('when full, drops the oldest entries first and counts them', () => {
    const queue = new BoundedQueue<number>(3);
    const accepted = [1, 2, 3, 4, 5].map((n) => queue.push(n));
    expect(accepted).toEqual([true, true, true, false, false]);
    expect(queue.size).toBe(3);
    expect(queue.dropped).toBe(2);
    expect(drain(queue)).toEqual([3, 4, 5]);
  });

  it('wraps around its ring correctly through many fill/drain cycles', () => {
    const queue = new BoundedQueue<number>(4);
    let next = 0;
    for (let round = 0; round < 50; round++) {
      const pushes = (round % 7) + 1;
      const pushed: number[] = [];
      for (let i = 0; i < pushes; i++) pushed.push(next++);
      for (const n of pushed) queue.push(n);
      expect(drain(queue)).toEqual(pushed.slice(-4));
    }
  });

  it('peek shows the oldest entry, the one the next push drops when full', () => {
    const queue = new BoundedQueue<number>(2);
    expect(queue.peek()).toBeUndefined();
    queue.push(1);
    queue.push(2);
    expect(queue.peek()).toBe(1);
    queue.push(3);
    expect(queue.peek()).toBe(2);
    expect(queue.shift()).toBe(2);
    expect(queue.size).toBe(1);
  });

  it('takeDropped reports each gap once; dropped keeps the total', () => {
    const queue = new BoundedQueue<number>(1);
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(queue.takeDropped()).toBe(2);
    expect(queue.takeDropped()).toBe(0);
    queue.push(4);
    expect(queue.takeDropped()).toBe(1);
    expect(queue.dropped).toBe(3);
  });

  it('never makes the producer wait: a million pushes into a full queue nobody reads', () => {
    const queue = new BoundedQueue<number>(1_000);
    for (let i = 0; i < 1_000_000; i++) queue.push(i);
    expect(queue.size).toBe(1_000);
    expect(queue.dropped).toBe(999_000);
    expect(queue.shift()).toBe(999_000);
  });

  it('feeds an async iterator: waits when empty, ends after close once drained', async () => {
    const queue = new BoundedQueue<string>(10);
    const seen: string[] = [];
    const consumer = (async () => {
      for await (const item of queue) seen.push(item);
    })();
    queue.push('a'); // handed straight to the waiting consumer
    await new Promise((r) => setTimeout(r, 1));
    queue.push('b');
    queue.push('c');
    queue.close();
    queue.push('ignored after close');
    await consumer;
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('close with discard drops the backlog; breaking out of for-await closes the queue', async () => {
    const discarded = new BoundedQueue<number>(10);
    discarded.push(1);
    discarded.close({ discard: true });
    expect(await discarded.next()).toEqual({ value: undefined, done: true });

    const broken = new BoundedQueue<number>(10);
    broken.push(1);
    broken.push(2);
    for await (const item of broken) {
      expect(item).toBe(1);
      break;
    }
    expect(broken.closed).toBe(true);
    expect(broken.size).toBe(0);
  });

  it('refuses a second concurrent consumer and a capacity below one', async () => {
    const queue = new BoundedQueue<number>(1);
    const first = queue.next();
    await expect(queue.next()).rejects.toThrow(/single consumer/);
    queue.push(7);
    expect(await first).toEqual({ value: 7, done: false });
    expect(() => new BoundedQueue(0)).toThrow(RangeError);
    expect(() => new BoundedQueue(1.5)).toThrow(RangeError);
  });
});

describe('pumpQueue', () => {
  it('a slow consumer does not delay a fast one, and loses its oldest entries first', async () => {
    // Both queues hold more than one burst of the producer (100), so a consumer that keeps up loses nothing.
    const capacity = 128;
    const fast = new BoundedQueue<number>(capacity);
    const slow = new BoundedQueue<number>(capacity);
    const fastSeen: number[] = [];
    const slowSeen: number[] = [];
    const slowGaps: number[] = [];
    const release = gate();
    const fastPump = pumpQueue(fast, { send: (n) => void fastSeen.push(n) });
    const slowPump = pumpQueue(slow, {
      send: async (n) => {
        slowSeen.push(n);
        if (slowSeen.length === 1) await release.wait; // stuck on its first entry, like a dead socket
      },
      onDropped: (count) => void slowGaps.push(count),
    });

    // The producer: fan each entry out to both queues, yielding between batches like a real source.
    const total = 1_000;
    for (let i = 0; i < total; i++) {
      fast.push(i);
      slow.push(i);
      if (i % 100 === 99) await new Promise((r) => setTimeout(r, 0));
    }
    await new Promise((r) => setTimeout(r, 0));

    // The fast consumer has everything while the slow one is still stuck on entry 0.
    expect(fastSeen).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(slowSeen).toEqual([0]);
    expect(slow.size).toBe(capacity);
    expect(slow.dropped).toBe(total - 1 - capacity);

    release.open();
    fast.close();
    slow.close();
    await Promise.all([fastPump, slowPump]);
    // After the gap, only the newest `capacity` entries remain; the gap was reported once.
    expect(slowSeen).toEqual([0, ...Array.from({ length: capacity }, (_, i) => total - capacity + i)]);
    expect(slowGaps).toEqual([total - 1 - capacity]);
  });

  it('holds back while the transport is congested (bufferedAmount), letting the queue drop the oldest', async () => {
    const queue = new BoundedQueue<number>(4);
    let bufferedAmount = 10_000;
    const sent: number[] = [];
    const pump = pumpQueue(queue, {
      send: (n) => void sent.push(n),
      isCongested: () => bufferedAmount > 1_000,
      pollMs: 1,
    });
    for (let i = 0; i < 10; i++) queue.push(i);
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([]);
    bufferedAmount = 0; // the socket flushed
    await new Promise((r) => setTimeout(r, 20));
    expect(sent).toEqual([6, 7, 8, 9]);
    queue.close();
    await pump;
  });

  it('stops and closes the queue when sending fails', async () => {
    const queue = new BoundedQueue<number>(4);
    const pump = pumpQueue(queue, {
      send: () => {
        throw new Error('socket gone');
      },
    });
    queue.push(1);
    await expect(pump).rejects.toThrow('socket gone');
    expect(queue.closed).toBe(true);
  });
});
