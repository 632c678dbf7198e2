import type net from 'node:net';
import {
  legacyAnswer,
  loginDisconnect,
  pong,
  otherRegionMessage,
  otherRegionStatus,
  statusResponse,
  unknownServerStatus,
  type StatusJson,
} from './answers.js';
import type { GatewayHooks, ConnectionOutcome, WakeResult } from './gateway-hooks.js';
import type { GatewaySettings } from './gateway-settings.js';
import { MAX_HANDSHAKE_BYTES, readFirstBytes, readLoginStart, type Handshake } from './handshake.js';
import { legacyStatus } from './offline-status.js';
import { readProxyHeader, unmapped, type ProxyAddresses } from './proxy-protocol.js';
import type { Route, RouteTable, StatusCache } from './route-table.js';
import type { SpliceRequest } from './splicer.js';
import { TransferHold } from './transfer-hold.js';
import type { TransferPackets } from './transfer-protocol.js';
import { ProtocolError, readPacket } from './varint.js';

/** Bytes a client may send before the gateway has decided (PROXY header + handshake + login start). */
const MAX_OPENING_BYTES = 16 + 512 + MAX_HANDSHAKE_BYTES + 8 + 4096;

/** What an opening needs of the gateway it arrived at. */
export interface OpeningContext {
  readonly config: GatewaySettings;
  readonly routes: RouteTable;
  readonly statuses: StatusCache;
  playersOn(serverId: string): number;
  stateStatus(route: Route, protocolVersion: number): StatusJson;
  observe(outcome: ConnectionOutcome, serverId?: string): void;
  wakeHook(): GatewayHooks['wake'];
  splice(request: SpliceRequest): void;
  transferPackets(protocolVersion: number): Promise<TransferPackets | null>;
}

type Stage = 'proxy' | 'handshake' | 'status' | 'login-start' | 'decided';

/**
 * One connection until the gateway has decided what to do with it: it reads the opening (an optional
 * PROXY v2 header from a trusted load balancer, the handshake or a legacy ping) within a deadline, then
 * splices it, answers a status itself, or holds a login while the server wakes.
 */
export class Opening {
  private buffer: Buffer = Buffer.alloc(0);
  private stage: Stage;
  private deadline: NodeJS.Timeout | undefined;
  private legacyTimer: NodeJS.Timeout | undefined;
  private handshake: Handshake | undefined;
  /** Where the handshake starts in `buffer` (after a PROXY header from a load balancer). */
  private handshakeStart = 0;
  /** Where the next packet after the handshake starts in `buffer`. */
  private handshakeEnd = 0;
  private route: Route | undefined;
  private statusAnswer: StatusJson | undefined;
  private statusSent = false;
  private addresses: ProxyAddresses;
  private readonly onData = (chunk: Buffer) => this.feed(chunk);

  constructor(
    private readonly gateway: OpeningContext,
    private readonly socket: net.Socket,
    address: string,
    trustedProxy: boolean,
  ) {
    this.stage = trustedProxy ? 'proxy' : 'handshake';
    this.addresses = {
      sourceAddress: address,
      sourcePort: socket.remotePort ?? 0,
      destinationAddress: unmapped(socket.localAddress ?? '0.0.0.0'),
      destinationPort: socket.localPort ?? 0,
    };
  }

  start(): void {
    this.deadline = setTimeout(() => this.fail('timeout'), this.gateway.config.handshakeTimeoutMs);
    this.socket.on('data', this.onData);
    this.socket.once('close', () => this.clearTimers());
  }

  private clearTimers(): void {
    clearTimeout(this.deadline);
    clearTimeout(this.legacyTimer);
  }

  private fail(outcome: ConnectionOutcome): void {
    this.clearTimers();
    this.stage = 'decided';
    this.socket.off('data', this.onData);
    this.gateway.observe(outcome, this.route?.serverId);
    this.socket.destroy();
  }

  private feed(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    // A held login keeps reading (to notice the client leaving); it has nothing more to say until
    // the server answers, so anything beyond a bound is abuse.
    if (this.stage === 'decided') {
      if (this.buffer.length > MAX_OPENING_BYTES) this.fail('invalid');
      return;
    }
    try {
      this.advance();
    } catch (error) {
      if (error instanceof ProtocolError) return this.fail('invalid');
      throw error;
    }
    // Bytes after a complete opening are the game's (spliced as they are); before it, they are bounded.
    if ((this.stage as Stage) !== 'decided' && this.buffer.length > MAX_OPENING_BYTES) this.fail('invalid');
  }

