import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { connectPglite, connectPostgres } from '@minefleet/db/connect';
import type { Database } from '@minefleet/db/database';
import { migrate } from '@minefleet/db/migrate';
import type { Clock } from '@minefleet/domain/clock';
import type { DistributionInfo, RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { AccountService } from '@minefleet/services/accounts';
import { ApiKeyService } from '@minefleet/services/api-keys';
import { AuditLog } from '@minefleet/services/audit';
import { AuthCache } from '@minefleet/services/auth-cache';
import { MemberService } from '@minefleet/services/members';
import { PortAllocator } from '@minefleet/services/port-allocator';
import { ServerService, type ServerRuntimeHooks } from '@minefleet/services/servers';
import { SkuService, seedSkus } from '@minefleet/services/skus';
import { SessionTokens } from '@minefleet/services/tokens';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import { createLocalDriver } from '@minefleet/runtime-local/create-local-driver';
import { ConfigManager } from '@minefleet/services/config-manager';
import { ConsoleService } from '@minefleet/services/console';
import {
  DEFAULT_LIFECYCLE_SETTINGS,
  LifecycleService,
  type LifecycleSettings,
} from '@minefleet/services/lifecycle/lifecycle-service';
import type { Config } from './config.js';
import { createBackupPlatform } from './backup-platform.js';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { LifecycleHooks } from '@minefleet/services/lifecycle/lifecycle-service';
import { createLiveAdapters, createLiveServices } from './live-platform.js';
import { RequestContexts } from './observability/request-context.js';
import type { Ownership } from '@minefleet/services/ownership/ownership';
import { configRoutes } from './http/routes/config.js';
import { consoleRoutes } from './http/routes/console.js';
import { powerRoutes } from './http/routes/power.js';
import { LogLine, Revision } from './http/schemas/power.js';
import { buildHttpApp } from './http/app.js';
import { dashboardPlugin } from './http/dashboard.js';
import { apiKeyRoutes } from './http/routes/api-keys.js';
import { authRoutes } from './http/routes/auth.js';
import { healthRoutes, type HealthCheck } from './http/routes/health.js';
import { meRoutes } from './http/routes/me.js';
import { memberRoutes } from './http/routes/members.js';
import { catalogueRoutes } from './http/routes/skus.js';
import { pluginCatalogueRoutes } from './http/routes/plugins.js';
import { serverPluginRoutes } from './http/routes/server-plugins.js';
import {
  Plugin,
  PluginInstallResult,
  PluginInstallation,
  PluginSummary,
  PluginVersion,
} from './http/schemas/plugins.js';
import { createPluginSources } from '@minefleet/plugins/plugin-sources-config';
import { ServerPluginFolder } from '@minefleet/plugins/server-plugin-folder';
import { PlatformAdmins } from '@minefleet/services/platform-admins';
import { PluginCatalogueService } from '@minefleet/services/plugins/catalogue-service';
import { PluginCatalogueSync } from '@minefleet/services/plugins/catalogue-sync';
import { PluginFiles } from '@minefleet/services/plugins/plugin-files';
import { PluginInstallService } from '@minefleet/services/plugins/install-service';
import { serverRoutes } from './http/routes/servers.js';
import { toBackup } from './http/backup-serializers.js';
import { toInstallation } from './http/plugin-serializers.js';
import { toLogLine, toPerformance } from './http/serializers.js';
import { scopeOf } from '@minefleet/services/actor';

export const VERSION = '0.1.0';

export interface ControlPlaneOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** An already open database (tests); otherwise one is opened from the config. */
  database?: Database;
  /** The runtime driver; the local driver in the data folder by default. */
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
  /** Starts background work (reconcile loop, schedulers) and listens on the configured port. */
  listen(): Promise<string>;
  /** Graceful stop: refuses new requests, lets in-flight ones finish, stops background work, closes the database. */
  close(): Promise<void>;
}

async function openDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl)
    return connectPostgres({ url: config.databaseUrl, maxConnections: config.databasePoolSize });
  const { database } = await connectPglite({ dataDir: path.join(config.dataDir, 'pglite') });
  return database;
}

