import { serverListPing } from '@minefleet/runtime-local/server-list-ping';
import type { Logger } from './log.js';

/** A running server's game port, as the operator's pod reaches it (the pod IP and container port). */
export interface PingTarget {
  key: string;
  host: string;
  port: number;
}

export interface PlayerCountsOptions {
  /** The servers to ask now (Running, with a pod IP). */
  targets: () => PingTarget[];
  /** A server's count changed: its status should be written again. */
  onChange: (key: string) => void;
  intervalMs: number;
  timeoutMs?: number;
  /** At most this many pings in flight (a fleet of thousands is asked in slices, not all at once). */
  concurrency?: number;
  log: Logger;
}

// Any protocol number gets a status answer; this one is what a 1.20.2 client sends.
const PROTOCOL = 764;

/**
 * Counts the players of each running server with a server-list ping every `intervalMs`, the way the
 * server list in a game client does, so `status.players.online` (and the PLAYERS column of
 * `kubectl get mcs`) says who is playing. A server that does not answer keeps no count: the status
 * then shows none rather than a stale one.
 */
export class PlayerCounts {
  private readonly counts = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;

  constructor(private readonly o: PlayerCountsOptions) {}

  online(key: string): number | undefined {
    return this.counts.get(key);
  }

  start(): void {
    this.timer ??= setInterval(() => {
      this.round ??= this.ask().finally(() => (this.round = undefined));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.round;
  }

  private async ask(): Promise<void> {
    const targets = this.o.targets();
    const asked = new Set(targets.map((t) => t.key));
    for (const key of [...this.counts.keys()]) {
      if (asked.has(key)) continue;
      this.counts.delete(key);
      this.o.onChange(key);
    }
    const queue = [...targets];
    const worker = async () => {
      for (let target = queue.shift(); target; target = queue.shift()) await this.askOne(target);
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency ?? 32, queue.length) }, worker));
  }

  private async askOne(target: PingTarget): Promise<void> {
    let online: number | undefined;
    try {
      const answer = (await serverListPing(target.host, target.port, PROTOCOL, this.o.timeoutMs ?? 3000)) as {
        players?: { online?: unknown };
      };
      const n = answer.players?.online;
      online = typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : undefined;
    } catch (error) {
      this.o.log.debug('player count ping failed', { key: target.key, error: (error as Error).message });
    }
    if (online === this.counts.get(target.key)) return;
    if (online === undefined) this.counts.delete(target.key);
    else this.counts.set(target.key, online);
    this.o.onChange(target.key);
  }
}
