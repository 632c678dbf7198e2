import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Database } from '@minefleet/db/database';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { DistributionInfo, RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { Ownership } from '@minefleet/services/ownership/ownership';
import type { HealthCheck } from './http/routes/health.js';
import { isolationCheck } from './isolation-check.js';

/** The Prometheus registry of the control plane: Node's own metrics and the database pool's. */
export function createMetricsRegistry(database: Database): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'minefleet_' });
  new Gauge({
    name: 'minefleet_db_pool_connections',
    help: 'Database pool connections by state.',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = database.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });
  return registry;
}

/**
 * How long the embedded database's ping answer is reused. It runs in this process, so its ping is
 * WebAssembly work on the request thread (about 0.2 ms of CPU, most of what a /health answer costs);
 * polled thousands of times a second, one ping per 250 ms says the same thing. A wedged database still
 * shows within this window plus the check's 2 s timeout. PostgreSQL is pinged on every request: it is
 * another process (or host) that can go away between two polls, and its ping costs this process little.
 */
export const EMBEDDED_PING_REUSE_MS = 250;

/** The database answers (the one critical check: nothing works without it). */
export function databaseCheck(database: Database): HealthCheck {
  return {
    name: 'database',
    critical: true,
    ...(database.dialect === 'pglite' ? { cacheMs: EMBEDDED_PING_REUSE_MS } : {}),
    run: async () => {
      const latency = await database.ping();
      return {
        status: latency > 500 ? 'degraded' : 'ok',
        backend: database.dialect,
        latency_ms: Math.round(latency * 100) / 100,
      };
    },
  };
}

/**
 * What /health checks: the backup store, the database (the only critical one), the runtime's
 * distributions, the live layer (event bus, ownership, WebSockets) and how game processes are contained.
 */
export function controlPlaneChecks(options: {
  /** How long a disk or store probe may be reused. */
  cacheMs: number;
  database: Database;
  backupStore: BackupStore;
  runtime: RuntimeDriver;
  catalogue: () => Promise<DistributionInfo[]>;
  events: EventBus;
  eventBus: 'nats' | 'in-process';
  ownership: Ownership;
  openConnections: () => number;
  /** The driver before instrumentation, which knows its isolation. */
  localRuntime: RuntimeDriver;
}): HealthCheck[] {
  const { cacheMs, database, backupStore, runtime, catalogue, events, ownership } = options;
  return [
    {
      name: 'backup_store',
      critical: false,
      cacheMs,
      run: async () => {
        await backupStore.check();
        return { status: 'ok', kind: backupStore.kind };
      },
    },
    databaseCheck(database),
    {
      name: 'runtime',
      critical: false,
      cacheMs,
      run: async () => {
        const dists = await catalogue();
        return {
          status: dists.some((d) => d.available) ? 'ok' : 'degraded',
          driver: runtime.name,
          distributions: Object.fromEntries(dists.map((d) => [d.distribution, d.available])),
        };
      },
    },
    {
      name: 'live',
      critical: false,
      run: () => {
        const bus = events as { state?: string };
        return Promise.resolve({
          status: bus.state === undefined || bus.state === 'connected' ? 'ok' : 'degraded',
          event_bus: options.eventBus,
          ownership: ownership.describe(),
          websocket_connections: options.openConnections(),
        });
      },
    },
    isolationCheck(options.localRuntime),
  ];
}
