import net from 'node:net';
import type { StatusJson } from './answers.js';
import { ConnectionLimits } from './connection-limits.js';
import type { ConnectionOutcome, GatewayHooks, GatewayObserver } from './gateway-hooks.js';
import { DEFAULT_GATEWAY_SETTINGS, type GatewaySettings } from './gateway-settings.js';
import { stateStatus } from './offline-status.js';
import { Opening, type OpeningContext } from './opening.js';
import { unmapped } from './proxy-protocol.js';
import { RouteTable, StatusCache, type Route } from './route-table.js';
import { Splicer, type SpliceRequest } from './splicer.js';
import { fetchStatus } from './status-client.js';
import { TransferProtocols, type TransferPackets } from './transfer-protocol.js';

export { DEFAULT_GATEWAY_SETTINGS, type GatewaySettings } from './gateway-settings.js';
export type {
  ConnectionOutcome,
  GatewayHooks,
  GatewayObserver,
  Player,
  WakeDecision,
  WakeResult,
} from './gateway-hooks.js';

/**
 * The Minecraft front door: one TCP port for every server. It reads the opening of each connection
 * (`opening.ts`: an optional PROXY v2 header from a trusted load balancer, the handshake or a legacy
 * ping) within a deadline, looks the address up in the route table, and then either splices the
 * connection to the server's backend (`splicer.ts`), answers a server-list ping itself (unknown host,
 * or a server that does not run: its cached status with a state line, `offline-status.ts`), or holds a
 * login while the control plane wakes the server — a 1.20.5+ client whose server starts slowly in the
 * configuration state, transferred back when it is ready (`transfer-hold.ts`).
 */
export class Gateway implements OpeningContext {
  readonly routes = new RouteTable();
  readonly statuses = new StatusCache();
  private readonly server: net.Server;
  private readonly limits: ConnectionLimits;
  private readonly splicer: Splicer;
  private readonly sockets = new Set<net.Socket>();
  private readonly trusted: Set<string>;
  private readonly settings: GatewaySettings;
  private readonly transfers = new TransferProtocols();

  constructor(
    settings: Partial<GatewaySettings> = {},
    private readonly hooks: GatewayHooks = {},
    private readonly observer: GatewayObserver = {},
  ) {
    this.settings = { ...DEFAULT_GATEWAY_SETTINGS, ...settings };
    this.trusted = new Set(this.settings.trustedProxies.map(unmapped));
    this.limits = new ConnectionLimits({
      perAddressPerSecond: this.settings.perAddressPerSecond,
      burst: this.settings.perAddressBurst,
      maxConnections: this.settings.maxConnections,
    });
    this.splicer = new Splicer(this.settings.connectTimeoutMs, observer);
    this.server = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
    // A listen socket error after start (EMFILE and the like) must not take the process down.
    this.server.on('error', () => {});
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen({ host: this.settings.host, port: this.settings.port }, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address() as net.AddressInfo;
    return { host: address.address, port: address.port };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  /** Players connected to the server through this gateway right now. */
  playersOn(serverId: string): number {
    return this.splicer.playersOn(serverId);
  }

  get openConnections(): number {
    return this.limits.openConnections;
  }

  /** Fetches and caches the server's real status (used while it runs, answered while it does not). */
  async refreshStatus(serverId: string, timeoutMs = 2_000): Promise<StatusJson | undefined> {
    const route = this.routes.get(serverId);
    if (!route?.backend) return undefined;
    const status = await fetchStatus(route.backend, { timeoutMs });
    this.statuses.set(serverId, status, Date.now());
    return status;
  }

  /** The status answered for a server that does not run: its last real status with a state line. */
  stateStatus(route: Route, protocolVersion: number): StatusJson {
    const cached = this.statuses.get(route.serverId)?.status;
    return stateStatus(route, cached, this.hooks.stateLine?.(route), protocolVersion);
  }

  private accept(socket: net.Socket): void {
    const address = unmapped(socket.remoteAddress ?? '');
    const admitted = this.limits.admit(address);
    if (admitted !== 'ok') {
      this.observer.connection?.(admitted === 'rate' ? 'rate_limited' : 'over_capacity');
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.limits.release();
    });
    socket.on('error', () => socket.destroy());
    new Opening(this, socket, address, this.trusted.has(address)).start();
  }

  /** @internal the settings an opening reads. */
  get config(): GatewaySettings {
    return this.settings;
  }

  /** @internal counters. */
  observe(outcome: ConnectionOutcome, serverId?: string): void {
    this.observer.connection?.(outcome, serverId);
  }

  /** @internal */
  wakeHook(): GatewayHooks['wake'] {
    return this.hooks.wake?.bind(this.hooks);
  }

  /** @internal the packets to hold and transfer a client of this protocol version, if it can be. */
  transferPackets(protocolVersion: number): Promise<TransferPackets | null> {
    return this.transfers.packets(protocolVersion);
  }

  /** @internal splices `client` to `backend` after writing the bytes read so far. */
  splice(request: SpliceRequest): void {
    this.splicer.splice(request);
  }
}
