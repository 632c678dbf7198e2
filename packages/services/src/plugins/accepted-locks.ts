import type { Logger } from '../logger.js';
import { ServerLocks } from '../lifecycle/server-locks.js';

/**
 * One lock per server for plugin changes, with work that outlives the answer: an install answers 202
 * once its rows are recorded and keeps the lock while the files download. Waiters give up with
 * SERVER_BUSY after `waitMs`.
 */
export class AcceptedLocks {
  private readonly locks = new ServerLocks();
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly logger: Logger,
    private readonly waitMs: number,
  ) {}

  /** Waits for the work in progress (its rows must settle before the database closes). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  /**
   * Runs `fn` under the server's plugin lock. The caller gets `fn`'s answer, or the value passed to
   * `accept` as soon as it is called (an install answers 202 and keeps the lock while it downloads).
   */
  run<T>(
    serverId: string,
    operation: string,
    fn: (accept: (value: T) => void) => Promise<T | undefined>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const accept = (value: T) => {
        answered = true;
        resolve(value);
      };
      const task = this.locks
        .run(serverId, operation, () => fn(accept), this.waitMs)
        .then((value) => {
          if (answered) return;
          if (value === undefined) reject(new Error(`${operation} finished without an answer`));
          else resolve(value);
        })
        .catch((error: unknown) => {
          if (answered) this.logger.error({ err: error, serverId, operation }, 'plugin operation failed');
          else reject(error instanceof Error ? error : new Error(String(error)));
        })
        .finally(() => this.pending.delete(task));
      this.pending.add(task);
    });
  }
}
