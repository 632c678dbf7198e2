import type { Logger } from './logger.js';

/**
 * Work that outlives the call that started it (the HTTP answer goes out first): a failure is logged,
 * never lost, and `drain()` lets a service wait for all of it before the database closes.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly logger: Logger) {}

  /** Runs `work` without waiting for it; a failure is logged with `context`. */
  run(what: string, context: Record<string, unknown>, work: () => Promise<unknown>): void {
    void this.track(
      work().catch((error: unknown) =>
        this.logger.error({ err: error, ...context, what }, 'background work failed'),
      ),
    );
  }

  /** Keeps `task` in the set until it settles (the caller handles its outcome). */
  track<T>(task: Promise<T>): Promise<T> {
    const tracked = task.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
    return tracked;
  }

  /**
   * Starts `work` and answers as soon as it calls `accept(value)` (an action answers 202 once
   * accepted, then goes on); a failure after that is logged. Work that ends without accepting answers
   * with its own result, or `otherwise()` when that is undefined.
   */
  accepted<T>(
    what: string,
    context: Record<string, unknown>,
    work: (accept: (value: T) => void) => Promise<T | undefined | void>,
    otherwise?: () => Promise<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const accept = (value: T) => {
        answered = true;
        resolve(value);
      };
      void this.track(
        work(accept)
          .then(async (value) => {
            if (answered) return;
            if (value !== undefined) resolve(value);
            else if (otherwise) resolve(await otherwise());
            else reject(new Error(`${what} finished without an answer`));
          })
          .catch((error: unknown) => {
            if (answered) this.logger.error({ err: error, ...context, what }, 'failed after it was accepted');
            else reject(error instanceof Error ? error : new Error(String(error)));
          }),
      );
    });
  }

  /** Waits for all work started so far (failures are already logged or answered). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