  private advance(): void {
    if (this.stage === 'proxy') {
      const read = readProxyHeader(this.buffer);
      if (read.kind === 'more') return;
      if (read.kind === 'header') {
        if (read.addresses) this.addresses = read.addresses;
        this.handshakeStart = read.next;
      }
      this.stage = 'handshake';
    }
    if (this.stage === 'handshake') {
      const first = readFirstBytes(this.buffer.subarray(this.handshakeStart));
      if (first.kind === 'more') return;
      if (first.kind === 'legacy') return this.legacy(first.host, first.complete);
      this.handshake = first.handshake;
      this.handshakeEnd = this.handshakeStart + first.next;
      this.route = this.gateway.routes.lookup(first.handshake.host);
      this.decide();
      return;
    }
    if (this.stage === 'status') return this.answerStatus();
    if (this.stage === 'login-start') return this.readLogin();
  }

  private decide(): void {
    const handshake = this.handshake!;
    const route = this.route;
    if (!route) {
      this.gateway.observe('unknown_host');
      if (handshake.nextState === 'status') {
        this.stage = 'status';
        this.statusAnswer = unknownServerStatus(handshake.host, handshake.protocolVersion);
        return this.answerStatus();
      }
      return this.disconnect(`Unknown server: nothing is reachable at ${handshake.host.slice(0, 100)}.`);
    }
    const region = this.gateway.config.region;
    if (route.region !== region) {
      // Never spliced nor woken across regions: the game and its players' latency belong to its region.
      this.gateway.observe('other_region', route.serverId);
      if (handshake.nextState === 'status') {
        this.stage = 'status';
        this.statusAnswer = otherRegionStatus(route.region, region, handshake.protocolVersion);
        return this.answerStatus();
      }
      return this.disconnect(otherRegionMessage(route.region, region));
    }
    if (route.status === 'running' && route.backend) {
      this.forward(route.backend, handshake.nextState !== 'status');
      return;
    }
    if (handshake.nextState === 'status') {
      this.stage = 'status';
      this.statusAnswer = this.gateway.stateStatus(route, handshake.protocolVersion);
      this.gateway.observe('status_answered', route.serverId);
      return this.answerStatus();
    }
    this.stage = 'login-start';
    this.readLogin();
  }

  /** The status exchange the gateway answers itself: request → status, ping → pong, then close. */
  private answerStatus(): void {
    let offset = this.handshakeEnd;
    for (;;) {
      const next = readPacket(this.buffer, offset, 64);
      if (!next) break;
      offset = next.next;
      if (next.id === 0x00 && !this.statusSent && next.body.length === 0) {
        this.statusSent = true;
        this.socket.write(statusResponse(this.statusAnswer!));
        // Some clients close after the status without a ping; give them the status deadline.
        clearTimeout(this.deadline);
        this.deadline = setTimeout(() => this.fail('timeout'), this.gateway.config.statusTimeoutMs);
      } else if (next.id === 0x01 && next.body.length === 8 && this.statusSent) {
        this.clearTimers();
        this.stage = 'decided';
        this.socket.off('data', this.onData);
        this.socket.end(pong(next.body));
        return;
      } else {
        throw new ProtocolError('unexpected packet in the status exchange');
      }
    }
    this.handshakeEnd = offset;
  }

  private legacy(host: string | null, complete: boolean): void {
    const answer = () => {
      this.clearTimers();
      this.stage = 'decided';
      this.socket.off('data', this.onData);
      const route = host ? this.gateway.routes.lookup(host) : undefined;
      if (host && !route) this.gateway.observe('unknown_host');
      else if (route) this.gateway.observe('status_answered', route.serverId);
      const cached = route ? this.gateway.statuses.get(route.serverId)?.status : undefined;
      const online = route ? this.gateway.playersOn(route.serverId) : 0;
      const region = this.gateway.config.region;
      const status =
        route && route.region !== region
          ? { motd: otherRegionMessage(route.region, region), online: 0, max: 0, version: 'Minefleet' }
          : legacyStatus(host, route, cached, online);
      this.socket.end(legacyAnswer(status));
    };
    if (complete) return answer();
    clearTimeout(this.legacyTimer);
    this.legacyTimer = setTimeout(answer, this.gateway.config.legacyWaitMs);
  }

