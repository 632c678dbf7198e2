import { DomainError } from '@minefleet/domain/errors';

/**
 * Bounds concurrent work of one kind (log reads: each holds file buffers and CPU on the shared event
 * loop): at most `concurrency` run, at most `queued` wait their turn, and past that a caller is refused
 * with RATE_LIMITED instead of piling up.
 */
export class ReadGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly concurrency: number,
    private readonly queued: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queued) {
        throw new DomainError('RATE_LIMITED', 'Too many log reads at once; retry in a moment.', {
          retry_after_seconds: 1,
        });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter; otherwise it is freed.
      if (next) next();
      else this.running--;
    }
  }
}
