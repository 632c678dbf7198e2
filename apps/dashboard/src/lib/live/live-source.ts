/**
 * The live data layer's one interface. Pages and stores subscribe to a server's streams through a
 * LiveSource and never know the transport: a Server-Sent Events stream per server (console + status),
 * or the WebSocket (`/api/v1/ws`, docs/websocket.md) when the control plane answers it, where the same
 * subscriptions run and metrics arrive live too.
 */
export type LiveStream = 'status' | 'metrics' | 'console';

export type LiveEvent =
  | { type: 'status'; server_id: string; ts: string; data: StatusData }
  | { type: 'console'; server_id: string; ts: string; data: ConsoleData }
  | { type: 'metrics'; server_id: string; ts: string; data: MetricsData }
  | { type: 'backup'; server_id: string; ts: string; data: BackupData }
  /** The transport dropped `count` events because this reader fell behind (bounded queues). */
  | { type: 'dropped'; server_id: string; ts: string; data: { count: number } };

export interface StatusData {
  status: string;
  desired_state: string;
  status_reason?: string | null;
}
export interface ConsoleData {
  level: string;
  source: string;
  message: string;
}
export interface MetricsData {
  players_online?: number;
  max_players?: number;
  cpu_percent?: number;
  memory_bytes?: number;
  disk_bytes?: number;
  tps?: number | null;
  mspt?: number | null;
  ping_ms?: number;
}
export interface BackupData {
  backup_id: string;
  status: string;
  progress?: number;
  bytes?: number;
  error?: string | null;
}

/**
 * `open`: events flow. `connecting`: first attempt. `reconnecting`: lost, retrying by itself.
 * `closed`: unsubscribed. `denied`: the API refused (role or missing server); not retried.
 */
export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'denied';

export interface Subscription {
  unsubscribe(): void;
}

export interface SubscribeOptions {
  onEvent: (event: LiveEvent) => void;
  onState?: (state: ConnectionState, detail?: string) => void;
}

export interface LiveSource {
  readonly transport: 'websocket' | 'sse';
  /** Streams this transport delivers live (the rest need polling). */
  readonly streams: readonly LiveStream[];
  subscribe(serverId: string, streams: readonly LiveStream[], options: SubscribeOptions): Subscription;
  close(): void;
}

/** Reconnection delays: quick at first, then every 15 s at most, with jitter so tabs do not align. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 500 * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.75 + random() * 0.5));
}
