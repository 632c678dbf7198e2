import { Gauge, type Registry } from 'prom-client';
import type { Database } from '@minefleet/db/database';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import { backupFreshness, type BackupFreshness } from '@minefleet/services/backups/backup-freshness';

export interface PlatformGaugeSettings {
  /** A database ping slower than this counts as down (the scrape must not hang on a dead database). */
  dbTimeoutMs: number;
  /** How long a backup store check is reused, and how long one may take. */
  storeCacheMs: number;
  storeTimeoutMs: number;
  /** How long the backup freshness query is reused (it reads every backup schedule). */
  freshnessCacheMs: number;
}

export const DEFAULT_PLATFORM_GAUGE_SETTINGS: PlatformGaugeSettings = {
  dbTimeoutMs: 2_000,
  storeCacheMs: 30_000,
  storeTimeoutMs: 10_000,
  freshnessCacheMs: 60_000,
};

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Reuses one answer for `ttlMs`; concurrent scrapes share the pending one. */
function cached<T>(ttlMs: number, now: () => number, load: () => Promise<T>): () => Promise<T> {
  let entry: { at: number; value: Promise<T> } | undefined;
  return () => {
    if (!entry || now() - entry.at >= ttlMs) entry = { at: now(), value: load() };
    return entry.value;
  };
}

/** Calls made while one is pending share it; the next call after it settled starts a new one. */
function whilePending<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= load().finally(() => {
      pending = undefined;
    }));
}

/**
 * What the alert rules need about the platform's own dependencies (deploy/monitoring/alerts.yml),
 * measured when Prometheus scrapes: database reachability and latency, backup store reachability, and
 * for every server with a backup schedule when a backup last succeeded and how often one is planned.
 */
export function registerPlatformGauges(
  registry: Registry,
  deps: {
    database: Database;
    backupStore: BackupStore;
    now: () => number;
    onError: (what: string, error: unknown) => void;
  },
  settings: PlatformGaugeSettings = DEFAULT_PLATFORM_GAUGE_SETTINGS,
): void {
  const { database, backupStore, now } = deps;

  // Both database gauges read one ping per scrape: they are collected together, and share it while pending.
  const ping = whilePending(async (): Promise<number | null> => {
    try {
      return await withTimeout(database.ping(), settings.dbTimeoutMs, 'database ping');
    } catch (error) {
      deps.onError('database', error);
      return null;
    }
  });
  new Gauge({
    name: 'minefleet_db_up',
    help: '1 when a trivial query answered within the timeout at this scrape, 0 otherwise.',
    registers: [registry],
    async collect() {
      this.set((await ping()) === null ? 0 : 1);
    },
  });
  new Gauge({
    name: 'minefleet_db_ping_seconds',
    help: 'Round trip of a trivial database query at this scrape (NaN when it failed).',
    registers: [registry],
    async collect() {
      const ms = await ping();
      this.set(ms === null ? Number.NaN : ms / 1000);
    },
  });

  const storeUp = cached(settings.storeCacheMs, now, async () => {
    try {
      await withTimeout(backupStore.check(), settings.storeTimeoutMs, 'backup store check');
      return 1;
    } catch (error) {
      deps.onError('backup store', error);
      return 0;
    }
  });
  new Gauge({
    name: 'minefleet_backup_store_up',
    help: '1 when the backup store answered its check (cached 30 s), 0 otherwise.',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      this.set({ kind: backupStore.kind }, await storeUp());
    },
  });

  const freshness = cached(settings.freshnessCacheMs, now, async (): Promise<BackupFreshness[] | null> => {
    try {
      return await backupFreshness(database, now());
    } catch (error) {
      deps.onError('backup freshness', error);
      return null;
    }
  });
  const labels = (f: BackupFreshness) => ({
    server_id: f.serverId,
    server_name: f.serverName,
    tenant_id: f.tenantId,
  });
  const perServer = (name: string, help: string, value: (f: BackupFreshness) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['server_id', 'server_name', 'tenant_id'] as const,
      registers: [registry],
      async collect() {
        const rows = await freshness();
        // Keep the last known values while the database does not answer (minefleet_db_up says why).
        if (rows === null) return;
        this.reset();
        for (const f of rows) this.set(labels(f), value(f));
      },
    });
  perServer(
    'minefleet_backup_last_success_timestamp_seconds',
    'Newest completed backup of a server with an enabled backup schedule (or the schedule’s last change, when later).',
    (f) => f.lastSuccessAt / 1000,
  );
  perServer(
    'minefleet_backup_schedule_interval_seconds',
    'Smallest gap between two planned runs of the server’s enabled backup schedules.',
    (f) => f.intervalMs / 1000,
  );
}
