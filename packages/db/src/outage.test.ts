import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable, untilWritten } from './outage.js';

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('untilWritten', () => {
  it('tries again while the database is away, then answers with the write', async () => {
    let calls = 0;
    const retries: number[] = [];
    const result = await untilWritten(
      async () => {
        calls++;
        if (calls < 3) throw new Error('Failed query: update …', { cause: reset() });
        return 'written';
      },
      { onRetry: (_error, attempt) => retries.push(attempt) },
    );
    expect(result).toBe('written');
    expect(calls).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('throws a failure of the statement itself at once', async () => {
    let calls = 0;
    const unique = Object.assign(new Error('duplicate key value'), { code: '23505' });
    await expect(
      untilWritten(async () => {
        calls++;
        throw unique;
      }),
    ).rejects.toBe(unique);
    expect(calls).toBe(1);
  });

  it('gives up with the last error once its time is over', async () => {
    let calls = 0;
    await expect(
      untilWritten(
        async () => {
          calls++;
          throw new Error('Client has encountered a connection error and is not queryable');
        },
        { timeoutMs: 600 },
      ),
    ).rejects.toThrow(/not queryable/);
    expect(calls).toBeGreaterThanOrEqual(2);
  });
});

describe('isDatabaseUnavailable', () => {
  it('knows resets, refusals, a restarting server and a timed-out pool; not a statement error', () => {
    expect(isDatabaseUnavailable(reset())).toBe(true);
    expect(isDatabaseUnavailable({ code: '57P01' })).toBe(true);
    expect(isDatabaseUnavailable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(
      isDatabaseUnavailable(new Error('x', { cause: new Error('Connection terminated unexpectedly') })),
    ).toBe(true);
    expect(isDatabaseUnavailable({ code: '23505', message: 'duplicate key value' })).toBe(false);
    expect(isDatabaseUnavailable(new Error('syntax error at or near "selec"'))).toBe(false);
  });
});
