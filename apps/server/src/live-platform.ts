import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import type { Database } from '@minefleet/db/database';
import type { Clock } from '@minefleet/domain/clock';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { InProcessEventBus } from '@minefleet/event-bus/in-process-event-bus';
import { NatsEventBus } from '@minefleet/event-bus/nats-event-bus';
import type { AccountService } from '@minefleet/services/accounts';
import type { AuditLog } from '@minefleet/services/audit';
import { Leases } from '@minefleet/services/leases';
import type { LifecycleService } from '@minefleet/services/lifecycle/lifecycle-service';
import type { Logger } from '@minefleet/services/logger';
import { DEFAULT_METRICS_SETTINGS, MetricsCollector } from '@minefleet/services/metrics/metrics-collector';
import { MetricsService } from '@minefleet/services/metrics/metrics-service';
import { MetricsStore } from '@minefleet/services/metrics/metrics-store';
import { PlayerSessions } from '@minefleet/services/metrics/player-sessions';
import { SoleOwnership, type Ownership } from '@minefleet/services/ownership/ownership';
import { ShardedOwnership } from '@minefleet/services/ownership/sharded-ownership';
import type { LiveConfig } from './live-config.js';
import { auditRoutes } from './http/routes/audit.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { AuditEvent } from './http/schemas/audit.js';
import { MetricSeries, PlayerSession } from './http/schemas/metrics.js';
import { DEFAULT_LIVE_SETTINGS } from './http/websocket/live-connection.js';
import { LiveConnections, liveRoutes } from './http/websocket/ws-route.js';
import { instrumentEventBus } from './observability/instrumented-event-bus.js';
import { instrumentRuntime } from './observability/instrumented-runtime.js';
import type { RequestContexts } from './observability/request-context.js';
import { registerServerGauges } from './observability/server-gauges.js';

/**
 * The live platform's adapters, chosen before the services are built: the event bus (NATS when
 * NATS_URL is set), the runtime and the bus instrumented for Prometheus, and ownership (leases when
 * replicas share the database). Kept out of control-plane.ts so the composition root stays readable.
 */
/** How often old audit events are deleted. */
const AUDIT_PRUNE_INTERVAL_MS = 3_600_000;

export async function createLiveAdapters(options: {
  config: LiveConfig;
  database: Database;
  registry: Registry;
  logger: Logger;
  runtime: RuntimeDriver;
  events?: EventBus | undefined;
  /** Ownership chosen by the caller (the standalone gateway owns nothing); else from the config. */
  ownership?: Ownership | undefined;
}): Promise<{ events: EventBus; runtime: RuntimeDriver; ownership: Ownership }> {
  const { config, logger, registry } = options;
  let bus: EventBus & { readonly state?: string };
  let transport: 'in-process' | 'nats' = 'in-process';
  if (options.events) bus = options.events;
  else if (config.nats) {
    transport = 'nats';
    const busLogger = logger.child({ component: 'event-bus' });
    bus = await NatsEventBus.connect({
      ...config.nats,
      name: config.ownership.replicaId,
      onError: (error, context) => busLogger.warn({ err: error, context }, 'event bus'),
    });
  } else
    bus = new InProcessEventBus({
      onError: (error, context) => logger.warn({ err: error, context }, 'event bus'),
    });
  const ownership: Ownership =
    options.ownership ??
    (config.ownership.mode === 'leases'
      ? new ShardedOwnership({
          leases: new Leases(options.database),
          replicaId: config.ownership.replicaId,
          shards: config.ownership.shards,
          ttlMs: config.ownership.leaseTtlMs,
          logger: logger.child({ component: 'ownership' }),
        })
      : new SoleOwnership(config.ownership.replicaId));
  return {
    events: instrumentEventBus(bus, registry, transport),
    runtime: instrumentRuntime(options.runtime, registry, logger.child({ component: 'runtime' })),
    ownership,
  };
}

