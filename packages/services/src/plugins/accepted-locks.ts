import { BackgroundWork } from '../background-work.js';
import type { Logger } from '../logger.js';
import { ServerLocks } from '../lifecycle/server-locks.js';

/**
 * One lock per server for plugin changes, with work that outlives the answer: an install answers 202
 * once its rows are recorded and keeps the lock while the files download. Waiters give up with
 * SERVER_BUSY after `waitMs`.
 */
export class AcceptedLocks {
  private readonly locks = new ServerLocks();
  private readonly work: BackgroundWork;

  constructor(
    logger: Logger,
    private readonly waitMs: number,
  ) {
    this.work = new BackgroundWork(logger);
  }

  /** Waits for the work in progress (its rows must settle before the database closes). */
  drain(): Promise<void> {
    return this.work.drain();
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
    return this.work.accepted<T>(operation, { serverId, operation }, (accept) =>
      this.locks.run(serverId, operation, () => fn(accept), this.waitMs),
    );
  }
}
