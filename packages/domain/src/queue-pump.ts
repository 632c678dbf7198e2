/**
 * Drains a `BoundedQueue` into a consumer. Like the queue it is generic (no I/O, only a timer while the
 * transport is congested), so both live in the domain package, which every user already depends on: the
 * control plane's WebSocket and console stream, and the event-bus conformance suite.
 */
import type { BoundedQueue } from './bounded-queue.js';

export interface PumpOptions<T> {
  /**
   * Delivers one entry. May return a promise (e.g. a WebSocket send callback); the next entry waits
   * for it, and meanwhile the queue keeps absorbing (and dropping the oldest of) new entries.
   */
  send: (item: T) => void | Promise<void>;
  /**
   * Backpressure from a transport that buffers instead of blocking, e.g.
   * `() => socket.bufferedAmount > 1_048_576`: while it answers true the pump waits `pollMs` and asks
   * again rather than piling more into the transport's unbounded buffer.
   */
  isCongested?: () => boolean;
  /** How long to wait between congestion checks (default 25 ms). */
  pollMs?: number;
  /** Told how many entries were dropped, just before the first entry sent after a gap. */
  onDropped?: (count: number) => void | Promise<void>;
}

/**
 * Drains a queue into a consumer until the queue is closed (or `send` throws, which closes the queue
 * and rejects). The producer side is never involved: it keeps calling `queue.push()`.
 */
export async function pumpQueue<T>(queue: BoundedQueue<T>, options: PumpOptions<T>): Promise<void> {
  const pollMs = options.pollMs ?? 25;
  try {
    for (;;) {
      // Wait out congestion before taking an entry, so the backlog stays in the queue, where the
      // oldest entries are the ones dropped.
      while (options.isCongested?.()) {
        if (queue.closed && queue.size === 0) return;
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
      const result = await queue.next();
      if (result.done) return;
      const dropped = queue.takeDropped();
      if (dropped > 0 && options.onDropped) await options.onDropped(dropped);
      await options.send(result.value);
    }
  } catch (error) {
    queue.close({ discard: true });
    throw error;
  }
}
