import type { Registry } from 'prom-client';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Database } from '@minefleet/db/database';
import type { Clock } from '@minefleet/domain/clock';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { Gateway } from '@minefleet/gateway/gateway';
import type { AuditLog } from '@minefleet/services/audit';
import { GatewaySettingsService } from '@minefleet/services/gateway/gateway-settings';
import { GatewayStore } from '@minefleet/services/gateway/gateway-store';
import { SleepService } from '@minefleet/services/gateway/sleep-service';
import type { LifecycleService } from '@minefleet/services/lifecycle/lifecycle-service';
import type { Logger } from '@minefleet/services/logger';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TSchema } from '@sinclair/typebox';
import type { GatewayConfig } from './gateway-config.js';
import { gatewayRoutes } from './http/routes/gateway.js';
import { GatewaySettings, Wake } from './http/schemas/gateway.js';

export interface GatewayPlatform {
  gateway: Gateway | undefined;
  sleep: SleepService;
  routes: FastifyPluginAsyncTypebox[];
  extraSchemas: TSchema[];
  /**
   * Listens on the gateway port (when enabled) and starts the sleep checks (also when the gateway is
   * `external`); returns the address it listens on.
   */
  start(): Promise<{ host: string; port: number } | undefined>;
  stop(): Promise<void>;
}

/**
 * The gateway and sleep/wake, wired: the protocol front door (packages/gateway) with the sleep service
 * as its wake hook, Prometheus counters for what it routes, and the API of its settings.
 */
export function createGatewayPlatform(options: {
  config: GatewayConfig;
  database: Database;
  lifecycle: LifecycleService;
  runtime: RuntimeDriver;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  audit: AuditLog;
  registry: Registry;
  owns: (serverId: string) => boolean;
  /** The installation's region (MINEFLEET_REGION): the gateway routes to servers of it only. */
  region: string;
}): GatewayPlatform {
  const { config, registry } = options;
  const connections = new Counter({
    name: 'minefleet_gateway_connections_total',
    help: 'Connections the gateway decided on, by outcome (routed, status_answered, unknown_host, other_region, rate_limited, invalid, timeout, hold_timeout, transferred, ...).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'minefleet_gateway_bytes_total',
    help: 'Bytes spliced through the gateway, by direction (in: from players).',
    labelNames: ['direction'] as const,
    registers: [registry],
  });
  const wakes = new Counter({
    name: 'minefleet_gateway_wakes_total',
    help: 'Wakes by outcome (ready, too_slow, failed, refused) and the status woken from.',
    labelNames: ['outcome', 'from'] as const,
    registers: [registry],
  });
  const wakeSeconds = new Histogram({
    name: 'minefleet_gateway_wake_duration_seconds',
    help: 'From a login to a sleeping or frozen server until it accepted players.',
    labelNames: ['from'] as const,
    // Past 25 s: 1.20.5+ players held for a transfer while a slow start goes on.
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 12, 18, 25, 40, 60, 90, 120],
    registers: [registry],
  });
  const slept = new Counter({
    name: 'minefleet_gateway_sleeps_total',
    help: 'Servers put to sleep, by mode (stop or freeze).',
    labelNames: ['mode'] as const,
    registers: [registry],
  });
  const store = new GatewayStore(options.database);
  const sleep = new SleepService({
    store,
    lifecycle: options.lifecycle,
    runtime: options.runtime,
    events: options.events,
    clock: options.clock,
    logger: options.logger.child({ component: 'sleep' }),
    audit: options.audit,
    owns: options.owns,
    settings: {
      gameDomain: config.gameDomain,
      backendHost: config.backendHost,
      holdWindowMs: config.holdWindowMs,
      transferHoldMs: config.transferHoldMs,
      checkIntervalMs: config.sleepCheckIntervalMs,
    },
    observer: {
      wake(outcome, from, durationMs) {
        wakes.inc({ outcome, from });
        if (durationMs !== null) wakeSeconds.observe({ from }, durationMs / 1000);
      },
      slept(mode) {
        slept.inc({ mode });
      },
    },
  });
  // With the gateway in its own process (`external`), this one keeps a front door that never listens:
  // its route table and status cache are what the idle checks read and refresh.
  const frontDoor = config.enabled || config.external;
  const gateway = frontDoor
    ? new Gateway(
        {
          host: config.host,
          port: config.port,
          handshakeTimeoutMs: config.handshakeTimeoutMs,
          // A little longer than the service's own window: the service answers first, with a better message.
          holdTimeoutMs: config.holdWindowMs + 1_000,
          transferHoldMs: config.transferHoldMs + 1_000,
          trustedProxies: config.trustedProxies,
          perAddressPerSecond: config.perAddressPerSecond,
          perAddressBurst: config.perAddressPerSecond * 3,
          maxConnections: config.maxConnections,
          region: options.region,
        },
        { wake: (route, player, signal) => sleep.wake(route, player, signal) },
        {
          connection: (outcome) => connections.inc({ outcome }),
          spliced: (_serverId, bytesIn, bytesOut) => {
            bytes.inc({ direction: 'in' }, bytesIn);
            bytes.inc({ direction: 'out' }, bytesOut);
          },
        },
      )
    : undefined;
  if (gateway && config.enabled) {
    new Gauge({
      name: 'minefleet_gateway_open_connections',
      help: 'Connections open through the gateway now.',
      registers: [registry],
      collect() {
        this.set(gateway.openConnections);
      },
    });
  }
  const settings = new GatewaySettingsService({
    store,
    lifecycle: options.lifecycle,
    sleep,
    clock: options.clock,
    gameDomain: config.gameDomain,
  });
  return {
    gateway,
    sleep,
    routes: [gatewayRoutes({ settings })],
    extraSchemas: [GatewaySettings, Wake],
    async start() {
      if (!gateway) return undefined;
      if (!config.enabled) {
        await sleep.start(gateway);
        options.logger.info(
          { gameDomain: config.gameDomain || null },
          'gateway runs as its own process; idle checks run here',
        );
        return undefined;
      }
      const address = await gateway.listen();
      await sleep.start(gateway);
      options.logger.info({ ...address, gameDomain: config.gameDomain || null }, 'gateway listening');
      return address;
    },
    async stop() {
      await sleep.close();
      await gateway?.close();
    },
  };
}
