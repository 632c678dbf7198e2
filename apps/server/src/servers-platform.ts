import os from 'node:os';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Logger } from 'pino';
import type { Database } from '@minefleet/db/database';
import type { Clock } from '@minefleet/domain/clock';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { DistributionInfo, RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { AccountService } from '@minefleet/services/accounts';
import { ConfigManager } from '@minefleet/services/config-manager';
import { ConsoleService } from '@minefleet/services/console';
import {
  DEFAULT_LIFECYCLE_SETTINGS,
  LifecycleService,
  type LifecycleHooks,
  type LifecycleSettings,
} from '@minefleet/services/lifecycle/lifecycle-service';
import type { Ownership } from '@minefleet/services/ownership/ownership';
import { PortAllocator } from '@minefleet/services/port-allocator';
import { ServerService } from '@minefleet/services/servers';
import { ServerCounts } from '@minefleet/services/server-counts';
import { ServerPages } from '@minefleet/services/server-pages';
import { SkuService } from '@minefleet/services/skus';
import type { Config } from './config.js';
import { ConsoleStreamGuard } from './http/console-stream-guard.js';
import { configRoutes } from './http/routes/config.js';
import { consoleRoutes } from './http/routes/console.js';
import { powerRoutes } from './http/routes/power.js';
import { serverRoutes, type ServerIncludes } from './http/routes/servers.js';
import { catalogueRoutes } from './http/routes/skus.js';
import { LogLine, Revision } from './http/schemas/power.js';
import { createServerAddressing } from './server-addressing.js';
import type { ServerAddressing } from './http/serializers.js';

export interface ServersPlatform {
  lifecycle: LifecycleService;
  servers: ServerService;
  configManager: ConfigManager;
  console: ConsoleService;
  /** The runtime's distributions, cached briefly. */
  catalogue: () => Promise<DistributionInfo[]>;
  /** Filled in by the platforms built later (the backups' hook before a server is removed). */
  lifecycleHooks: LifecycleHooks;
  /** Where players connect to a server, as the API shows it (server-addressing.ts). */
  addressing: ServerAddressing;
  /** Plans, servers (with what other platforms add to a server: `includes`), power, settings, console. */
  routes(includes: ServerIncludes): FastifyPluginAsyncTypebox[];
  extraSchemas: { $id?: string }[];
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

/** What the lifecycle is built from: the same in a control-plane replica and in the standalone gateway. */
export interface LifecycleOptions {
  config: Config;
  database: Database;
  runtime: RuntimeDriver;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  ownership: Ownership;
  /** Lifecycle timings (tests shorten them). */
  lifecycle?: Partial<Omit<LifecycleSettings, 'bindHost'>> | undefined;
}

/**
 * The lifecycle service with its port allocator (admission included) and hooks: what starts, stops
 * and watches servers. Every process that starts servers builds it here, so a start from the
 * standalone gateway (a wake) goes through the same admission and start path as a user's request.
 */
export function createLifecycle(
  options: LifecycleOptions & {
    /** Each tenant's server total, kept between writes where the database announces every one. */
    serverCounts?: ServerCounts | undefined;
  },
): {
  lifecycle: LifecycleService;
  lifecycleHooks: LifecycleHooks;
  ports: PortAllocator;
  serverCounts: ServerCounts | undefined;
} {
  const { config, database, runtime, events, clock, logger, ownership } = options;
  const { hostMemoryPercent, maxRunningPerTenant } = config.admission;
  const ports = new PortAllocator(database, config.portRange, {
    hostMemoryMb:
      hostMemoryPercent > 0 ? Math.floor((os.totalmem() / 1024 ** 2) * (hostMemoryPercent / 100)) : null,
    maxRunningPerTenant: maxRunningPerTenant > 0 ? maxRunningPerTenant : null,
  });
  const lifecycleHooks: LifecycleHooks = {};
  const { serverCounts } = options;
  const lifecycle = new LifecycleService({
    db: database,
    serverCounts,
    runtime,
    events,
    clock,
    ports,
    logger: logger.child({ component: 'lifecycle' }),
    settings: {
      ...DEFAULT_LIFECYCLE_SETTINGS,
      // Replicas sharing servers must not kill a process another one is starting (docs/events.md).
      reapUnresponsive: config.live.ownership.mode === 'sole',
      // A sole replica starts every server itself: a `starting` one without a process is gone at once.
      ...(config.live.ownership.mode === 'sole' ? { startGraceMs: 0 } : {}),
      startConcurrency: config.admission.startConcurrency,
      ...options.lifecycle,
      bindHost: config.gameBindHost,
    },
    owns: (serverId) => ownership.owns(serverId),
    replicaId: ownership.replicaId,
    hooks: lifecycleHooks,
  });
  return { lifecycle, lifecycleHooks, ports, serverCounts };
}

/** Servers and their lifecycle: plans, ports, the lifecycle service, settings and the console. */
export async function createServersPlatform(
  options: LifecycleOptions & {
    accounts: AccountService;
    /**
     * Called with the function to run on each write to a tenant's servers, if the database announces
     * every one (the embedded database: `@minefleet/db/server-changes`); it answers whether it will.
     * Then each tenant's server total and its serialised list pages are kept between writes.
     */
    watchServerChanges?: ((onChange: (tenantId: string) => void) => Promise<boolean>) | undefined;
    /**
     * Installs each tenant's server list version where the database can keep one (PostgreSQL:
     * `@minefleet/db/server-changes`) and answers whether it did; then list pages are kept per version.
     */
    serverListVersions?: (() => Promise<boolean>) | undefined;
  },
): Promise<ServersPlatform> {
  const { config, database, runtime, events, clock, logger } = options;
  const skus = new SkuService(database);
  const catalogue = cachedCatalogue(runtime);
  // The embedded database has one writer, this process, and announces each write to servers: each
  // tenant's total and list pages can be kept between writes. PostgreSQL may have other replicas
  // writing: there a page is kept with the tenant's server list version and checked on every read.
  const counts = new ServerCounts();
  const pages = new ServerPages();
  const watching =
    (await options.watchServerChanges?.((tenantId) => {
      counts.changed(tenantId);
      pages.changed(tenantId);
    })) ?? false;
  const pagesBy = watching ? 'announced' : (await options.serverListVersions?.()) ? 'versioned' : undefined;
  const serverCounts = watching ? counts : undefined;
  const { lifecycle, lifecycleHooks, ports } = createLifecycle({ ...options, serverCounts });
  const servers = new ServerService({
    db: database,
    clock,
    skus,
    ports,
    catalogue,
    quotas: config.quotas,
    region: config.region,
    hooks: { created: (server) => lifecycle.deployInBackground(server.id) },
    counts: serverCounts,
  });
  const configManager = new ConfigManager({
    db: database,
    runtime,
    logger: logger.child({ component: 'config' }),
  });
  const consoleService = new ConsoleService({ lifecycle, runtime, events });
  const addressing = createServerAddressing(config, database);
  return {
    lifecycle,
    servers,
    configManager,
    console: consoleService,
    catalogue,
    lifecycleHooks,
    addressing,
    routes: (includes) => [
      catalogueRoutes({ skus, catalogue }),
      serverRoutes({
        servers,
        addressing,
        includes,
        pages: pagesBy && { store: pages, by: pagesBy },
      }),
      powerRoutes({ lifecycle, addressing }),
      configRoutes({ config: configManager, addressing }),
      consoleRoutes({
        console: consoleService,
        clock,
        streams: new ConsoleStreamGuard(options.accounts, config.live.consoleStreams, () => clock.now()),
      }),
    ],
    extraSchemas: [LogLine, Revision],
  };
}
