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
  types?: readonly PlatformEventType[];
}

export interface EventSubscription {
  unsubscribe(): Promise<void>;
}

/**
 * Publish/subscribe of platform events. Adapters: in-process (default) and NATS JetStream (several
 * replicas). Delivery is at-most-once to live subscribers; a slow handler must not block publishers
 * (adapters call handlers synchronously and handlers queue work themselves).
 */
export interface EventBus {
  publish(event: PlatformEvent): Promise<void>;
  subscribe(filter: EventFilter, handler: (event: PlatformEvent) => void): Promise<EventSubscription>;
  close(): Promise<void>;
}
