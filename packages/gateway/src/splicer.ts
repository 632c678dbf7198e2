import net from 'node:net';
import type { GatewayObserver } from './gateway-hooks.js';
import { proxyHeader, type ProxyAddresses } from './proxy-protocol.js';
import type { Route } from './route-table.js';

/** A decided connection to join to its server's backend. */
export interface SpliceRequest {
  client: net.Socket;
  backend: { host: string; port: number };
  route: Route;
  /** The bytes read from the client so far, written to the backend first. */
  opening: Buffer;
  /** The client's addresses, for a PROXY header when the route asks for one. */
  addresses: ProxyAddresses;
  /** A login (counted as a player on the server), not a status ping. */
  player: boolean;
  /** Called when the backend cannot be reached; the client is still open. */
  onUnreachable: () => void;
}

/**
 * Joins a decided connection to its server's backend: both directions piped with backpressure, never
 * parsed again. It counts the players it spliced per server (the gateway's own view of who is on).
 */
export class Splicer {
  /** Spliced logins per server: players the gateway itself knows are on it. */
  private readonly players = new Map<string, number>();

  constructor(
    private readonly connectTimeoutMs: number,
    private readonly observer: GatewayObserver,
  ) {}

  /** Players connected to the server through this gateway right now. */
  playersOn(serverId: string): number {
    return this.players.get(serverId) ?? 0;
  }

  /** Splices `client` to `backend` after writing the bytes read so far. */
  splice(request: SpliceRequest): void {
    const { client, backend, route, opening, addresses, player, onUnreachable } = request;
    const upstream = net.connect({ host: backend.host, port: backend.port, noDelay: true });
    let connected = false;
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.connectTimeoutMs);
    upstream.once('connect', () => {
      clearTimeout(timer);
      connected = true;
      if (route.proxyProtocol) upstream.write(proxyHeader(addresses));
      upstream.write(opening);
      client.pipe(upstream);
      upstream.pipe(client);
      client.resume();
      if (player) this.players.set(route.serverId, this.playersOn(route.serverId) + 1);
      this.observer.connection?.('routed', route.serverId);
    });
    upstream.on('error', () => {
      clearTimeout(timer);
      if (!connected) {
        this.observer.connection?.('backend_unreachable', route.serverId);
        onUnreachable();
      }
      upstream.destroy();
    });
    upstream.once('close', () => {
      if (connected) client.destroy();
    });
    client.once('close', () => {
      clearTimeout(timer);
      upstream.destroy();
      if (!connected) return;
      if (player) {
        const left = this.playersOn(route.serverId) - 1;
        if (left > 0) this.players.set(route.serverId, left);
        else this.players.delete(route.serverId);
      }
      this.observer.spliced?.(route.serverId, client.bytesRead, client.bytesWritten);
    });
  }
}
