/**
 * What to do after a server exits on its own: restart with exponential backoff, or give up (`failed`)
 * after too many crashes in a window. Pure, so it is tested without processes.
 */
export interface CrashPolicy {
  /** Crashes allowed within `windowMs` before the server is marked failed. */
  maxCrashes: number;
  windowMs: number;
  /** First restart delay; doubled each crash, up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_CRASH_POLICY: CrashPolicy = {
  maxCrashes: 3,
  windowMs: 10 * 60_000,
  baseBackoffMs: 1_000,
  maxBackoffMs: 60_000,
};

export type CrashDecision =
  { action: 'restart'; crashCount: number; delayMs: number } | { action: 'fail'; crashCount: number };

/**
 * @param previousCount crashes counted so far in the current window
 * @param lastCrashAt time of the previous crash (ms), or null
 */
export function decideAfterCrash(
  policy: CrashPolicy,
  previousCount: number,
  lastCrashAt: number | null,
  now: number,
): CrashDecision {
  const inWindow = lastCrashAt !== null && now - lastCrashAt <= policy.windowMs;
  const crashCount = inWindow ? previousCount + 1 : 1;
  if (crashCount > policy.maxCrashes) return { action: 'fail', crashCount };
  const delayMs = Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** (crashCount - 1));
  return { action: 'restart', crashCount, delayMs };
}
