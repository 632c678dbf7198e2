import type { ServerRecord } from '../servers.js';
import type { LifecycleCore } from './core.js';

/**
 * Pending restarts of crashed servers, one timer per server. The restart itself is given as a
 * callback (the power sequence), so this module depends on nothing that depends on it.
 */
export class CrashRestarts {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly core: LifecycleCore,
    private readonly restart: (server: ServerRecord) => Promise<unknown>,
  ) {}

  has(serverId: string): boolean {
    return this.timers.has(serverId);
  }

  /** Restarts the server after `delayMs` unless it changed meanwhile (the timer is then stale). */
  schedule(serverId: string, generation: number, delayMs: number): void {
    this.cancel(serverId);
    const timer = setTimeout(() => {
      this.timers.delete(serverId);
      this.core.background('crash-restart', serverId, () =>
        this.core.locks.run(
          serverId,
          'restart after crash',
          async () => {
            const server = await this.core.status.load(serverId);
            // A newer process, a stop or a delete since the crash: this timer is stale.
            if (
              !server ||
              server.status !== 'crashed' ||
              server.generation !== generation ||
              server.desiredState !== 'running'
            )
              return;
            await this.restart(server);
          },
          60_000,
        ),
      );
    }, delayMs);
    timer.unref();
    this.timers.set(serverId, timer);
  }

  cancel(serverId: string): void {
    const timer = this.timers.get(serverId);
    if (timer) clearTimeout(timer);
    this.timers.delete(serverId);
  }

  /** Cancels the pending restarts of the servers `includes` selects (they moved to another replica). */
  release(includes: (serverId: string) => boolean): void {
    for (const serverId of [...this.timers.keys()]) if (includes(serverId)) this.cancel(serverId);
  }

  cancelAll(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
