import { DomainError } from '@minefleet/domain/errors';

/**
 * One lock per server: power actions, restores, deletes and backups of a server run one at a time.
 * Waiters give up after `waitMs` with SERVER_BUSY rather than hang an HTTP request behind a long stop.
 * Kill deliberately takes no lock: it is the way out of a stuck operation.
 */
export class ServerLocks {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly holders = new Map<string, string>();

  async run<T>(serverId: string, operation: string, fn: () => Promise<T>, waitMs = 5_000): Promise<T> {
    const previous = this.tails.get(serverId) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(serverId, tail);
    let timer: NodeJS.Timeout | undefined;
    const acquired = await Promise.race([
      previous.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), waitMs);
      }),
    ]);
    clearTimeout(timer);
    if (!acquired) {
      // Keep the chain intact: release our slot as soon as the one before us finishes.
      void previous.then(release);
      const holder = this.holders.get(serverId);
      throw new DomainError(
        'SERVER_BUSY',
        `Another operation${holder ? ` (${holder})` : ''} is in progress on this server.`,
        {
          operation: holder ?? null,
        },
      );
    }
    this.holders.set(serverId, operation);
    try {
      return await fn();
    } finally {
      this.holders.delete(serverId);
      release();
      if (this.tails.get(serverId) === tail) this.tails.delete(serverId);
    }
  }

  /** The operation holding the server's lock, if any. */
  busyWith(serverId: string): string | undefined {
    return this.holders.get(serverId);
  }
}
