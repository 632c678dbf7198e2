import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { LiveConnectionDeps, LiveSettings } from './live-connection.js';
import { LiveConnection } from './live-connection.js';
import { LiveHub } from './live-hub.js';
import { CLOSE } from './protocol.js';

export interface LiveRouteOptions extends Omit<LiveConnectionDeps, 'hub' | 'stats' | 'settings' | 'now'> {
  events: EventBus;
  registry: Registry;
  settings: LiveSettings;
  maxConnections: number;
  /** Connections one address may hold before they authenticate (a reconnect loop must not fill the slots). */
  maxUnauthenticatedPerAddress?: number;
  now?: () => number;
}

/** Default of `maxUnauthenticatedPerAddress`. */
export const MAX_UNAUTHENTICATED_PER_ADDRESS = 20;

/** The live connections of this process, so shutdown can close them with 1001. */
export class LiveConnections {
  readonly open = new Set<LiveConnection>();
  /** Open connections by client address. */
  readonly byAddress = new Map<string, Set<LiveConnection>>();

  /** Closes every connection with "going away" (the control plane is shutting down). */
  closeAll(): void {
    for (const connection of this.open) connection.close(CLOSE.goingAway, 'server shutting down');
  }
}

/**
 * `GET /api/v1/ws` (docs/websocket.md). The route is public at the HTTP level: the client
 * authenticates with its first message, so browsers (which cannot set headers on a WebSocket) and
 * other clients work alike.
 */
export function liveRoutes(
  options: LiveRouteOptions,
  connections: LiveConnections,
): FastifyPluginAsyncTypebox {
  const hub = new LiveHub(options.events, (error) =>
    options.logger.warn({ err: error }, 'live hub unsubscribe failed'),
  );
  const sent = new Counter({
    name: 'minefleet_ws_messages_sent_total',
    help: 'Messages sent to WebSocket clients, by type.',
    labelNames: ['type'] as const,
    registers: [options.registry],
  });
  const dropped = new Counter({
    name: 'minefleet_ws_messages_dropped_total',
    help: 'Messages dropped for WebSocket clients that read too slowly (oldest first).',
    registers: [options.registry],
  });
  new Gauge({
    name: 'minefleet_ws_connections',
    help: 'Open WebSocket connections.',
    registers: [options.registry],
    collect() {
      this.set(connections.open.size);
    },
  });
  new Gauge({
    name: 'minefleet_ws_max_connections',
    help: 'WebSocket connections this replica accepts (MINEFLEET_WS_MAX_CONNECTIONS); more are refused.',
    registers: [options.registry],
    collect() {
      this.set(options.maxConnections);
    },
  });
  new Gauge({
    name: 'minefleet_ws_watched_servers',
    help: 'Servers watched by at least one WebSocket connection of this replica.',
    registers: [options.registry],
    collect() {
      this.set(hub.size);
    },
  });
  const deps: LiveConnectionDeps = {
    accounts: options.accounts,
    lifecycle: options.lifecycle,
    audit: options.audit,
    hub,
    contexts: options.contexts,
    logger: options.logger,
    settings: options.settings,
    stats: { sent: (type) => sent.inc({ type }), dropped: (count) => dropped.inc(count) },
    now: options.now ?? Date.now,
  };

  return async (app) => {
    app.get(
      '/ws',
      {
        websocket: true,
        // Authenticated in the protocol (the first message carries the token).
        config: { permission: 'public' },
        schema: {
          hide: true,
          summary: 'Live events and console commands over a WebSocket (docs/websocket.md)',
        },
      },
      (socket, request) => {
        if (connections.open.size >= options.maxConnections) {
          socket.close(CLOSE.tryAgainLater, 'too many connections');
          return;
        }
        const address = request.ip;
        const fromAddress = connections.byAddress.get(address) ?? new Set<LiveConnection>();
        let waiting = 0;
        for (const other of fromAddress) if (!other.authenticated) waiting++;
        if (waiting >= (options.maxUnauthenticatedPerAddress ?? MAX_UNAUTHENTICATED_PER_ADDRESS)) {
          socket.close(CLOSE.tryAgainLater, 'too many connections waiting to authenticate from this address');
          return;
        }
        const connection = new LiveConnection(
          socket,
          `${request.id}-${randomBytes(3).toString('hex')}`,
          deps,
        );
        connections.open.add(connection);
        fromAddress.add(connection);
        connections.byAddress.set(address, fromAddress);
        void connection.run().finally(() => {
          connections.open.delete(connection);
          fromAddress.delete(connection);
          if (fromAddress.size === 0 && connections.byAddress.get(address) === fromAddress)
            connections.byAddress.delete(address);
        });
      },
    );
  };
}
