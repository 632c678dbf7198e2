import { randomUUID } from 'node:crypto';
import type {
  EventBus,
  EventFilter,
  EventSubscription,
  PlatformEvent,
  PlatformEventType,
} from '@minefleet/domain/ports/event-bus';

/**
 * What the event-bus conformance suite (conformance.ts) works with: a collecting subscriber that can
 * wait for deliveries, and one sample event of each type.
 */

/** How long to wait for an expected delivery before failing. */
const DELIVERY_TIMEOUT_MS = 5_000;
/** How long after the probe saw everything a filtered subscriber may still (wrongly) receive. */
const SETTLE_MS = 50;

export interface Collector {
  events: PlatformEvent[];
  subscription: EventSubscription;
  /** Waits until at least `n` events arrived. */
  waitFor(n: number): Promise<void>;
  /** Waits for `n` events, then a little longer so that any unexpected extra one shows. */
  settle(n: number): Promise<void>;
}

export async function collect(bus: EventBus, filter: EventFilter): Promise<Collector> {
  const events: PlatformEvent[] = [];
  const subscription = await bus.subscribe(filter, (event) => {
    events.push(event);
  });
  const waitFor = (n: number) =>
    waitUntil(() => events.length >= n, `${n} events (got ${events.length}) for ${JSON.stringify(filter)}`);
  return {
    events,
    subscription,
    waitFor,
    async settle(n) {
      await waitFor(n);
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    },
  };
}

export async function waitUntil(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function messages(events: PlatformEvent[]): string[] {
  return events.map((e) => (e.type === 'console' ? e.data.message : e.type));
}

export function types(events: PlatformEvent[]): PlatformEventType[] {
  return events.map((e) => e.type);
}

export function consoleEvent(tenantId: string, serverId: string, message: string): PlatformEvent {
  return {
    type: 'console',
    tenantId,
    serverId,
    ts: new Date().toISOString(),
    data: { level: 'info', source: 'stdout', message },
  };
}

export function statusEvent(tenantId: string, serverId: string): PlatformEvent {
  return {
    type: 'status',
    tenantId,
    serverId,
    ts: new Date().toISOString(),
    data: { status: 'running', desired_state: 'running', status_reason: null },
  };
}

export function metricsEvent(tenantId: string, serverId: string): PlatformEvent {
  return {
    type: 'metrics',
    tenantId,
    serverId,
    ts: new Date().toISOString(),
    data: { players_online: 1, max_players: 20, cpu_percent: 3.5, memory_bytes: 1024 },
  };
}

export function backupEvent(tenantId: string, serverId: string): PlatformEvent {
  return {
    type: 'backup',
    tenantId,
    serverId,
    ts: new Date().toISOString(),
    data: { backup_id: randomUUID(), status: 'running', progress: 0.5 },
  };
}
