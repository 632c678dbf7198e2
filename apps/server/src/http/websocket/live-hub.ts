import type { EventBus, EventSubscription, PlatformEvent } from '@minefleet/domain/ports/event-bus';

/** A WebSocket connection as the hub sees it: something that queues a message without waiting. */
export interface HubWatcher {
  /** `frame` is the event's wire form, encoded once for every watcher (sent as a text frame). */
  deliver(event: PlatformEvent, frame: Buffer): void;
}

interface Topic {
  watchers: Set<HubWatcher>;
  subscription: Promise<EventSubscription>;
}

/** The wire form of an event (docs/websocket.md). */
export function eventMessage(event: PlatformEvent): string {
  return JSON.stringify({ type: event.type, server_id: event.serverId, ts: event.ts, data: event.data });
}

/**
 * One event-bus subscription per watched server for all the WebSocket connections of this process:
 * 500 dashboards watching 20 servers cost 20 subscriptions (and, on NATS, at most 20 consumers), and each
 * event is serialised once, whatever the number of watchers. Delivery only queues (each connection has
 * its own bounded queue), so a slow connection never delays the others.
 *
 * Topics are keyed by tenant and server, and the bus filter names both: an event of another tenant can
 * never reach a watcher even if two tenants' ids collided.
 */
export class LiveHub {
  private readonly topics = new Map<string, Topic>();

  constructor(
    private readonly events: EventBus,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Number of servers watched by at least one connection. */
  get size(): number {
    return this.topics.size;
  }

  /**
   * Starts delivering the server's events to the watcher; resolves once the bus subscription is live
   * (events published from then on arrive). The returned function stops it (idempotent).
   */
  async watch(tenantId: string, serverId: string, watcher: HubWatcher): Promise<() => void> {
    const key = `${tenantId}/${serverId}`;
    let topic = this.topics.get(key);
    if (!topic) {
      const watchers = new Set<HubWatcher>();
      const subscription = this.events.subscribe({ tenantId, serverId }, (event) => {
        if (event.tenantId !== tenantId || event.serverId !== serverId) return;
        // Serialised and UTF-8 encoded once, whatever the number of watchers.
        const frame = Buffer.from(eventMessage(event));
        for (const w of watchers) w.deliver(event, frame);
      });
      topic = { watchers, subscription };
      this.topics.set(key, topic);
      subscription.catch(() => {
        if (this.topics.get(key) === topic) this.topics.delete(key);
      });
    }
    topic.watchers.add(watcher);
    const current = topic;
    try {
      await current.subscription;
    } catch (error) {
      current.watchers.delete(watcher);
      throw error;
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      current.watchers.delete(watcher);
      if (current.watchers.size === 0 && this.topics.get(key) === current) {
        this.topics.delete(key);
        current.subscription.then((s) => s.unsubscribe()).catch(this.onError);
      }
    };
  }
}