  /** A login to a server that does not run: read Login Start (the player's name), then ask to wake. */
  private readLogin(): void {
    const login = readLoginStart(this.buffer, this.handshakeEnd);
    if (!login) return;
    const route = this.route!;
    const wake = this.gateway.wakeHook();
    if (!wake) return this.disconnect('This server is not running.');
    // Decided: keep reading only to notice the client leaving; bytes are kept for the backend.
    this.stage = 'decided';
    clearTimeout(this.deadline);
    const controller = new AbortController();
    let settled = false;
    const hold = setTimeout(() => {
      if (settled) return;
      settled = true;
      controller.abort();
      this.gateway.observe('hold_timeout', route.serverId);
      this.disconnect('The server is still starting. Join again in a few seconds.', false);
    }, this.gateway.config.holdTimeoutMs);
    this.socket.once('close', () => {
      clearTimeout(hold);
      if (!settled) controller.abort();
      settled = true;
    });
    // A 1.20.5+ client whose packets the gateway knows can be held outside the server and transferred.
    void this.gateway.transferPackets(this.handshake!.protocolVersion).then((packets) => {
      if (settled) return;
      const player = {
        username: login.username,
        address: this.addresses.sourceAddress,
        protocolVersion: this.handshake!.protocolVersion,
        transferable: packets !== null,
      };
      wake(route, player, controller.signal).then(
        (decision) => {
          if (settled) return;
          settled = true;
          clearTimeout(hold);
          if (decision.kind === 'forward') {
            this.gateway.observe('woken', route.serverId);
            this.forward(decision.backend, true);
          } else if (decision.kind === 'hold' && packets) {
            this.holdForTransfer(packets, login, decision.ready, controller);
          } else {
            this.gateway.observe('wake_refused', route.serverId);
            this.disconnect(
              decision.kind === 'disconnect' ? decision.message : 'The server is starting. Join again soon.',
              false,
            );
          }
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(hold);
          this.gateway.observe('wake_refused', route.serverId);
          this.disconnect(`The server could not start: ${(error as Error).message}`.slice(0, 500), false);
        },
      );
    });
  }

  /**
   * The server will not be ready inside the hold window: the client is answered by the gateway and kept
   * in the configuration state, then transferred back to the address it used (`transfer-hold.ts`).
   */
  private holdForTransfer(
    packets: TransferPackets,
    login: { username: string; next: number },
    ready: Promise<WakeResult>,
    controller: AbortController,
  ): void {
    const route = this.route!;
    const handshake = this.handshake!;
    this.socket.off('data', this.onData);
    new TransferHold({
      socket: this.socket,
      packets,
      username: login.username,
      host: handshake.host,
      port: handshake.port,
      keepAliveMs: this.gateway.config.transferKeepAliveMs,
      maxHoldMs: this.gateway.config.transferHoldMs,
      pending: this.buffer.subarray(login.next),
      onEnd: (end) => {
        // The wake stops waiting for a client that left, broke the protocol or ran out of time.
        if (end !== 'transferred' && end !== 'wake_refused') controller.abort();
        if (end !== 'left') this.gateway.observe(end, route.serverId);
      },
    }).start(ready);
  }

  private disconnect(message: string, count = true): void {
    this.clearTimers();
    this.stage = 'decided';
    this.socket.off('data', this.onData);
    if (count && this.route) this.gateway.observe('wake_refused', this.route.serverId);
    this.socket.end(loginDisconnect(message));
  }

  private forward(backend: { host: string; port: number }, player: boolean): void {
    this.clearTimers();
    this.stage = 'decided';
    // Paused before the listener goes, so no byte arrives between reading and piping.
    this.socket.pause();
    this.socket.off('data', this.onData);
    const opening = this.buffer.subarray(this.handshakeStart);
    // A client back from a transfer says so in its handshake (intent 3). The transfer was the
    // gateway's, not the server's: the server sees an ordinary login (intent 2), so it needs neither
    // `accepts-transfers` nor support for intent 3 (flying-squid has none and would hang).
    if (this.handshake?.nextState === 'transfer') {
      const last = this.handshakeEnd - this.handshakeStart - 1;
      if (opening[last] === 3) opening[last] = 2;
    }
    this.gateway.splice({
      client: this.socket,
      backend,
      route: this.route!,
      opening,
      addresses: this.addresses,
      player,
      onUnreachable: () => {
        if (player)
          this.socket.end(loginDisconnect('The server is not reachable right now. Try again shortly.'));
        else this.socket.destroy();
      },
    });
  }
}
