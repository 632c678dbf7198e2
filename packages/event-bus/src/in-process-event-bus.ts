import { DomainError } from '@minefleet/domain/errors';
import type {
  EventBus,
  EventFilter,
  EventHandler,
  EventSubscription,
  PlatformEvent,
} from '@minefleet/domain/ports/event-bus';
import { assertRoutableEvent, assertValidFilter } from './event-subjects.js';
import { reportToConsole, SubscriberRegistry, type EventBusErrorReporter } from './subscriber-registry.js';

export interface InProcessEventBusOptions {
  /** Where handler exceptions go (default: console.error). */
  onError?: EventBusErrorReporter;
}

/**
 * The default event bus: one process, no network. Delivery is synchronous inside `publish()` (the
 * lowest latency there is), except that an event published by a handler is queued and delivered after
 * the current one, so every subscriber sees events in publish order even when handlers publish.
 */
export class InProcessEventBus implements EventBus {
  private readonly registry: SubscriberRegistry;
  private readonly pending: { event: PlatformEvent; position: number }[] = [];
  /** Publish counter: a subscriber gets only events numbered after the count at its subscribe. */
  private published = 0;
  private dispatching = false;
  private closed = false;

  constructor(options: InProcessEventBusOptions = {}) {
    this.registry = new SubscriberRegistry(options.onError ?? reportToConsole);
  }

  publish(event: PlatformEvent): Promise<void> {
    try {
      this.assertOpen();
      assertRoutableEvent(event);
    } catch (error) {
      return rejected(error);
    }
    this.pending.push({ event, position: ++this.published });
    if (!this.dispatching) this.drain();
    return Promise.resolve();
  }

  subscribe(filter: EventFilter, handler: EventHandler): Promise<EventSubscription> {
    try {
      this.assertOpen();
      assertValidFilter(filter);
    } catch (error) {
      return rejected(error);
    }
    const remove = this.registry.add(filter, handler, this.published);
    return Promise.resolve({
      unsubscribe: () => {
        remove();
        return Promise.resolve();
      },
    });
  }

  close(): Promise<void> {
    this.closed = true;
    this.pending.length = 0;
    this.registry.clear();
    return Promise.resolve();
  }

  private drain(): void {
    this.dispatching = true;
    try {
      // Index walk instead of shift(): a flood published from handlers stays O(n).
      for (let i = 0; i < this.pending.length; i++) {
        const { event, position } = this.pending[i]!;
        this.registry.dispatch(event, position);
      }
    } finally {
      this.pending.length = 0;
      this.dispatching = false;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new DomainError('SHUTTING_DOWN', 'The event bus is closed.');
  }
}

/** The adapter's checks throw synchronously; callers of a Promise API expect a rejection instead. */
function rejected(error: unknown): Promise<never> {
  return Promise.reject(error instanceof Error ? error : new Error(String(error)));
}
