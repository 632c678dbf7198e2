import { describe, expect, it } from 'vitest';
import { ServerLocks } from './server-locks.js';

describe('ServerLocks', () => {
  it('runs operations on one server one at a time, in order', async () => {
    const locks = new ServerLocks();
    const order: string[] = [];
    const slow = locks.run('s', 'a', async () => {
      order.push('a:start');
      await new Promise((r) => setTimeout(r, 30));
      order.push('a:end');
    });
    const next = locks.run('s', 'b', async () => {
      order.push('b');
    });
    await Promise.all([slow, next]);
    expect(order).toEqual(['a:start', 'a:end', 'b']);
  });

  it('lets different servers run at once', async () => {
    const locks = new ServerLocks();
    let inside = 0;
    let peak = 0;
    const op = () => async () => {
      inside++;
      peak = Math.max(peak, inside);
      await new Promise((r) => setTimeout(r, 20));
      inside--;
    };
    await Promise.all([locks.run('a', 'x', op()), locks.run('b', 'x', op())]);
    expect(peak).toBe(2);
  });

  it('gives up with SERVER_BUSY naming the holder, and the lock keeps working', async () => {
    const locks = new ServerLocks();
    let finish!: () => void;
    const held = locks.run('s', 'stop', () => new Promise<void>((r) => (finish = r)));
    await expect(locks.run('s', 'start', async () => 'no', 20)).rejects.toMatchObject({
      code: 'SERVER_BUSY',
      details: { operation: 'stop' },
    });
    finish();
    await held;
    await expect(locks.run('s', 'start', async () => 'yes')).resolves.toBe('yes');
  });

  it('releases the lock when the operation throws', async () => {
    const locks = new ServerLocks();
    await expect(locks.run('s', 'x', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(locks.run('s', 'y', async () => 1, 50)).resolves.toBe(1);
  });
});
