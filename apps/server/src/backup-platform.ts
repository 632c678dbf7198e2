import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { tarArchiveEngine } from '@minefleet/backups/archive-engine';
import { createBackupStore } from '@minefleet/backups/create-store';
import type { Database } from '@minefleet/db/database';
import type { Clock } from '@minefleet/domain/clock';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { BackupRecovery } from '@minefleet/services/backups/backup-recovery';
import { BackupRestorer } from '@minefleet/services/backups/backup-restorer';
import { BackupService } from '@minefleet/services/backups/backup-service';
import { serverArchivesOf } from '@minefleet/services/backups/local-server-archives';
import { RetentionJob } from '@minefleet/services/backups/retention-job';
import { WorkerPresence } from '@minefleet/services/backups/worker-presence';
import { Leases } from '@minefleet/services/leases';
import type { LifecycleHooks, LifecycleService } from '@minefleet/services/lifecycle/lifecycle-service';
import type { Logger } from '@minefleet/services/logger';
import type { Ownership } from '@minefleet/services/ownership/ownership';
import { ScheduleActions } from '@minefleet/services/schedules/schedule-actions';
import { Scheduler } from '@minefleet/services/schedules/scheduler';
import { ScheduleService } from '@minefleet/services/schedules/schedule-service';
import type { BackupConfig } from './backup-config.js';
import { backupRoutes } from './http/routes/backups.js';
import type { AccountService } from '@minefleet/services/accounts';
import { scheduleRoutes } from './http/routes/schedules.js';
import { Backup, BackupQuota, RetentionPolicy } from './http/schemas/backups.js';
import { Schedule, ScheduleRun } from './http/schemas/schedules.js';
import type { ServerAddressing } from './http/serializers.js';

export interface BackupPlatform {
  store: BackupStore;
  backups: BackupService;
  routes: FastifyPluginAsyncTypebox[];
  extraSchemas: { $id?: string }[];
  /**
   * For the lifecycle: the final backup (or removal of backups) when a server is deleted, and whether a
   * replica still runs (its worker presence: a restore it ran ends when it does not).
   */
  hooks: Required<Pick<LifecycleHooks, 'beforeRemove' | 'replicaAlive'>>;
  /** Before the lifecycle's first reconcile: server folders left mid-restore are put right. */
  recoverFolders(): Promise<void>;
  /** After the lifecycle adopted running servers: interrupted jobs failed, scheduler and retention started. */
  start(): Promise<void>;
  /** Stops the scheduler and the loops, and waits for jobs in progress. */
  stop(): Promise<void>;
}

/**
 * Backups, restores, schedules and retention (docs/backups.md), wired over the archive engine and the
 * backup store chosen here (local folder, or S3 when MINEFLEET_S3_BUCKET is set). Kept out of
 * control-plane.ts so the composition root stays readable.
 */
