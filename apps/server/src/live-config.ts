import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { natsOptionsFromEnv } from '@minefleet/event-bus/nats-config';

/**
 * Configuration of the live platform: metrics collection and retention, Prometheus, the
 * WebSocket, the event bus transport and multi-replica ownership. Read by `loadConfig`; every variable
 * is in README.md's table and docs/metrics.md, docs/websocket.md, docs/events.md.
 */
export interface LiveConfig {
  metrics: {
    intervalMs: number;
    retention: { rawMs: number; minuteMs: number; hourMs: number };
    sessionRetentionMs: number;
    /** Bearer token required by GET /metrics; unset: /metrics is public. */
    token: string | undefined;
  };
  websocket: {
    maxConnections: number;
    /** Messages queued per connection before the oldest are dropped. */
    queueSize: number;
    pingIntervalMs: number;
    /** A connection with no subscription and no message for this long is closed. */
    idleTimeoutMs: number;
  };
  /** How long audit events are kept: a tenant's, and those of no tenant (failed sign-ins). */
  auditRetention: { tenantMs: number; tenantlessMs: number };
  /** Server-Sent Events console streams (GET /servers/{id}/console/stream). */
  consoleStreams: { recheckMs: number; maxPerUser: number };
  /** NATS JetStream settings when NATS_URL is set (else the in-process bus). */
  nats: ReturnType<typeof natsOptionsFromEnv>;
  ownership: {
    /** `sole`: this replica owns every server (embedded database); `leases`: shared through the database. */
    mode: 'sole' | 'leases';
    replicaId: string;
    shards: number;
    leaseTtlMs: number;
  };
}

export class LiveConfigError extends Error {}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new LiveConfigError(`${name} must be a number from ${min} to ${max} (got "${raw}").`);
  }
  return value;
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = number(env, name, fallback, min, max);
  if (!Number.isInteger(value))
    throw new LiveConfigError(`${name} must be a whole number (got "${env[name]}").`);
  return value;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function loadLiveConfig(env: NodeJS.ProcessEnv): LiveConfig {
  const token = env.MINEFLEET_METRICS_TOKEN?.trim() || undefined;
  if (token !== undefined && token.length < 16) {
    throw new LiveConfigError('MINEFLEET_METRICS_TOKEN must be at least 16 characters.');
  }
  const mode = (env.MINEFLEET_OWNERSHIP || 'auto').trim();
  if (mode !== 'auto' && mode !== 'sole' && mode !== 'leases') {
    throw new LiveConfigError(`MINEFLEET_OWNERSHIP must be auto, sole or leases (got "${mode}").`);
  }
  const replicaId = (
    env.MINEFLEET_REPLICA_ID || `${os.hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  ).trim();
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(replicaId)) {
    throw new LiveConfigError('MINEFLEET_REPLICA_ID must be 1–100 characters of A-Z a-z 0-9 . _ -.');
  }
  let nats: LiveConfig['nats'];
  try {
    nats = natsOptionsFromEnv(env);
  } catch (error) {
    throw new LiveConfigError((error as Error).message);
  }
  return {
    metrics: {
      intervalMs: Math.round(number(env, 'MINEFLEET_METRICS_INTERVAL_SECONDS', 10, 0.2, 3600) * 1000),
      retention: {
        rawMs: number(env, 'MINEFLEET_METRICS_RAW_RETENTION_HOURS', 24, 1, 24 * 365) * HOUR,
        minuteMs: number(env, 'MINEFLEET_METRICS_1M_RETENTION_DAYS', 7, 1, 3650) * DAY,
        hourMs: number(env, 'MINEFLEET_METRICS_1H_RETENTION_DAYS', 90, 1, 3650) * DAY,
      },
      sessionRetentionMs: number(env, 'MINEFLEET_PLAYER_SESSIONS_RETENTION_DAYS', 90, 1, 3650) * DAY,
      token,
    },
    websocket: {
      maxConnections: integer(env, 'MINEFLEET_WS_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
      queueSize: integer(env, 'MINEFLEET_WS_QUEUE_SIZE', 1_000, 10, 100_000),
      pingIntervalMs: Math.round(number(env, 'MINEFLEET_WS_PING_SECONDS', 30, 1, 3600) * 1000),
      idleTimeoutMs: Math.round(number(env, 'MINEFLEET_WS_IDLE_SECONDS', 600, 5, 86_400) * 1000),
    },
    auditRetention: {
      tenantMs: number(env, 'MINEFLEET_AUDIT_RETENTION_DAYS', 365, 1, 36500) * DAY,
      tenantlessMs: number(env, 'MINEFLEET_AUDIT_ANONYMOUS_RETENTION_DAYS', 30, 1, 36500) * DAY,
    },
    consoleStreams: {
      recheckMs: Math.round(number(env, 'MINEFLEET_CONSOLE_STREAM_RECHECK_SECONDS', 60, 0.2, 3600) * 1000),
      maxPerUser: integer(env, 'MINEFLEET_CONSOLE_STREAMS_PER_USER', 4, 1, 1000),
    },
    nats,
    ownership: {
      // The embedded database cannot be shared, so it means one replica; a PostgreSQL server may be.
      mode: mode === 'auto' ? (env.DATABASE_URL ? 'leases' : 'sole') : mode,
      replicaId,
      shards: integer(env, 'MINEFLEET_OWNERSHIP_SHARDS', 16, 1, 1024),
      leaseTtlMs: Math.round(number(env, 'MINEFLEET_LEASE_TTL_SECONDS', 15, 1, 600) * 1000),
    },
  };
}
