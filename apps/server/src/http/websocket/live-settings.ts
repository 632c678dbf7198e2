import type { AccountService } from '@minefleet/services/accounts';
import type { AuditLog } from '@minefleet/services/audit';
import type { LifecycleService } from '@minefleet/services/lifecycle/lifecycle-service';
import type { Logger } from '@minefleet/services/logger';
import type { RequestContexts } from '../../observability/request-context.js';
import type { LiveHub } from './live-hub.js';

export interface LiveSettings {
  /** Messages queued for the client before the oldest are dropped. */
  queueSize: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  /** Time allowed for the first (auth) message. */
  authTimeoutMs: number;
  /** How often the token is checked again (a revoked key or removed member is cut off within it). */
  revalidateMs: number;
  /** Servers one connection may watch. */
  maxSubscriptions: number;
  /** Client messages allowed per 10 s. */
  maxMessagesPer10s: number;
}

export const DEFAULT_LIVE_SETTINGS: LiveSettings = {
  queueSize: 1_000,
  pingIntervalMs: 30_000,
  idleTimeoutMs: 600_000,
  authTimeoutMs: 5_000,
  revalidateMs: 60_000,
  maxSubscriptions: 1_000,
  maxMessagesPer10s: 2_000,
};

/** Counters the route reports to Prometheus. */
export interface LiveStats {
  sent(type: string): void;
  dropped(count: number): void;
}

export interface LiveConnectionDeps {
  accounts: Pick<AccountService, 'authenticate'>;
  lifecycle: Pick<LifecycleService, 'authorize' | 'sendCommand'>;
  audit: AuditLog;
  hub: LiveHub;
  contexts: RequestContexts;
  logger: Logger;
  settings: LiveSettings;
  stats: LiveStats;
  now: () => number;
}
