import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.js';

/** A source that records how far it has been pulled and whether it was closed. */
function counting(total: number, failAt?: number) {
  const state = { produced: 0, closed: false };
  const source = (async function* () {
    try {
      for (let i = 0; i < total; i++) {
        await nextTurn();
        if (i === failAt) throw new Error(`failed at ${i}`);
        state.produced = i + 1;
        yield i;
      }
    } finally {
      state.closed = true;
    }
  })();
  return { source, state };
}

describe('readAhead', () => {
  it('yields every item in order', async () => {
    const { source } = counting(50);
    const seen: number[] = [];
    for await (const item of readAhead(source, 4)) seen.push(item);
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('never runs more than `depth` items ahead of the consumer', async () => {
    const { source, state } = counting(100);
    let consumed = 0;
    for await (const _item of readAhead(source, 3)) {
      consumed += 1;
      for (let i = 0; i < 5; i++) await nextTurn(); // a slow consumer
      expect(state.produced - consumed).toBeLessThanOrEqual(3);
      if (consumed === 20) break;
    }
  });

  it('delivers a failure at its position, after the items before it', async () => {
    const { source } = counting(10, 6);
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const item of readAhead(source, 4)) seen.push(item);
      })(),
    ).rejects.toThrow('failed at 6');
    expect(seen).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('closes the source when the consumer stops early', async () => {
    const { source, state } = counting(1_000);
    for await (const item of readAhead(source, 4)) if (item === 3) break;
    expect(state.closed).toBe(true);
    expect(state.produced).toBeLessThan(20);
  });
});
