import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { connectPglite, connectPostgres } from '@minefleet/db/connect';
import type { Database } from '@minefleet/db/database';
import { migrate } from '@minefleet/db/migrate';
import { installServerListVersions, watchServerChanges } from '@minefleet/db/server-changes';
import { DatabaseUpkeep } from '@minefleet/db/upkeep';
import type { Clock } from '@minefleet/domain/clock';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { createLocalDriver } from '@minefleet/runtime-local/create-local-driver';
import { scopeOf } from '@minefleet/services/actor';
import { AuditLog } from '@minefleet/services/audit';
import {
  DEFAULT_LIFECYCLE_SETTINGS,
  type LifecycleService,
  type LifecycleSettings,
} from '@minefleet/services/lifecycle/lifecycle-service';
import type { Ownership } from '@minefleet/services/ownership/ownership';
import { seedSkus } from '@minefleet/services/skus';
import { createBackupPlatform } from './backup-platform.js';
import type { Config } from './config.js';
import { sweepAtStart } from './crash-leftovers.js';
import { privatiseTree } from './data-folder.js';
import { createFilesPlatform } from './files-platform.js';
import { registerPlatformGauges } from './observability/platform-gauges.js';
import { DISABLED_GATEWAY } from './gateway-config.js';
import { createGatewayPlatform } from './gateway-platform.js';
import { controlPlaneChecks, createMetricsRegistry } from './health-checks.js';
import { buildHttpApp } from './http/app.js';
import { toBackup } from './http/backup-serializers.js';
import { dashboardPlugin } from './http/dashboard.js';
import { toInstallation } from './http/plugin-serializers.js';
import { healthRoutes } from './http/routes/health.js';
import { platformAdminRoutes } from './http/routes/platform-admin.js';
import type { ServerIncludes } from './http/routes/servers.js';
import { toLogLine, toPerformance } from './http/serializers.js';
import { createIdentityPlatform } from './identity-platform.js';
import { createKubernetesRuntime } from './kubernetes-runtime.js';
import { isolationWarning } from './isolation-check.js';
import { createLiveAdapters, createLiveServices } from './live-platform.js';
import { RequestContexts } from './observability/request-context.js';
import { OnlinePlatformBackups } from './platform-backup-online.js';
import { schedulePlatformBackups } from './platform-backup-metrics.js';
import { createPlayersPlatform } from './players-platform.js';
import { createPluginsPlatform } from './plugins-platform.js';
import { createServersPlatform } from './servers-platform.js';
import { StorageWatcher } from '@minefleet/services/storage/storage-watcher';
import { VERSION } from './version.js';
import { IdleMemory } from './idle-memory.js';
import { Histogram } from 'prom-client';

export { VERSION };

export interface ControlPlaneOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** An already open database (tests); otherwise one is opened from the config. */
  database?: Database;
  /** The runtime driver; by default the one MINEFLEET_RUNTIME names (local processes in the data folder). */
  runtime?: RuntimeDriver;
  /** The event bus; NATS when NATS_URL is set, else in-process. */
  events?: EventBus;
  /**
   * Lifecycle timings (tests shorten them). `monitorIntervalMs` (older tests) sets the metrics collector's
   * interval, which took over the lifecycle's player-count loop.
   */
  lifecycle?: Partial<Omit<LifecycleSettings, 'bindHost'>> & { monitorIntervalMs?: number };
  /** Metrics collector interval (tests shorten it); MINEFLEET_METRICS_INTERVAL_SECONDS otherwise. */
  metricsIntervalMs?: number;
  /** The backup store; from the environment (local folder or S3) by default. Fault tests pass a failing one. */
  backupStore?: BackupStore;
}

export interface ControlPlane {
  app: FastifyInstance;
  database: Database;
  logger: Logger;
  lifecycle: LifecycleService;
  runtime: RuntimeDriver;
  events: EventBus;
  ownership: Ownership;
  /** The Minecraft gateway's address once listening (undefined when it is off). */
  gatewayAddress(): { host: string; port: number } | undefined;
  /** Starts background work (reconcile loop, schedulers) and listens on the configured port. */
  listen(): Promise<string>;
  /** Graceful stop: refuses new requests, lets in-flight ones finish, stops background work, closes the database. */
  close(): Promise<void>;
}

async function openDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl)
    return connectPostgres({ url: config.databaseUrl, maxConnections: config.databasePoolSize });
  const { database } = await connectPglite({
    dataDir: path.join(config.dataDir, 'pglite'),
    sharedBuffersMb: config.pgliteSharedBuffersMb,
  });
  await privatiseTree(path.join(config.dataDir, 'pglite'));
  return database;
}

