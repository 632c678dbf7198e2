import type net from 'node:net';
import { loginDisconnect } from './answers.js';
import type { WakeResult } from './gateway-hooks.js';
import type { TransferPackets } from './transfer-protocol.js';
import { ProtocolError, readPacket } from './varint.js';

/** Longest packet a held client may send (client information, the brand, keep-alive answers). */
const MAX_HELD_PACKET = 32 * 1024;
/** All a held client may send while it waits; far above what a real one does in minutes. */
const MAX_HELD_BYTES = 64 * 1024;
/** After the Transfer packet the client closes and reconnects; one that does not is closed after this. */
const LINGER_AFTER_TRANSFER_MS = 10_000;

export type HoldEnd = 'transferred' | 'wake_refused' | 'hold_timeout' | 'invalid' | 'left';

export interface TransferHoldOptions {
  socket: net.Socket;
  packets: TransferPackets;
  username: string;
  /** Where the client reconnects to: the hostname and port it used for this connection. */
  host: string;
  port: number;
  keepAliveMs: number;
  /** Longest the client is held; then it is told the server did not start in time. */
  maxHoldMs: number;
  /** Bytes the client sent after Login Start (usually none yet). */
  pending: Buffer;
  /** Once, when the hold ends: transferred, told why not, or the client left first. */
  onEnd(end: HoldEnd): void;
}

/**
 * A 1.20.5+ client held while its server starts for longer than a login can wait. The gateway answers
 * the login itself (Login Success), the client's Login Acknowledged moves it into the configuration
 * state, where keep-alives keep it connected for as long as the start takes (the client's own 30 s
 * read timeout no longer applies). When the server runs, the configuration-state Transfer packet sends
 * it back to the hostname and port it used; it reconnects with handshake intent 3 and is routed like
 * any login. A crash of the start, or a hold past its bound, ends in a disconnect with the reason.
 */
export class TransferHold {
  private state: 'login' | 'configuration' | 'done' = 'login';
  private buffer: Buffer = Buffer.alloc(0);
  private received = 0;
  /** A result that came before the client entered the configuration state. */
  private early: { result: WakeResult; end: HoldEnd } | undefined;
  private keepAlive: NodeJS.Timeout | undefined;
  private bound: NodeJS.Timeout | undefined;
  private linger: NodeJS.Timeout | undefined;
  private readonly onData = (chunk: Buffer) => this.feed(chunk);

  constructor(private readonly options: TransferHoldOptions) {}

  start(ready: Promise<WakeResult>): void {
    const { socket, packets, username, maxHoldMs } = this.options;
    socket.on('data', this.onData);
    socket.once('close', () => this.closed());
    socket.write(packets.loginSuccess(username));
    this.bound = setTimeout(() => {
      const seconds = Math.round(maxHoldMs / 1000);
      this.settle(
        { kind: 'disconnect', message: `The server did not start within ${seconds} s. Try again later.` },
        'hold_timeout',
      );
    }, maxHoldMs);
    ready.then(
      (result) => this.settle(result, result.kind === 'forward' ? 'transferred' : 'wake_refused'),
      (error: unknown) =>
        this.settle(
          {
            kind: 'disconnect',
            message: `The server could not start: ${(error as Error).message}`.slice(0, 500),
          },
          'wake_refused',
        ),
    );
    if (this.options.pending.length > 0) this.feed(this.options.pending);
  }

  private feed(chunk: Buffer): void {
    this.received += chunk.length;
    if (this.received > MAX_HELD_BYTES) return this.abandon();
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    try {
      for (;;) {
        const next = readPacket(this.buffer, offset, MAX_HELD_PACKET);
        if (!next) break;
        offset = next.next;
        if (this.state === 'login') {
          // Nothing else is expected: the gateway asked for no encryption, plugin answer or cookie.
          if (next.id !== this.options.packets.loginAcknowledgedId || next.body.length !== 0)
            throw new ProtocolError('expected Login Acknowledged');
          this.configuration();
        }
        // In the configuration state the client's own packets (client information, brand, keep-alive
        // answers) need no answer while it waits: they are read and dropped.
      }
    } catch (error) {
      if (error instanceof ProtocolError) return this.abandon();
      throw error;
    }
    this.buffer = this.buffer.subarray(offset);
  }

  private configuration(): void {
    this.state = 'configuration';
    const { socket, packets, keepAliveMs } = this.options;
    const ping = () => socket.write(packets.keepAlive(BigInt(Date.now())));
    ping();
    this.keepAlive = setInterval(ping, keepAliveMs);
    if (this.early) this.settle(this.early.result, this.early.end);
  }

  private settle(result: WakeResult, end: HoldEnd): void {
    if (this.state === 'done') return;
    const { socket, packets } = this.options;
    if (result.kind === 'forward') {
      // The Transfer packet exists only in the configuration state: wait for the client to get there.
      if (this.state === 'login') {
        this.early ??= { result, end };
        return;
      }
      this.finish(end);
      socket.write(packets.transfer(this.options.host, this.options.port));
      // The client closes this connection itself when it follows the transfer.
      this.linger = setTimeout(() => socket.destroy(), LINGER_AFTER_TRANSFER_MS);
      return;
    }
    const wasLogin = this.state === 'login';
    this.finish(end);
    socket.end(wasLogin ? loginDisconnect(result.message) : packets.disconnect(result.message));
  }

  private finish(end: HoldEnd): void {
    this.state = 'done';
    clearInterval(this.keepAlive);
    clearTimeout(this.bound);
    this.options.socket.off('data', this.onData);
    this.options.onEnd(end);
  }

  /** A client that breaks the protocol while held is closed. */
  private abandon(): void {
    if (this.state !== 'done') this.finish('invalid');
    this.options.socket.destroy();
  }

  private closed(): void {
    clearTimeout(this.linger);
    if (this.state !== 'done') this.finish('left');
  }
}