export function createBackupPlatform(options: {
  config: BackupConfig;
  database: Database;
  runtime: RuntimeDriver;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  lifecycle: LifecycleService;
  ownership: Ownership;
  /** `leases` when several control planes may share the database. */
  ownershipMode: 'sole' | 'leases';
  leaseTtlMs: number;
  /** Tests put a failing store here; otherwise the configuration decides. */
  store?: BackupStore | undefined;
  warmupTimeoutMs: number;
  /** The platform default of a tenant's backup storage (MINEFLEET_QUOTA_BACKUP_BYTES). */
  quotaBytes: number;
  /** Host of the game addresses in server answers (restores answer with the server). */
  addressing: ServerAddressing;
  /** Issues the download links the dashboard uses (a browser download cannot send a header). */
  accounts: AccountService;
}): BackupPlatform {
  const { config, database, runtime, events, clock, lifecycle, ownership } = options;
  const logger = options.logger.child({ component: 'backups' });
  const store = options.store ?? createBackupStore(config.store);
  const workerId = ownership.replicaId;
  const presence = new WorkerPresence(
    workerId,
    options.ownershipMode === 'leases'
      ? { kind: 'leases', leases: new Leases(database), ttlMs: options.leaseTtlMs, logger }
      : { kind: 'sole' },
  );
  // The archive engine on the server folders of this machine, or the driver's (a pod's agent runs it).
  const archives = serverArchivesOf(runtime, tarArchiveEngine);
  const backups = new BackupService({
    db: database,
    store,
    engine: tarArchiveEngine,
    archives,
    runtime,
    events,
    clock,
    logger,
    lifecycle,
    workerId,
    settings: {
      defaultCompression: config.defaultCompression,
      saveTimeoutMs: config.saveTimeoutMs,
      lockWaitMs: config.lockWaitMs,
      quotaBytes: options.quotaBytes,
      orphanRetainDays: config.orphanRetainDays,
      preRestoreRetainDays: config.preRestoreRetainDays,
    },
  });
  const restorer = new BackupRestorer({
    db: database,
    store,
    archives,
    runtime,
    clock,
    logger,
    lifecycle,
    backups,
    warmupTimeoutMs: options.warmupTimeoutMs,
    workerId,
  });
  const recovery = new BackupRecovery({
    db: database,
    store,
    archives,
    runtime,
    runner: backups.runner,
    logger,
    workerId,
    workerAlive: (id) => presence.alive(id),
    owns: (id) => ownership.owns(id),
  });
  const retention = new RetentionJob({
    db: database,
    store,
    clock,
    logger,
    lifecycle,
    leads: () => ownership.leads(),
  });
  const schedules = new ScheduleService({
    db: database,
    clock,
    lifecycle,
    settings: { minIntervalMs: config.scheduler.minIntervalMs, maxPerServer: config.scheduler.maxPerServer },
  });
  const actions = new ScheduleActions({ lifecycle, backups });
  const scheduler = new Scheduler({
    db: database,
    clock,
    logger: logger.child({ component: 'scheduler' }),
    execute: (schedule) => actions.run(schedule),
    owns: (id) => ownership.owns(id),
    graceMs: config.scheduler.graceMs,
    tickMs: config.scheduler.tickMs,
  });
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweeping: Promise<unknown> | undefined;

  return {
    store,
    backups,
    routes: [
      backupRoutes({
        backups,
        restorer,
        retention,
        accounts: options.accounts,
        addressing: options.addressing,
      }),
      scheduleRoutes({ schedules }),
    ],
    extraSchemas: [Backup, BackupQuota, RetentionPolicy, Schedule, ScheduleRun],
    hooks: {
      beforeRemove: (server, opts) => backups.beforeRemove(server, opts),
      replicaAlive: (id) => presence.alive(id),
    },
    recoverFolders: () => recovery.recoverFolders(),
    async start() {
      await presence.start();
      const failed = await recovery.failInterrupted({ boot: true });
      if (failed > 0) logger.warn({ failed }, 'backups interrupted by the last stop marked failed');
      const interrupted = await scheduler.recover();
      if (interrupted > 0)
        logger.warn({ interrupted }, 'schedule runs interrupted by the last stop marked failed');
      scheduler.start();
      retention.start(config.retentionIntervalMs);
      const sweep = () => {
        sweeping = recovery
          .failInterrupted({ boot: false })
          .catch((error: unknown) => logger.error({ err: error }, 'backup sweep failed'))
          .finally(() => {
            sweeping = undefined;
            if (sweepTimer) sweepTimer = setTimeout(sweep, config.sweepIntervalMs).unref();
          });
      };
      sweepTimer = setTimeout(sweep, config.sweepIntervalMs).unref();
    },
    async stop() {
      clearTimeout(sweepTimer);
      sweepTimer = undefined;
      // First: running backups are aborted now (saving resumes on their games), not awaited for minutes.
      const closing = backups.close();
      await sweeping;
      await scheduler.close();
      await retention.close();
      await restorer.close();
      await closing;
      await presence.stop();
    },
  };
}
