import type { ServerStatus, DesiredState } from '../server-state.js';
import type { ConsoleLine } from './runtime-driver.js';

/**
 * Platform events: one closed union shared by every producer and consumer (the WebSocket, the
 * dashboard's types via the API schema, other replicas through NATS). No stringly-typed event names.
 */
export type PlatformEvent =
  | EventEnvelope<'status', StatusEventData>
  | EventEnvelope<'console', ConsoleEventData>
  | EventEnvelope<'metrics', MetricsEventData>
  | EventEnvelope<'backup', BackupEventData>;

export type PlatformEventType = PlatformEvent['type'];
export const PLATFORM_EVENT_TYPES = [
  'status',
  'console',
  'metrics',
  'backup',
] as const satisfies readonly PlatformEventType[];

export interface EventEnvelope<T extends string, D> {
  type: T;
  tenantId: string;
  serverId: string;
  /** ISO-8601 time the event happened. */
  ts: string;
  data: D;
}

export interface StatusEventData {
  status: ServerStatus;
  desired_state: DesiredState;
  status_reason?: string | null;
}

export interface ConsoleEventData {
  level: ConsoleLine['level'];
  source: ConsoleLine['source'];
  message: string;
}

export interface MetricsEventData {
  players_online?: number;
  max_players?: number;
  cpu_percent?: number;
  memory_bytes?: number;
  disk_bytes?: number;
  tps?: number | null;
  mspt?: number | null;
  ping_ms?: number;
}

export interface BackupEventData {
  backup_id: string;
  status: string;
  /** 0..1 while running. */
  progress?: number;
  bytes?: number;
  error?: string | null;
}

/** Which events a subscriber wants; absent fields match everything. */
export interface EventFilter {
  tenantId?: string;
  serverId?: string;
  /** An empty list matches nothing (a subscriber that wants no stream gets no events). */
  types?: readonly PlatformEventType[];
}

/**
 * Whether an event passes a filter. Pure, so every adapter and the WebSocket layer apply the same rule
 * (a transport may pre-filter on subjects, but this is the definition).
 */
export function eventMatches(filter: EventFilter, event: PlatformEvent): boolean {
  if (filter.tenantId !== undefined && filter.tenantId !== event.tenantId) return false;
  if (filter.serverId !== undefined && filter.serverId !== event.serverId) return false;
  if (filter.types !== undefined && !filter.types.includes(event.type)) return false;
  return true;
}

/** Called once per matching event; must return quickly (queue work, e.g. into a BoundedQueue). */
export type EventHandler = (event: PlatformEvent) => void;

export interface EventSubscription {
  /** Idempotent. Once it resolves the handler is never called again. */
  unsubscribe(): Promise<void>;
}

/**
 * Publish/subscribe of platform events. Adapters: in-process (default) and NATS JetStream (several
 * replicas); both pass the conformance suite in packages/event-bus/src/conformance.ts.
 *
 * Guarantees every adapter keeps:
 * - Live, at-most-once delivery: a subscriber receives the matching events published after its
 *   `subscribe()` resolved, each at most once; nothing is replayed from before it subscribed.
 * - Per-server order: events of one server reach a subscriber in the order they were published (by one
 *   publisher; two replicas publishing for the same server are ordered by arrival at the transport).
 * - Publishing never waits for subscribers: `publish()` resolves once the transport accepted the event
 *   (in-process: at once; NATS: once the stream stored it). Handlers run synchronously on delivery and
 *   must queue slow work themselves; a handler that throws is reported and skipped, never breaks the bus.
 * - Tenant and server ids become transport subject tokens, so they must be non-empty and free of `.`,
 *   `*`, `>` and whitespace (UUIDs are); otherwise `publish`/`subscribe` throw VALIDATION_FAILED.
 * - After `close()` (idempotent) no handler is called again and `publish`/`subscribe` throw
 *   SHUTTING_DOWN.
 */
export interface EventBus {
  publish(event: PlatformEvent): Promise<void>;
  subscribe(filter: EventFilter, handler: EventHandler): Promise<EventSubscription>;
  close(): Promise<void>;
}