/** A short-lived cache for the runtime's catalogue: checking for Java is not free. */
function cachedCatalogue(runtime: RuntimeDriver, ttlMs = 60_000): () => Promise<DistributionInfo[]> {
  let cached: { at: number; value: Promise<DistributionInfo[]> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > ttlMs) {
      const value = runtime.catalogue();
      cached = { at: now, value };
      value.catch(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
}

/** The composition root: builds every adapter and service once and wires them together. */
export async function createControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const { config } = options;
  const localRuntime = options.runtime ?? createLocalDriver({ dataDir: config.dataDir });
  const clock = options.clock ?? { now: () => Date.now() };
  const contexts = new RequestContexts();
  // Every line logged on a request's behalf (also by background work it started) carries its id.
  const logger = options.logger ?? pino({ level: config.logLevel, mixin: () => contexts.logFields() });
  const startedAt = Date.now();

  const database = options.database ?? (await openDatabase(config));
  const migrated = await migrate(database);
  if (migrated.applied.length > 0) logger.info({ applied: migrated.applied }, 'database migrated');
  await seedSkus(database);

  const metricsRegistry = new Registry();
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'minefleet_' });
  new Gauge({
    name: 'minefleet_db_pool_connections',
    help: 'Database pool connections by state.',
    labelNames: ['state'] as const,
    registers: [metricsRegistry],
    collect() {
      const stats = database.poolStats();
      this.set({ state: 'total' }, stats.total);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });

  const { events, runtime, ownership } = await createLiveAdapters({
    config: config.live,
    database,
    registry: metricsRegistry,
    logger,
    runtime: localRuntime,
    events: options.events,
  });

  const audit = new AuditLog(database, (error) => logger.error({ err: error }, 'audit write failed'));
  const tokens = new SessionTokens(config.jwtSecret, config.sessionTtlSeconds, clock);
  const authCache = new AuthCache(clock, config.authCacheTtlMs);
  const platformAdmins = new PlatformAdmins(database, config.plugins.platformAdmins);
  const accounts = new AccountService(database, tokens, audit, clock, authCache, platformAdmins);
  const apiKeys = new ApiKeyService(database, clock, authCache);
  const members = new MemberService(database, authCache);
  const skus = new SkuService(database);
  const ports = new PortAllocator(database, config.portRange);
  const catalogue = cachedCatalogue(runtime);
  // Filled in once the backup platform exists (it needs the lifecycle): the delete hook.
  const lifecycleHooks: LifecycleHooks = {};
  const lifecycle = new LifecycleService({
    db: database,
    runtime,
    events,
    clock,
    ports,
    logger: logger.child({ component: 'lifecycle' }),
    settings: {
      ...DEFAULT_LIFECYCLE_SETTINGS,
      // Replicas sharing servers must not kill a process another one is starting (docs/events.md).
      reapUnresponsive: config.live.ownership.mode === 'sole',
      ...options.lifecycle,
      bindHost: config.gameBindHost,
    },
    owns: (serverId) => ownership.owns(serverId),
    hooks: lifecycleHooks,
  });
  const hooks: ServerRuntimeHooks = { created: (server) => lifecycle.deployInBackground(server.id) };
  const servers = new ServerService({
    db: database,
    clock,
    skus,
    ports,
    catalogue,
    quotas: config.quotas,
    hooks,
  });
  const configManager = new ConfigManager({
    db: database,
    runtime,
    logger: logger.child({ component: 'config' }),
  });
  const consoleService = new ConsoleService({ lifecycle, runtime, events });
  const backupPlatform = createBackupPlatform({
    config: config.backups,
    dataDir: config.dataDir,
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
    gameHost: config.gameHost,
    accounts,
  });
  lifecycleHooks.beforeRemove = backupPlatform.hooks.beforeRemove;

  // Plugins: sources (adapters) chosen here, handed to the services through the PluginSource and
  // PluginFolder ports.
  const pluginSources = await createPluginSources(config.plugins);
  await platformAdmins.promoteConfigured();
  const pluginSync = new PluginCatalogueSync({
    db: database,
    sources: pluginSources,
    logger: logger.child({ component: 'plugin-sync' }),
    searchLimit: config.plugins.syncLimit,
  });
  const pluginCatalogue = new PluginCatalogueService({
    db: database,
    admins: platformAdmins,
    sync: pluginSync,
  });
  const pluginInstalls = new PluginInstallService({
    db: database,
    runtime,
    files: new PluginFiles(pluginSources, new ServerPluginFolder()),
    logger: logger.child({ component: 'plugins' }),
  });
  const interrupted = await pluginInstalls.failInterrupted();
  if (interrupted > 0)
    logger.warn({ interrupted }, 'plugin installs interrupted by the last stop marked failed');

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

  const checks: HealthCheck[] = [
    {
      name: 'backup_store',
      critical: false,
      cacheMs: config.healthCacheMs,
      run: async () => {
        await backupPlatform.store.check();
        return { status: 'ok', kind: backupPlatform.store.kind };
      },
    },
    {
      name: 'database',
      critical: true,
      run: async () => {
        const latency = await database.ping();
        return {
          status: latency > 500 ? 'degraded' : 'ok',
          backend: database.dialect,
          latency_ms: Math.round(latency * 100) / 100,
        };
      },
    },
    {
      name: 'runtime',
      critical: false,
      cacheMs: config.healthCacheMs,
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
          event_bus: config.live.nats ? 'nats' : 'in-process',
          ownership: ownership.describe(),
          websocket_connections: live.connections.open.size,
        });
      },
    },
  ];

  const app = await buildHttpApp({
    version: VERSION,
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    corsOrigins: config.corsOrigins,
    accounts,
    audit,
    metricsRegistry,
    apiRoutes: [
      healthRoutes({ version: VERSION, startedAt, checks }),
      authRoutes({
        accounts,
        loginRateLimitPerMinute: config.loginRateLimitPerMinute,
        signupRateLimitPerHour: config.signupRateLimitPerHour,
      }),
      meRoutes({ accounts, servers }),
      apiKeyRoutes({ apiKeys }),
      memberRoutes({ members }),
      catalogueRoutes({ skus, catalogue }),
      serverRoutes({
        servers,
        gameHost: config.gameHost,
        includes: {
          performance: async (actor, id) => {
            const sample = await live.metricsStore.latest(scopeOf(actor), id);
            return sample ? toPerformance(sample) : null;
          },
          logs: async (actor, id) =>
            (await consoleService.logs(actor, id, { tail: 50, page: 1, perPage: 50 })).lines.map(toLogLine),
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
          plugins: async (actor, id) => (await pluginInstalls.list(actor, id)).map(toInstallation),
        },
      }),
      powerRoutes({ lifecycle, gameHost: config.gameHost }),
      configRoutes({ config: configManager, gameHost: config.gameHost }),
      consoleRoutes({ console: consoleService, clock }),
      pluginCatalogueRoutes({ catalogue: pluginCatalogue }),
      serverPluginRoutes({ installs: pluginInstalls }),
      ...live.routes,
      ...backupPlatform.routes,
    ],
    extraSchemas: [
      LogLine,
      Revision,
      PluginVersion,
      PluginSummary,
      Plugin,
      PluginInstallation,
      PluginInstallResult,
      ...live.extraSchemas,
      ...backupPlatform.extraSchemas,
    ],
    rootPlugins: [dashboardPlugin()],
    requestContexts: contexts,
    metricsToken: config.live.metrics.token,
    closeWebSockets: () => live.connections.closeAll(),
  });

  let closed = false;
  return {
    app,
    database,
    logger,
    lifecycle,
    runtime,
    events,
    ownership,
    async listen() {
      // Ownership first: the lifecycle's first reconcile covers the servers this replica owns.
      await ownership.start();
      await backupPlatform.recoverFolders();
      await lifecycle.startBackground();
      await live.start();
      await backupPlatform.start();
      await pluginSync.start(config.plugins.syncIntervalMinutes * 60_000);
      return app.listen({ host: config.host, port: config.port });
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await live.stop();
      await backupPlatform.stop();
      await pluginSync.close();
      await pluginInstalls.close();
      await lifecycle.close();
      await runtime.close();
      await events.close();
      await database.close();
    },
  };
}
