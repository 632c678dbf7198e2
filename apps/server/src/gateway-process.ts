import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { connectPostgres } from '@minefleet/db/connect';
import type { Database } from '@minefleet/db/database';
import { migrate } from '@minefleet/db/migrate';
import { createLocalDriver } from '@minefleet/runtime-local/create-local-driver';
import { AuditLog } from '@minefleet/services/audit';
import { NoOwnership } from '@minefleet/services/ownership/ownership';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { GatewayConfig } from './gateway-config.js';
import { createGatewayPlatform } from './gateway-platform.js';
import { createMetricsRegistry, databaseCheck } from './health-checks.js';
import { healthRoutes } from './http/routes/health.js';
import { createKubernetesRuntime } from './kubernetes-runtime.js';
import { createLiveAdapters } from './live-platform.js';
import { createLifecycle } from './servers-platform.js';
import { VERSION } from './version.js';

/**
 * The standalone gateway (`minefleet gateway run`, docs/gateway.md): the Minecraft front door as its own
 * process beside one or more control-plane replicas. It shares their PostgreSQL database (routes,
 * sleep settings, wakes) and NATS event bus (status changes, so a server created on any replica is
 * routable at once), owns no server (reconcile, crash restarts, schedules and idle checks stay with the
 * replicas, which run with MINEFLEET_GATEWAY=external), and wakes a sleeping server through the same
 * lifecycle start any replica uses for a user's request. Its only HTTP is /health and /metrics, on an
 * admin port of its own.
 */
export interface GatewayProcessConfig extends Config {
  gateway: GatewayConfig;
  /** Where /health and /metrics listen (MINEFLEET_GATEWAY_ADMIN_HOST, MINEFLEET_GATEWAY_ADMIN_PORT). */
  admin: { host: string; port: number };
}

/**
 * The control plane's configuration (the same environment, so game ports, data folder, game domain and
 * metrics token agree), with the gateway always on and what a process sharing the platform needs.
 */
export async function loadGatewayProcessConfig(
  env: NodeJS.ProcessEnv = process.env,
): Promise<GatewayProcessConfig> {
  if (!env.DATABASE_URL)
    throw new ConfigError(
      'DATABASE_URL (PostgreSQL) is required: the gateway reads the routes the control plane writes, and the embedded database cannot be shared between processes.',
    );
  if (!env.NATS_URL)
    throw new ConfigError(
      'NATS_URL is required: status changes reach the gateway through NATS, and the in-process event bus cannot be shared between processes.',
    );
  const config = await loadConfig({ ...env, MINEFLEET_GATEWAY: 'on' });
  const raw = env.MINEFLEET_GATEWAY_ADMIN_PORT;
  const port = raw === undefined || raw === '' ? 8081 : Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError(
      `MINEFLEET_GATEWAY_ADMIN_PORT must be a whole number from 0 to 65535 (got "${raw}").`,
    );
  return {
    ...config,
    gateway: config.gateway!,
    admin: { host: env.MINEFLEET_GATEWAY_ADMIN_HOST || '127.0.0.1', port },
  };
}

export interface GatewayProcess {
  logger: Logger;
  database: Database;
  /** The Minecraft port's address once listening. */
  gatewayAddress(): { host: string; port: number } | undefined;
  /** Listens on the gateway port and the admin port; returns the admin URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** The admin server: /health (the database, the event bus, the gateway port) and /metrics (with the token). */
async function adminApp(options: {
  config: GatewayProcessConfig;
  registry: ReturnType<typeof createMetricsRegistry>;
  checks: Parameters<typeof healthRoutes>[0]['checks'];
  startedAt: number;
}): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  await app.register(
    healthRoutes({ version: VERSION, startedAt: options.startedAt, checks: options.checks }),
  );
  const token = Buffer.from(options.config.live.metrics.token ?? '');
  app.get('/metrics', async (request, reply) => {
    const header = request.headers.authorization ?? '';
    const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '');
    if (token.length > 0 && (given.length !== token.length || !timingSafeEqual(given, token))) {
      void reply.header('www-authenticate', 'Bearer realm="metrics"').status(401);
      return {
        error: {
          code: 'UNAUTHENTICATED',
          message: 'GET /metrics needs "Authorization: Bearer <MINEFLEET_METRICS_TOKEN>".',
        },
      };
    }
    void reply.header('content-type', options.registry.contentType).header('cache-control', 'no-store');
    return options.registry.metrics();
  });
  return app;
}

