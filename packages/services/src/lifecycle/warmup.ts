import type { LifecycleCore } from './core.js';

/**
 * Warm-up watches: a starting server is watched until it admits players (→ running) or its warm-up time
 * runs out (→ failed, process killed). Admitting players is an answered server-list ping and, where the
 * runtime can tell, the process saying it finished loading: a server answers pings while its plugins still
 * load, and the start time the gateway predicts wakes by must include them. One watch per server; a newer
 * one, a stop or an exit aborts it.
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

  /** Watches the warm-up; the promise settles when the watch ends (running, failed, or aborted). */
  watch(serverId: string, generation: number, timeoutMs: number): Promise<void> {
    const { runtime, clock } = this.core.deps;
    const { status } = this.core;
    this.abort(serverId);
    const controller = new AbortController();
    this.watching.set(serverId, controller);
    const deadline = clock.now() + timeoutMs;
    let ended!: () => void;
    const end = new Promise<void>((resolve) => (ended = resolve));
    this.core.background('warmup', serverId, async () => {
      try {
        let answered = false;
        while (!controller.signal.aborted) {
          const ping = await runtime.ping(serverId, 1000).catch(() => null); // null: not answering yet
          if (ping) answered = true;
          const ready =
            ping !== null && (runtime.ready ? await runtime.ready(serverId).catch(() => false) : true);
          if (controller.signal.aborted) return;
          if (ready) {
            try {
              await status.transition(serverId, 'running', {
                generation,
                onlyFrom: ['starting'],
                patch: { startedAt: new Date(clock.now()), playersOnline: ping.onlinePlayers },
              });
              return;
            } catch {
              // Not recorded (the database failed): the next round tries again.
            }
          }
          if (clock.now() >= deadline) {
            const seconds = Math.round(timeoutMs / 1000);
            const failed = await status.transition(serverId, 'failed', {
              generation,
              onlyFrom: ['starting'],
              patch: {
                desiredState: 'stopped',
                statusReason: answered
                  ? `The server answered the server-list ping but did not finish loading within ${seconds} s.`
                  : `The server did not answer the server-list ping within ${seconds} s.`,
              },
            });
            if (failed) await runtime.kill(serverId).catch(() => null);
            return;
          }
          await sleep(this.core.settings.pingIntervalMs, controller.signal);
        }
      } finally {
        if (this.watching.get(serverId) === controller) this.watching.delete(serverId);
        ended();
      }
    });
    return end;
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
