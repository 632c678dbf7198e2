import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventBus } from '@minefleet/domain/ports/event-bus';

/**
 * The event bus with its traffic counted: events published (and refused) and delivered to local
 * subscribers, by type, plus whether the transport is connected (`state` of the NATS adapter; the
 * in-process bus is always connected).
 */
export function instrumentEventBus(
  bus: EventBus & { readonly state?: string },
  registry: Registry,
  transport: 'in-process' | 'nats',
): EventBus & { readonly state: string } {
  const published = new Counter({
    name: 'minefleet_event_bus_published_total',
    help: 'Events published on the event bus, by type and outcome (ok or error).',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const delivered = new Counter({
    name: 'minefleet_event_bus_delivered_total',
    help: 'Events delivered to subscribers in this process, by type.',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'minefleet_event_bus_connected',
    help: 'Whether the event bus transport is connected (1) or not (0), by transport.',
    labelNames: ['transport'] as const,
    registers: [registry],
    collect() {
      this.set({ transport }, bus.state === undefined || bus.state === 'connected' ? 1 : 0);
    },
  });
  return {
    async publish(event) {
      try {
        await bus.publish(event);
        published.inc({ type: event.type, outcome: 'ok' });
      } catch (error) {
        published.inc({ type: event.type, outcome: 'error' });
        throw error;
      }
    },
    subscribe(filter, handler) {
      return bus.subscribe(filter, (event) => {
        delivered.inc({ type: event.type });
        handler(event);
      });
    },
    close: () => bus.close(),
    /** The transport's state (NATS: connected, reconnecting, closed), for /health. */
    get state() {
      return bus.state ?? 'connected';
    },
  };
}
