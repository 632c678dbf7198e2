import type { EventFilter, EventHandler, PlatformEvent } from '@minefleet/domain/ports/event-bus';
import { eventMatches } from '@minefleet/domain/ports/event-bus';

/** Where adapters report what they cannot throw to anyone: handler exceptions, undecodable messages. */
export type EventBusErrorReporter = (error: unknown, context: string) => void;

export const reportToConsole: EventBusErrorReporter = (error, context) => {
  console.error(`[event-bus] ${context}:`, error);
};

interface Subscriber {
  filter: EventFilter;
  handler: EventHandler;
  /** Transport position (stream sequence) the subscriber joined at; it gets only later events. */
  after: number;
}

/**
 * The local fan-out both adapters share: a set of (filter, handler) pairs and a dispatch that calls
 * each matching handler, isolating its exceptions so one faulty subscriber cannot stop the others or
 * the publisher.
 */
export class SubscriberRegistry {
  private readonly subscribers = new Set<Subscriber>();
  private readonly report: EventBusErrorReporter;

  constructor(report: EventBusErrorReporter) {
    this.report = report;
  }

  get size(): number {
    return this.subscribers.size;
  }

  /**
   * Adds a subscriber; the returned function removes it (idempotent). `after` is the transport position
   * at subscribe time, so a subscriber joining a shared feed that still has older events in flight
   * does not get them (nothing from before subscribe, as the port promises).
   */
  add(filter: EventFilter, handler: EventHandler, after = 0): () => void {
    // Copy the filter: a caller mutating its object later must not change what it receives.
    const subscriber: Subscriber = {
      filter: { ...filter, ...(filter.types ? { types: [...filter.types] } : {}) },
      handler,
      after,
    };
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  dispatch(event: PlatformEvent, position = Number.POSITIVE_INFINITY): void {
    // Iterating the live Set is safe: a handler that unsubscribes someone not yet visited removes them
    // before their turn (what unsubscribe promises); one that subscribes is visited but skipped, as
    // its `after` is not below this event's position.
    for (const subscriber of this.subscribers) {
      if (position <= subscriber.after || !eventMatches(subscriber.filter, event)) continue;
      try {
        subscriber.handler(event);
      } catch (error) {
        this.report(error, `handler failed on ${event.type} event of server ${event.serverId}`);
      }
    }
  }

  /** The transport's positions restarted (its stream was re-created): every later event is new. */
  resetPositions(): void {
    for (const subscriber of this.subscribers) subscriber.after = 0;
  }

  clear(): void {
    this.subscribers.clear();
  }
}
