import { describe, expect, it } from 'vitest';
import { Coalescer, type Outcome } from './coalesce.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A coalescer whose batches are recorded; item 'bad' fails alone, 'boom' fails its whole batch. */
function recording(options?: ConstructorParameters<typeof Coalescer<string, string>>[1]) {
  const batches: string[][] = [];
  let inFlight = 0;
  let most = 0;
  const coalescer = new Coalescer<string, string>(async (key, items) => {
    batches.push(items);
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight -= 1;
    if (items.includes('boom')) throw new Error('batch failed');
    return items.map((item): Outcome<string> =>
      item === 'bad'
        ? { ok: false, error: new Error(`refused ${item}`) }
        : { ok: true, value: `${key}:${item}` },
    );
  }, options);
  return { coalescer, batches, most: () => most };
}

describe('Coalescer', () => {
  it('writes calls of one key made in the same turn as one batch, in order, each with its own outcome', async () => {
    const { coalescer, batches } = recording();
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((item) => coalescer.submit('k', item)));
    expect(batches).toEqual([['a', 'bad', 'c']]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'k:a' });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { message: 'refused bad' } });
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'k:c' });
  });

  it('keeps keys apart', async () => {
    const { coalescer, batches } = recording();
    await Promise.all([coalescer.submit('x', '1'), coalescer.submit('y', '2'), coalescer.submit('x', '3')]);
    expect(batches.sort()).toEqual([['1', '3'], ['2']]);
  });

  it('waits while calls keep arriving one per turn (new connections), then writes them together', async () => {
    const { coalescer, batches } = recording();
    const calls: Promise<string>[] = [];
    for (let i = 0; i < 10; i++) {
      calls.push(coalescer.submit('k', `c${i}`));
      await nextTurn();
    }
    await Promise.all(calls);
    expect(batches).toEqual([Array.from({ length: 10 }, (_, i) => `c${i}`)]);
  });

  it('without waitForQuiet, writes at the next turn: calls one per turn go one per batch', async () => {
    const { coalescer, batches } = recording({ waitForQuiet: false });
    const calls: Promise<string>[] = [];
    for (let i = 0; i < 3; i++) {
      calls.push(coalescer.submit('k', `c${i}`));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(calls);
    expect(batches).toEqual([['c0'], ['c1'], ['c2']]);
  });

  it('stops waiting after maxWaitMs even when calls keep coming', async () => {
    const { coalescer, batches } = recording({ maxWaitMs: 0 });
    const calls: Promise<string>[] = [];
    for (let i = 0; i < 3; i++) {
      calls.push(coalescer.submit('k', `c${i}`));
      await nextTurn();
    }
    await Promise.all(calls);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(['c0', 'c1', 'c2']);
  });

  it('has one batch per key in flight; calls made meanwhile form the next batch', async () => {
    const { coalescer, batches, most } = recording();
    const first = coalescer.submit('k', 'a');
    await new Promise((resolve) => setTimeout(resolve, 2)); // the first batch is being written
    const later = [coalescer.submit('k', 'b'), coalescer.submit('k', 'c')];
    await Promise.all([first, ...later]);
    expect(batches).toEqual([['a'], ['b', 'c']]);
    expect(most()).toBe(1);
  });

  it('bounds a batch at maxBatch; the rest is the next batch', async () => {
    const { coalescer, batches } = recording({ maxBatch: 2 });
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((item) => coalescer.submit('k', item)));
    expect(batches).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('fails every call of a batch the writer fails as a whole, and goes on with the next', async () => {
    const { coalescer } = recording();
    const failed = await Promise.allSettled([coalescer.submit('k', 'a'), coalescer.submit('k', 'boom')]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(await coalescer.submit('k', 'after')).toBe('k:after');
  });
});
