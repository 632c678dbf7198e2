import type { RawData, WebSocket } from 'ws';
import { DomainError } from '@minefleet/domain/errors';
import type { PlatformEvent } from '@minefleet/domain/ports/event-bus';
import { runLiveCommand } from './live-command.js';
import type { HubWatcher } from './live-hub.js';
import { LiveOutbox } from './live-outbox.js';
import { LiveSession } from './live-session.js';
import type { LiveConnectionDeps } from './live-settings.js';
import { LiveSubscriptions } from './live-subscriptions.js';
import { CLOSE, parseClientMessage, type ClientMessage } from './protocol.js';

export {
  DEFAULT_LIVE_SETTINGS,
  type LiveConnectionDeps,
  type LiveSettings,
  type LiveStats,
} from './live-settings.js';

/**
 * One WebSocket client of `/api/v1/ws` (docs/websocket.md). Messages are handled one at a time in
 * arrival order (a client may send `auth` and its subscriptions back to back). What it sends goes
 * through its outbox (`live-outbox.ts`: bounded, a slow reader loses its own oldest messages); who it
 * acts as is its session (`live-session.ts`); what it watches, its subscriptions
 * (`live-subscriptions.ts`). This class owns the socket: message intake and rate, heartbeat, timers
 * and the close.
 */
export class LiveConnection implements HubWatcher {
  private readonly outbox: LiveOutbox;
  private readonly session: LiveSession;
  private readonly subscriptions: LiveSubscriptions;
  private inbox: Promise<void> = Promise.resolve();
  private ended = false;
  private alive = true;
  private lastActivity: number;
  private windowStart: number;
  private windowCount = 0;
  private commands = 0;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly socket: WebSocket,
    readonly id: string,
    private readonly deps: LiveConnectionDeps,
  ) {
    this.outbox = new LiveOutbox(socket, id, deps);
    this.subscriptions = new LiveSubscriptions(deps, this.outbox, this);
    this.session = new LiveSession(this, deps, this.outbox, (actor) => this.subscriptions.keepAllowed(actor));
    this.lastActivity = deps.now();
    this.windowStart = this.lastActivity;
  }

  /** Wires the socket: auth deadline, messages, heartbeat, pump. Resolves when the connection ends. */
  run(): Promise<void> {
    const { settings } = this.deps;
    this.later(settings.authTimeoutMs, () => {
      if (!this.session.actor) this.close(CLOSE.unauthenticated, 'authentication timeout');
    });
    const heartbeat = setInterval(() => this.heartbeat(), settings.pingIntervalMs);
    heartbeat.unref();
    this.timers.push(heartbeat);
    const revalidate = setInterval(
      () => this.enqueueWork(() => this.session.revalidate()),
      settings.revalidateMs,
    );
    revalidate.unref();
    this.timers.push(revalidate);

    this.socket.on('pong', () => {
      this.alive = true;
    });
    this.socket.on('message', (data, isBinary) => {
      this.alive = true;
      this.lastActivity = this.deps.now();
      if (!this.allowMessage()) return;
      const text = isBinary ? '' : textOf(data);
      this.enqueueWork(() => this.handle(text));
    });
    const ended = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    void ended.then(() => this.cleanup());

    const pump = this.outbox.pump().catch(() => this.close(CLOSE.internal, 'send failed'));
    return Promise.all([ended, pump]).then(() => undefined);
  }

  /** From the hub: an event of a watched server (tenant already matched by the hub's filter). */
  deliver(event: PlatformEvent, frame: Buffer): void {
    const actor = this.session.actor;
    if (!actor || event.tenantId !== actor.tenantId || !this.subscriptions.wants(event)) return;
    this.outbox.event(event.serverId, event.type, frame);
  }

  /** Whether the connection has closed (or is closing). */
  get closed(): boolean {
    return this.ended;
  }

  /** Whether the client has authenticated (a connection waiting for its first message has not). */
  get authenticated(): boolean {
    return this.session.actor !== null;
  }

  /** Closes with a code and reason from protocol.ts; idempotent. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.outbox.close();
    try {
      this.socket.close(code, reason);
    } catch {
      // already closing
    }
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.socket.terminate(), 2_000).unref();
  }

  /** A timer cleared when the connection ends. */
  later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(fn, ms);
    timer.unref();
    this.timers.push(timer);
    return timer;
  }

  // ─── Receiving ───────────────────────────────────────────────────────────────────────────────

  private enqueueWork(work: () => Promise<void>): void {
    this.inbox = this.inbox.then(work).catch((error: unknown) => {
      this.deps.logger.error({ err: error, connection: this.id }, 'websocket handler failed');
    });
  }

  private allowMessage(): boolean {
    const now = this.deps.now();
    if (now - this.windowStart > 10_000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount > this.deps.settings.maxMessagesPer10s) {
      this.close(CLOSE.tooManyMessages, 'too many messages');
      return false;
    }
    return true;
  }

  private async handle(raw: string): Promise<void> {
    if (this.ended) return;
    const parsed = parseClientMessage(raw);
    if (!this.session.actor) {
      if (!parsed.ok || parsed.message.type !== 'auth') {
        this.close(CLOSE.protocolError, 'the first message must be {"type":"auth","token":"..."}');
        return;
      }
      await this.session.authenticate(parsed.message.token, parsed.message.id);
      return;
    }
    if (!parsed.ok) {
      this.outbox.replyError(new DomainError('VALIDATION_FAILED', parsed.problem), undefined, parsed.id);
      return;
    }
    await this.dispatch(parsed.message);
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    const actor = this.session.actor!;
    switch (message.type) {
      case 'auth':
        return this.session.authenticate(message.token, message.id);
      case 'subscribe':
        return this.subscriptions.subscribe(actor, message.server_id, message.streams, message.id);
      case 'unsubscribe':
        return this.subscriptions.unsubscribe(message.server_id, message.streams, message.id);
      case 'command': {
        const requestId = `ws-${this.id}-${++this.commands}`;
        return runLiveCommand(this.deps, this.outbox, { ...actor, requestId }, message);
      }
      case 'ping':
        this.outbox.reply('pong', undefined, {}, message.id);
        return;
    }
  }

  // ─── Liveness ────────────────────────────────────────────────────────────────────────────────

  private heartbeat(): void {
    if (this.ended) return;
    if (!this.alive) {
      this.close(CLOSE.timeout, 'heartbeat timeout');
      return;
    }
    // Idleness is judged once signed in: before that the authentication deadline alone decides (4401),
    // whichever of the two timers fires first when they are set alike.
    if (
      this.session.actor &&
      this.subscriptions.size === 0 &&
      this.deps.now() - this.lastActivity > this.deps.settings.idleTimeoutMs
    ) {
      this.close(CLOSE.timeout, 'idle');
      return;
    }
    this.alive = false;
    try {
      this.socket.ping();
    } catch {
      // closing
    }
  }

  private cleanup(): void {
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.session.end();
    this.outbox.close();
    this.subscriptions.clear();
  }
}

/** A text frame's content (the library hands over a Buffer, or fragments of one). */
function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
