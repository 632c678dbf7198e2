import type { ServerStatus } from '@minefleet/domain/server-state';
import type { ServerRecord } from '../server-record.js';

type Waiter = (status: ServerStatus, reason: string | null) => void;

export interface SettledStatus {
  status: ServerStatus;
  reason: string | null;
}

/**
 * Waits for a server's status to reach what a sleep or a wake needs, fed by the status events the
 * sleep service receives; a waiter also reads the status once, since it may have changed before the
 * waiter was in place.
 */
export class StatusWaiters {
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly load: (serverId: string) => Promise<ServerRecord | undefined>) {}

  /** Resolves with the first status `done` accepts, or null after `timeoutMs` or on `signal`. */
  wait(
    serverId: string,
    done: (status: ServerStatus) => boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<SettledStatus | null> {
    return new Promise((resolve) => {
      let set = this.waiters.get(serverId);
      if (!set) this.waiters.set(serverId, (set = new Set()));
      const finish = (value: SettledStatus | null) => {
        clearTimeout(timer);
        set.delete(waiter);
        if (set.size === 0) this.waiters.delete(serverId);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const waiter: Waiter = (status, reason) => {
        if (done(status)) finish({ status, reason });
      };
      const onAbort = () => finish(null);
      const timer = setTimeout(() => finish(null), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      set.add(waiter);
      // The status may have changed before the waiter was in place.
      void this.load(serverId).then((server) => {
        if (server && done(server.status)) finish({ status: server.status, reason: server.statusReason });
        if (!server) finish({ status: 'deleting', reason: 'The server was deleted.' });
      });
    });
  }

  /** A status event for `serverId`: every waiter sees it. */
  notify(serverId: string, status: ServerStatus, reason: string | null): void {
    const waiting = this.waiters.get(serverId);
    if (waiting) for (const w of [...waiting]) w(status, reason);
  }

  /** Shutdown: every waiter hears `stopped` with `reason`. */
  releaseAll(reason: string): void {
    for (const set of this.waiters.values()) for (const w of set) w('stopped', reason);
  }
}
