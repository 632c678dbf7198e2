import { describe, expect, it } from 'vitest';
import { TaskSlots } from './task-slots.js';

describe('TaskSlots', () => {
  it('runs at most its size at once, the rest in the order they came, and frees a slot on failure', async () => {
    const slots = new TaskSlots(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const task = (i: number) =>
      slots.run(async () => {
        started.push(i);
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        if (i === 1) throw new Error('task 1 failed');
        return i;
      });
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map(task));
    expect(most).toBe(2);
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    // All slots are free again: two more start at once.
    await Promise.all([task(5), task(6)]);
    expect(most).toBe(2);
  });
});
