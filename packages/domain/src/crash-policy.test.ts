import { describe, expect, it } from 'vitest';
import { decideAfterCrash, type CrashPolicy } from './crash-policy.js';

const policy: CrashPolicy = { maxCrashes: 3, windowMs: 60_000, baseBackoffMs: 1000, maxBackoffMs: 5000 };

describe('crash policy', () => {
  it('restarts with doubling backoff, then fails past the limit', () => {
    const first = decideAfterCrash(policy, 0, null, 0);
    expect(first).toEqual({ action: 'restart', crashCount: 1, delayMs: 1000 });
    expect(decideAfterCrash(policy, 1, 0, 10_000)).toEqual({
      action: 'restart',
      crashCount: 2,
      delayMs: 2000,
    });
    expect(decideAfterCrash(policy, 2, 10_000, 20_000)).toEqual({
      action: 'restart',
      crashCount: 3,
      delayMs: 4000,
    });
    expect(decideAfterCrash(policy, 3, 20_000, 30_000)).toEqual({ action: 'fail', crashCount: 4 });
  });

  it('caps the backoff', () => {
    const wide = { ...policy, maxCrashes: 10 };
    expect(decideAfterCrash(wide, 5, 0, 1)).toEqual({ action: 'restart', crashCount: 6, delayMs: 5000 });
  });

  it('starts counting again after a quiet window', () => {
    expect(decideAfterCrash(policy, 3, 0, 60_001)).toEqual({
      action: 'restart',
      crashCount: 1,
      delayMs: 1000,
    });
  });
});