/** The composition root of the standalone gateway. */
export async function createGatewayProcess(options: {
  config: GatewayProcessConfig;
  logger?: Logger;
}): Promise<GatewayProcess> {
  const { config } = options;
  if (!config.databaseUrl || !config.live.nats)
    throw new ConfigError('The gateway process needs DATABASE_URL and NATS_URL.');
  const logger = options.logger ?? pino({ level: config.logLevel }).child({ process: 'gateway' });
  const clock = { now: () => Date.now() };
  const startedAt = Date.now();
  const database = connectPostgres({ url: config.databaseUrl, maxConnections: config.databasePoolSize });
  // The gateway may come up before any replica: migrations are safe to race (each one takes its row
  // in minefleet_migrations first), so it brings the schema up to date like a replica would.
  await migrate(database);
  const registry = createMetricsRegistry(database);
  const ownership = new NoOwnership(config.live.ownership.replicaId);
  const { events, runtime } = await createLiveAdapters({
    config: config.live,
    database,
    registry,
    logger,
    // The replicas' runtime: on Kubernetes a wake sets the MinecraftServer's state, as a replica's
    // start does, and players are routed to the server's Service (or pod) address.
    runtime:
      config.runtimeKind === 'kubernetes'
        ? await createKubernetesRuntime(config.kubernetes)
        : createLocalDriver({ dataDir: config.dataDir, ...config.runtime }),
    ownership,
  });
  const audit = new AuditLog(database, (error) => logger.error({ err: error }, 'audit write failed'));
  const { lifecycle } = createLifecycle({ config, database, runtime, events, clock, logger, ownership });
  const gatewayPlatform = createGatewayPlatform({
    config: { ...config.gateway, enabled: true, external: false },
    database,
    lifecycle,
    runtime,
    events,
    clock,
    logger,
    audit,
    registry,
    owns: () => false,
    region: config.region,
  });
  let gatewayAddress: { host: string; port: number } | undefined;
  const admin = await adminApp({
    config,
    registry,
    startedAt,
    checks: [
      databaseCheck(database),
      {
        name: 'gateway',
        critical: true,
        run: () =>
          Promise.resolve({
            status: gatewayAddress ? 'ok' : 'down',
            port: gatewayAddress?.port ?? null,
            routes: gatewayPlatform.gateway?.routes.all().length ?? 0,
            open_connections: gatewayPlatform.gateway?.openConnections ?? 0,
          }),
      },
      {
        name: 'live',
        critical: false,
        run: () => {
          const state = (events as { state?: string }).state;
          return Promise.resolve({
            status: state === undefined || state === 'connected' ? 'ok' : 'degraded',
            event_bus: 'nats',
            ownership: ownership.describe(),
          });
        },
      },
    ],
  });

  let closed = false;
  return {
    logger,
    database,
    gatewayAddress: () => gatewayAddress,
    async listen() {
      await ownership.start();
      // Like any replica: it records the exit of a game process it started (its own wakes).
      await lifecycle.startBackground();
      gatewayAddress = await gatewayPlatform.start();
      return admin.listen({ host: config.admin.host, port: config.admin.port });
    },
    async close() {
      if (closed) return;
      closed = true;
      await admin.close();
      await gatewayPlatform.stop();
      await lifecycle.close();
      await runtime.close();
      await events.close();
      await database.close();
    },
  };
}