export interface LiveServices {
  collector: MetricsCollector;
  connections: LiveConnections;
  /** Metrics samples (the newest one serves `GET /servers/{id}?include=performance`). */
  metricsStore: MetricsStore;
  routes: FastifyPluginAsyncTypebox[];
  extraSchemas: { $id?: string }[];
  /** Takes this replica's share of servers, then starts background work (after the lifecycle's). */
  start(): Promise<void>;
  /** Stops collecting and hands this replica's servers to the others. */
  stop(): Promise<void>;
}

/** The metrics collector, metrics/sessions/audit routes and the WebSocket, over the adapters above. */
export function createLiveServices(options: {
  config: LiveConfig;
  database: Database;
  registry: Registry;
  logger: Logger;
  clock: Clock;
  events: EventBus;
  runtime: RuntimeDriver;
  ownership: Ownership;
  contexts: RequestContexts;
  accounts: AccountService;
  audit: AuditLog;
  lifecycle: LifecycleService;
  metricsIntervalMs?: number | undefined;
}): LiveServices {
  const { config, database, registry, logger, clock, ownership, lifecycle } = options;
  const settings = {
    ...DEFAULT_METRICS_SETTINGS,
    intervalMs: options.metricsIntervalMs ?? config.metrics.intervalMs,
    retention: config.metrics.retention,
    sessionRetentionMs: config.metrics.sessionRetentionMs,
  };
  const store = new MetricsStore(database);
  const sessions = new PlayerSessions(database);
  const collector = new MetricsCollector({
    db: database,
    store,
    sessions,
    runtime: options.runtime,
    events: options.events,
    clock,
    logger: logger.child({ component: 'metrics' }),
    owns: (id) => ownership.owns(id),
    leads: () => ownership.leads(),
    settings,
  });
  registerServerGauges(registry, collector);
  const metrics = new MetricsService({
    store,
    sessions,
    clock,
    authorize: (actor, serverId) => lifecycle.authorize(actor, serverId, 'server.read'),
    rawIntervalSeconds: Math.max(1, Math.round(settings.intervalMs / 1000)),
    retention: settings.retention,
  });
  const connections = new LiveConnections();
  const routes = [
    metricsRoutes({ metrics, clock }),
    auditRoutes({ audit: options.audit, clock }),
    liveRoutes(
      {
        accounts: options.accounts,
        lifecycle,
        audit: options.audit,
        contexts: options.contexts,
        logger: logger.child({ component: 'websocket' }),
        events: options.events,
        registry,
        settings: {
          ...DEFAULT_LIVE_SETTINGS,
          queueSize: config.websocket.queueSize,
          pingIntervalMs: config.websocket.pingIntervalMs,
          idleTimeoutMs: config.websocket.idleTimeoutMs,
        },
        maxConnections: config.websocket.maxConnections,
      },
      connections,
    ),
  ];
  let unsubscribeOwnership: (() => void) | undefined;
  let auditPruning: NodeJS.Timeout | undefined;
  return {
    collector,
    connections,
    metricsStore: store,
    routes,
    extraSchemas: [MetricSeries, PlayerSession, AuditEvent],
    async start() {
      // Servers moving between replicas: the lifecycle attaches to (or lets go of) their processes.
      unsubscribeOwnership = ownership.onChange((change) => {
        if (change.kind === 'gained') lifecycle.takeOver(change.includes, change.takeover);
        else lifecycle.release(change.includes);
      });
      await collector.start();
      // Audit retention, hourly, on the replica that leads platform-wide jobs.
      auditPruning = setInterval(() => {
        if (!ownership.leads()) return;
        const now = clock.now();
        options.audit
          .prune(
            new Date(now - config.auditRetention.tenantMs),
            new Date(now - config.auditRetention.tenantlessMs),
          )
          .catch((error: unknown) => logger.warn({ err: error }, 'audit retention failed'));
      }, AUDIT_PRUNE_INTERVAL_MS);
      auditPruning.unref();
    },
    async stop() {
      if (auditPruning) clearInterval(auditPruning);
      unsubscribeOwnership?.();
      await collector.stop();
      await ownership.stop();
    },
  };
}
