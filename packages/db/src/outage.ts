/**
 * Telling a database that is away (restarting, unreachable, a connection reset under a statement) from
 * a statement that failed on its merits, and riding out the first kind where a write must not be lost.
 */

/** Whether `error` (or what it wraps) says the database could not be reached or dropped the connection. */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (
      code === 'ECONNREFUSED' ||
      code === 'ECONNRESET' ||
      code === 'EPIPE' ||
      code === '57P01' || // terminating connection due to administrator command
      code === '57P02' ||
      code === '57P03' || // the database system is starting up / shutting down
      code === '08000' ||
      code === '08003' ||
      code === '08006'
    )
      return true;
    const message = (current as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|not queryable|PGlite is closed/i.test(
        message,
      )
    ) {
      return true;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export interface RetryOptions {
  /** Give up (rethrow the last error) after this long; default 10 minutes. */
  timeoutMs?: number;
  /** Told of each failed attempt that will be tried again. */
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `write` until it succeeds, again after each failure that says the database is away (waiting
 * 0.25 s, doubling up to 5 s), for at most `timeoutMs`. Any other failure is thrown at once. For the
 * writes that close a long job (a restore putting its server back to `stopped`): without them the
 * record would stay in a transitional state while this process lives, and nothing else moves it.
 */
export async function untilWritten<T>(write: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() + delay > deadline) throw error;
      options.onRetry?.(error, attempt);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5_000);
    }
  }
}
