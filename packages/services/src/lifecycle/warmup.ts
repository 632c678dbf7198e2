import type { LifecycleCore } from './core.js';

/**
 * Warm-up watches: a starting server is pinged until it answers (→ running) or its warm-up time runs
 * out (→ failed, process killed). One watch per server; a newer one, a stop or an exit aborts it.
 */
export class Warmups {
  private readonly watching = new Map<string, AbortController>();

  constructor(private readonly core: LifecycleCore) {}

  has(serverId: string): boolean {
    return this.watching.has(serverId);
  }

  abort(serverId: string): void {
    this.watching.get(serverId)?.abort();
  }

  abortAll(): void {
    for (const watch of this.watching.values()) watch.abort();
  }

  watch(serverId: string, generation: number, timeoutMs: number): void {
    const { runtime, clock } = this.core.deps;
    const { status } = this.core;
    this.abort(serverId);
    const controller = new AbortController();
    this.watching.set(serverId, controller);
    const deadline = clock.now() + timeoutMs;
    this.core.background('warmup', serverId, async () => {
      try {
        while (!controller.signal.aborted) {
          try {
            const ping = await runtime.ping(serverId, 1000);
            if (controller.signal.aborted) return;
            await status.transition(serverId, 'running', {
              generation,
              onlyFrom: ['starting'],
              patch: { startedAt: new Date(clock.now()), playersOnline: ping.onlinePlayers },
            });
            return;
          } catch {
            // Not answering yet.
          }
          if (clock.now() >= deadline) {
            const failed = await status.transition(serverId, 'failed', {
              generation,
              onlyFrom: ['starting'],
              patch: {
                desiredState: 'stopped',
                statusReason: `The server did not answer the server-list ping within ${Math.round(timeoutMs / 1000)} s.`,
              },
            });
            if (failed) await runtime.kill(serverId).catch(() => null);
            return;
          }
          await sleep(this.core.settings.pingIntervalMs, controller.signal);
        }
      } finally {
        if (this.watching.get(serverId) === controller) this.watching.delete(serverId);
      }
    });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    // The listener is removed when the timer fires, so a long warm-up does not pile listeners up.
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