/** The composition root: builds every adapter and service once and wires them together. */
export async function createControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { config } = options;
  const localRuntime =
    options.runtime ??
    (config.runtimeKind === 'kubernetes'
      ? await createKubernetesRuntime(config.kubernetes)
      : createLocalDriver({ dataDir: config.dataDir, ...config.runtime }));
  const clock = options.clock ?? { now: () => Date.now() };
  const contexts = new RequestContexts();
  // Every line logged on a request's behalf (also by background work it started) carries its id.
  const logger = options.logger ?? pino({ level: config.logLevel, mixin: () => contexts.logFields() });
  const startedAt = Date.now();

  const database = options.database ?? (await openDatabase(config));
  const migrated = await migrate(database);
  if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
  await seedSkus(database);
  const upkeep = new DatabaseUpkeep(database, config.databaseUpkeepMinutes * 60_000, (error) =>
    logger.warn({ err: error }, 'database upkeep failed'),
  );
  await upkeep.start();
  const metricsRegistry = createMetricsRegistry(database);

  const { events, runtime, ownership } = await createLiveAdapters({
    config: config.live,
    database,
    registry: metricsRegistry,
    logger,
    runtime: localRuntime,
    events: options.events,
  });

  const audit = new AuditLog(database, (error) => logger.error({ err: error }, 'audit write failed'));
  const identity = createIdentityPlatform({ config, database, clock, audit, logger });
  const { accounts } = identity;
  const core = await createServersPlatform({
    watchServerChanges: async (onChange) => (await watchServerChanges(database, onChange)) !== undefined,
    serverListVersions: () =>
      installServerListVersions(database, (error) =>
        logger.warn({ err: error }, 'server list versions not installed: every list reads the database'),
      ),
    config,
    database,
    runtime,
    events,
    clock,
    logger,
    ownership,
    accounts,
    lifecycle: options.lifecycle,
  });
  const { lifecycle } = core;
  const storageWatcher = new StorageWatcher({
    db: database,
    lifecycle,
    storage: runtime,
    logger: logger.child({ component: 'storage' }),
    intervalMs: config.storageCheckSeconds * 1000,
    owns: (serverId) => ownership.owns(serverId),
  });
  const backupPlatform = createBackupPlatform({
    config: config.backups,
    database,
    runtime,
    events,
    clock,
    logger,
    lifecycle,
    ownership,
    ownershipMode: config.live.ownership.mode,
    leaseTtlMs: config.live.ownership.leaseTtlMs,
    store: options.backupStore,
    warmupTimeoutMs: options.lifecycle?.warmupTimeoutMs ?? DEFAULT_LIFECYCLE_SETTINGS.warmupTimeoutMs,
    quotaBytes: config.quotas.backupStorageBytes,
    addressing: core.addressing,
    accounts,
  });
  core.lifecycleHooks.beforeRemove = backupPlatform.hooks.beforeRemove;
  core.lifecycleHooks.replicaAlive = backupPlatform.hooks.replicaAlive;
  registerPlatformGauges(metricsRegistry, {
    database,
    backupStore: backupPlatform.store,
    now: () => Date.now(),
    onError: (what, error) => logger.debug({ err: error }, `metrics: ${what} check failed`),
  });
  const gatewayPlatform = createGatewayPlatform({
    config: config.gateway ?? DISABLED_GATEWAY,
    database,
    lifecycle,
    runtime,
    events,
    clock,
    logger,
    audit,
    registry: metricsRegistry,
    owns: (serverId) => ownership.owns(serverId),
    region: config.region,
  });
  await identity.platformAdmins.promoteConfigured();
  const plugins = await createPluginsPlatform({
    config: config.plugins,
    database,
    runtime,
    logger,
    admins: identity.platformAdmins,
  });
  const live = createLiveServices({
    config: config.live,
    database,
    registry: metricsRegistry,
    logger,
    clock,
    events,
    runtime,
    ownership,
    contexts,
    accounts,
    audit,
    lifecycle,
    metricsIntervalMs: options.metricsIntervalMs ?? options.lifecycle?.monitorIntervalMs,
  });
  const filesPlatform = createFilesPlatform({
    database,
    runtime,
    accounts,
    config: core.configManager,
    housekeepingIntervalMinutes: config.files?.housekeepingIntervalMinutes ?? 60,
    logger,
  });
  const playersPlatform = createPlayersPlatform({
    config: config.players,
    database,
    lifecycle,
    runtime,
    configManager: core.configManager,
    clock,
  });

  const checks = controlPlaneChecks({
    cacheMs: config.healthCacheMs,
    database,
    backupStore: backupPlatform.store,
    runtime,
    catalogue: core.catalogue,
    events,
    eventBus: config.live.nats ? 'nats' : 'in-process',
    ownership,
    openConnections: () => live.connections.open.size,
    localRuntime,
  });
  const uncontained = isolationWarning(localRuntime);
  if (uncontained) logger.warn(uncontained);
  sweepAtStart(
    { dataDir: config.dataDir, storeKind: backupPlatform.store.kind, store: config.backups.store },
    logger,
  );

  const onlineBackups = new OnlinePlatformBackups({
    dataDir: config.dataDir,
    databaseUrl: database.url,
    database,
  });
  const platformSchedule = schedulePlatformBackups({
    backups: onlineBackups,
    store: backupPlatform.store,
    settings: config.backups.platform,
    leads: () => ownership.leads(),
    now: () => clock.now(),
    logger: logger.child({ component: 'platform-backup' }),
    registry: metricsRegistry,
  });

  // What GET /servers/{id}?include= adds from the other platforms.
  const includes: ServerIncludes = {
    performance: async (actor, id) => {
      const sample = await live.metricsStore.latest(scopeOf(actor), id);
      return sample ? toPerformance(sample) : null;
    },
    logs: async (actor, id) =>
      (await core.console.logs(actor, id, { tail: 50, page: 1, perPage: 50 })).lines.map(toLogLine),
    backups: async (actor, id) =>
      (
        await backupPlatform.backups.list(actor, {
          serverId: id,
          serverMustExist: true,
          sort: '-created_at',
          page: 1,
          perPage: 10,
        })
      ).items.map(toBackup),
    plugins: async (actor, id) => (await plugins.installs.list(actor, id)).map(toInstallation),
  };
  // Registration order is the order of the API document (and of the generated client).
  const features = [plugins, live, backupPlatform, playersPlatform, filesPlatform, gatewayPlatform];
  const app = await buildHttpApp({
    version: VERSION,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    corsOrigins: config.corsOrigins,
    trustProxy: config.identity.trustedProxies,
    accounts,
    audit,
    metricsRegistry,
    apiRoutes: [
      healthRoutes({ version: VERSION, startedAt, checks }),
      ...identity.routes(core.servers),
      ...core.routes(includes),
      ...features.flatMap((feature) => feature.routes),
      platformAdminRoutes({
        admins: identity.platformAdmins,
        backups: onlineBackups,
        schedule: platformSchedule,
      }),
    ],
    extraSchemas: [...core.extraSchemas, ...features.flatMap((feature) => feature.extraSchemas)],
    rootPlugins: [dashboardPlugin()],
    requestContexts: contexts,
    metricsToken: config.live.metrics.token,
    closeWebSockets: () => live.connections.closeAll(),
  });

  // Requests and WebSocket upgrades: what tells a quiet control plane from a busy one.
  let requests = 0;
  const countRequest = () => void (requests += 1);
  app.server.on('request', countRequest).on('upgrade', countRequest);
  const idleCollections = new Histogram({
    name: 'minefleet_idle_collections_seconds',
    help: 'Memory-reducing collections run after a quiet window (MINEFLEET_IDLE_GC_SECONDS), by duration.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [metricsRegistry],
  });
  const idleMemory = new IdleMemory({
    quietMs: config.idleGcSeconds * 1000,
    activity: () => requests,
    log: logger,
    onCollected: (seconds) => idleCollections.observe(seconds),
  });

  let closed = false;
  let gatewayAddress: { host: string; port: number } | undefined;
  return {
    app,
    database,
    logger,
    lifecycle,
    runtime,
    events,
    ownership,
    gatewayAddress: () => gatewayAddress,
    async listen() {
      // Ownership first: the lifecycle's first reconcile covers the servers this replica owns.
      await ownership.start();
      await backupPlatform.recoverFolders();
      await lifecycle.startBackground();
      await live.start();
      await backupPlatform.start();
      await plugins.start();
      platformSchedule.start();
      filesPlatform.start();
      storageWatcher.start();
      gatewayAddress = await gatewayPlatform.start();
      const url = await app.listen({ host: config.host, port: config.port });
      identity.listening(url);
      idleMemory.start();
      return url;
    },
    async close() {
      if (closed) return;
      closed = true;
      idleMemory.stop();
      await app.close();
      await gatewayPlatform.stop();
      await live.stop();
      await platformSchedule.stop();
      await backupPlatform.stop();
      await filesPlatform.stop();
      await storageWatcher.close();
      await plugins.close();
      await lifecycle.close();
      await runtime.close();
      await events.close();
      await identity.close();
      await upkeep.stop();
      await database.close();
    },
  };
}
