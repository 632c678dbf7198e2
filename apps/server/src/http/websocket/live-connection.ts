import type { RawData, WebSocket } from 'ws';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import type { PlatformEvent } from '@minefleet/domain/ports/event-bus';
import { roleAtLeast } from '@minefleet/domain/roles';
import { BoundedQueue } from '@minefleet/event-bus/bounded-queue';
import { pumpQueue } from '@minefleet/event-bus/queue-pump';
import type { Actor } from '@minefleet/services/actor';
import type { AccountService } from '@minefleet/services/accounts';
import type { AuditLog } from '@minefleet/services/audit';
import type { LifecycleService } from '@minefleet/services/lifecycle/lifecycle-service';
import type { Logger } from '@minefleet/services/logger';
import type { RequestContexts } from '../../observability/request-context.js';
import { ERROR_STATUS } from '../error-status.js';
import type { HubWatcher, LiveHub } from './live-hub.js';
import { CLOSE, LIVE_STREAMS, parseClientMessage, type ClientMessage, type LiveStream } from './protocol.js';

export interface LiveSettings {
  /** Messages queued for the client before the oldest are dropped. */
  queueSize: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  /** Time allowed for the first (auth) message. */
  authTimeoutMs: number;
  /** How often the token is checked again (a revoked key or removed member is cut off within it). */
  revalidateMs: number;
  /** Servers one connection may watch. */
  maxSubscriptions: number;
  /** Client messages allowed per 10 s. */
  maxMessagesPer10s: number;
}

export const DEFAULT_LIVE_SETTINGS: LiveSettings = {
  queueSize: 1_000,
  pingIntervalMs: 30_000,
  idleTimeoutMs: 600_000,
  authTimeoutMs: 5_000,
  revalidateMs: 60_000,
  maxSubscriptions: 1_000,
  maxMessagesPer10s: 2_000,
};

/** Counters the route reports to Prometheus. */
export interface LiveStats {
  sent(type: string): void;
  dropped(count: number): void;
}

export interface LiveConnectionDeps {
  accounts: Pick<AccountService, 'authenticate'>;
  lifecycle: Pick<LifecycleService, 'authorize' | 'sendCommand'>;
  audit: AuditLog;
  hub: LiveHub;
  contexts: RequestContexts;
  logger: Logger;
  settings: LiveSettings;
  stats: LiveStats;
  now: () => number;
}

interface Outgoing {
  serverId: string | undefined;
  type: string;
  /** The message as sent: a text frame's payload (events share one buffer across connections). */
  payload: string | Buffer;
}

interface Subscription {
  streams: Set<LiveStream>;
  /** Stops the hub delivering this server's events (set once the watch is live). */
  unwatch: (() => void) | undefined;
}

/** Above this many bytes waiting in the socket, the connection counts as congested. */
const HIGH_WATER_BYTES = 512 * 1024;
/** Warned this long before the token expires, so the client can re-authenticate in place. */
const EXPIRY_WARNING_MS = 60_000;

/**
 * One WebSocket client of `/api/v1/ws` (docs/websocket.md). Messages are handled one at a time in
 * arrival order (a client may send `auth` and its subscriptions back to back). Everything sent goes
 * through one bounded queue drained by `pumpQueue` against the socket's buffer: a client that reads
 * slowly loses its own oldest messages (told by a `dropped` message per server) and never delays the
 * producer or any other client.
 */
export class LiveConnection implements HubWatcher {
  private actor: Actor | null = null;
  private token = '';
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly queue: BoundedQueue<Outgoing>;
  private readonly droppedFor = new Map<string, number>();
  private inbox: Promise<void> = Promise.resolve();
  private closed = false;
  private alive = true;
  private lastActivity: number;
  private windowStart: number;
  private windowCount = 0;
  private commands = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private expiryTimers: NodeJS.Timeout[] = [];

  constructor(
    private readonly socket: WebSocket,
    readonly id: string,
    private readonly deps: LiveConnectionDeps,
  ) {
    this.queue = new BoundedQueue<Outgoing>(deps.settings.queueSize);
    this.lastActivity = deps.now();
    this.windowStart = this.lastActivity;
  }

  /** Wires the socket: auth deadline, messages, heartbeat, pump. Resolves when the connection ends. */
  run(): Promise<void> {
    const { settings } = this.deps;
    this.later(settings.authTimeoutMs, () => {
      if (!this.actor) this.close(CLOSE.unauthenticated, 'authentication timeout');
    });
    const heartbeat = setInterval(() => this.heartbeat(), settings.pingIntervalMs);
    heartbeat.unref();
    this.timers.push(heartbeat);
    const revalidate = setInterval(() => this.enqueueWork(() => this.revalidate()), settings.revalidateMs);
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

    const pump = pumpQueue(this.queue, {
      send: (item) => {
        this.socket.send(item.payload, { binary: false });
        this.deps.stats.sent(item.type);
      },
      isCongested: () => this.socket.bufferedAmount > HIGH_WATER_BYTES,
      onDropped: (count) => this.reportDropped(count),
    }).catch(() => this.close(CLOSE.internal, 'send failed'));
    return Promise.all([ended, pump]).then(() => undefined);
  }

  /** From the hub: an event of a watched server (tenant already matched by the hub's filter). */
  deliver(event: PlatformEvent, frame: Buffer): void {
    const subscription = this.subscriptions.get(event.serverId);
    if (!subscription || !this.actor || event.tenantId !== this.actor.tenantId) return;
    if (event.type !== 'backup' && !subscription.streams.has(event.type)) return;
    this.push({ serverId: event.serverId, type: event.type, payload: frame });
  }

  /** Closes with a code and reason from protocol.ts; idempotent. */
  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.close({ discard: true });
    try {
      this.socket.close(code, reason);
    } catch {
      // already closing
    }
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.socket.terminate(), 2_000).unref();
  }

  // ─── Sending ─────────────────────────────────────────────────────────────────────────────────

  private push(item: Outgoing): void {
    if (this.closed) return;
    if (this.queue.size === this.queue.capacity) {
      // The oldest message is about to go: remember whose it was, for the `dropped` notice.
      const oldest = this.queue.peek();
      if (oldest?.serverId)
        this.droppedFor.set(oldest.serverId, (this.droppedFor.get(oldest.serverId) ?? 0) + 1);
    }
    this.queue.push(item);
  }

  private reply(type: string, serverId: string | undefined, data: unknown, id?: string): void {
    const message = {
      type,
      ...(id !== undefined ? { id } : {}),
      ...(serverId !== undefined ? { server_id: serverId } : {}),
      ts: new Date(this.deps.now()).toISOString(),
      data,
    };
    this.push({ serverId, type, payload: JSON.stringify(message) });
  }

  private replyError(error: unknown, serverId: string | undefined, id?: string): void {
    const domain =
      error instanceof DomainError ? error : new DomainError('INTERNAL', 'Something went wrong on our side.');
    if (!(error instanceof DomainError))
      this.deps.logger.error({ err: error, connection: this.id }, 'websocket message failed');
    this.reply(
      'error',
      serverId,
      { code: domain.code, message: domain.message, ...(domain.details ? { details: domain.details } : {}) },
      id,
    );
  }

  /** Sent straight to the socket (the pump is the caller): one `dropped` message per affected server. */
  private reportDropped(count: number): void {
    this.deps.stats.dropped(count);
    const ts = new Date(this.deps.now()).toISOString();
    for (const [serverId, n] of this.droppedFor) {
      this.socket.send(JSON.stringify({ type: 'dropped', server_id: serverId, ts, data: { count: n } }));
    }
    this.droppedFor.clear();
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
    if (this.closed) return;
    const parsed = parseClientMessage(raw);
    if (!this.actor) {
      if (!parsed.ok || parsed.message.type !== 'auth') {
        this.close(CLOSE.protocolError, 'the first message must be {"type":"auth","token":"..."}');
        return;
      }
      await this.authenticate(parsed.message.token, parsed.message.id);
      return;
    }
    if (!parsed.ok) {
      this.replyError(new DomainError('VALIDATION_FAILED', parsed.problem), undefined, parsed.id);
      return;
    }
    await this.dispatch(parsed.message);
  }

  private async dispatch(message: ClientMessage): Promise<void> {
    switch (message.type) {
      case 'auth':
        return this.authenticate(message.token, message.id);
      case 'subscribe':
        return this.subscribe(message.server_id, message.streams, message.id);
      case 'unsubscribe':
        return this.unsubscribe(message.server_id, message.streams, message.id);
      case 'command':
        return this.command(message.server_id, message.command, message.id);
      case 'ping':
        this.reply('pong', undefined, {}, message.id);
        return;
    }
  }

  // ─── Authentication ──────────────────────────────────────────────────────────────────────────

  /** First auth, or a re-auth with a fresh token (same user and tenant) before the current one expires. */
  private async authenticate(token: string, id?: string): Promise<void> {
    let actor: Actor;
    try {
      actor = await this.deps.accounts.authenticate(token);
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'INTERNAL';
      if (code === 'UNAUTHENTICATED' || code === 'TOKEN_EXPIRED') {
        this.close(CLOSE.unauthenticated, code === 'TOKEN_EXPIRED' ? 'token expired' : 'token refused');
      } else {
        // The database did not answer: not the token's fault, so not 4401 (which means "sign in again").
        this.deps.logger.warn({ err: error, connection: this.id }, 'websocket authentication failed');
        this.close(CLOSE.tryAgainLater, 'authentication unavailable, retry');
      }
      return;
    }
    if (this.actor && (actor.userId !== this.actor.userId || actor.tenantId !== this.actor.tenantId)) {
      this.close(CLOSE.forbidden, 're-auth must keep the same user and tenant');
      return;
    }
    this.token = token;
    this.setActor(actor);
    this.reply(
      'authenticated',
      undefined,
      {
        user_id: actor.userId,
        tenant_id: actor.tenantId,
        role: actor.role,
        expires_at: actor.expiresAt ? new Date(actor.expiresAt).toISOString() : null,
      },
      id,
    );
  }

  private setActor(actor: Actor): void {
    this.actor = { ...actor, requestId: `ws-${this.id}` };
    this.armExpiry(actor.expiresAt);
    if (!roleAtLeast(actor.role, 'operator')) this.dropConsole();
  }

  /** Warns a minute before the token expires; closes with 4401 when it does (unless re-authenticated). */
  private armExpiry(expiresAt: number | undefined): void {
    for (const timer of this.expiryTimers) clearTimeout(timer);
    this.expiryTimers = [];
    if (expiresAt === undefined) return;
    const left = expiresAt - this.deps.now();
    // Timers past ~24.8 days overflow; the revalidation catches those expiries instead.
    if (left > 2 ** 31 - 1) return;
    const warnIn = left - EXPIRY_WARNING_MS;
    if (warnIn > 0) {
      this.expiryTimers.push(
        this.later(warnIn, () =>
          this.reply('auth_expiring', undefined, { expires_at: new Date(expiresAt).toISOString() }),
        ),
      );
    }
    this.expiryTimers.push(
      this.later(Math.max(0, left), () => this.close(CLOSE.unauthenticated, 'token expired')),
    );
  }

  /** The token again: a revoked key, a removed member or a lowered role takes effect on open sockets too. */
  private async revalidate(): Promise<void> {
    if (!this.actor || this.closed) return;
    try {
      const actor = await this.deps.accounts.authenticate(this.token);
      if (actor.role !== this.actor.role) this.setActor({ ...actor, expiresAt: this.actor.expiresAt });
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'UNAUTHENTICATED';
      if (code === 'UNAUTHENTICATED' || code === 'TOKEN_EXPIRED') {
        this.close(CLOSE.unauthenticated, code === 'TOKEN_EXPIRED' ? 'token expired' : 'token refused');
      }
      // Anything else (the database briefly unreachable) is not the client's fault: check again later.
    }
  }

  /** After a role drops below operator: console streams end, each with a FORBIDDEN error. */
  private dropConsole(): void {
    for (const [serverId, subscription] of this.subscriptions) {
      if (!subscription.streams.delete('console')) continue;
      this.replyError(
        new DomainError('FORBIDDEN', 'The console needs the operator role.', { streams: ['console'] }),
        serverId,
      );
      if (subscription.streams.size === 0) {
        subscription.unwatch?.();
        this.subscriptions.delete(serverId);
      }
    }
  }

  // ─── Subscriptions ───────────────────────────────────────────────────────────────────────────

  private async subscribe(serverId: string, names: string[], id?: string): Promise<void> {
    const actor = this.actor!;
    try {
      const unknown = names.filter((n) => !(LIVE_STREAMS as readonly string[]).includes(n));
      if (unknown.length > 0) {
        throw new DomainError('VALIDATION_FAILED', `Unknown streams: ${unknown.join(', ')}.`, {
          streams: unknown,
          allowed: LIVE_STREAMS,
        });
      }
      if (
        !this.subscriptions.has(serverId) &&
        this.subscriptions.size >= this.deps.settings.maxSubscriptions
      ) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `At most ${this.deps.settings.maxSubscriptions} servers per connection.`,
        );
      }
      // Another tenant's server answers exactly like a missing one (row-level security).
      await this.deps.lifecycle.authorize(actor, serverId, 'viewer');
    } catch (error) {
      this.replyError(error, serverId, id);
      return;
    }
    const requested = new Set(names as LiveStream[]);
    const refused = requested.has('console') && !roleAtLeast(actor.role, 'operator') ? ['console'] : [];
    if (refused.length > 0) {
      requested.delete('console');
      this.replyError(
        new DomainError('FORBIDDEN', `The console needs the operator role; you are ${actor.role}.`, {
          streams: refused,
          required: 'operator',
          role: actor.role,
        }),
        serverId,
        id,
      );
    }
    if (requested.size === 0) return;
    let subscription = this.subscriptions.get(serverId);
    if (!subscription) {
      subscription = { streams: new Set(), unwatch: undefined };
      this.subscriptions.set(serverId, subscription);
      try {
        const unwatch = await this.deps.hub.watch(actor.tenantId, serverId, this);
        if (this.closed || this.subscriptions.get(serverId) !== subscription) unwatch();
        else subscription.unwatch = unwatch;
      } catch (error) {
        this.subscriptions.delete(serverId);
        this.replyError(error, serverId, id);
        return;
      }
    }
    for (const stream of requested) subscription.streams.add(stream);
    this.reply('subscribed', serverId, { streams: [...subscription.streams] }, id);
  }

  private async unsubscribe(serverId: string, names: string[] | undefined, id?: string): Promise<void> {
    const subscription = this.subscriptions.get(serverId);
    if (subscription) {
      for (const stream of names ?? [...subscription.streams])
        subscription.streams.delete(stream as LiveStream);
      if (subscription.streams.size === 0) {
        subscription.unwatch?.();
        this.subscriptions.delete(serverId);
      }
    }
    this.reply(
      'unsubscribed',
      serverId,
      { streams: [...(this.subscriptions.get(serverId)?.streams ?? [])] },
      id,
    );
    return Promise.resolve();
  }

  // ─── Commands ────────────────────────────────────────────────────────────────────────────────

  /** Same checks as POST /servers/{id}/commands (the lifecycle's), audited the same way. */
  private async command(serverId: string, command: string, id?: string): Promise<void> {
    const requestId = `ws-${this.id}-${++this.commands}`;
    const actor = { ...this.actor!, requestId };
    let outcome: 'success' | 'failure' = 'success';
    let status = 202;
    try {
      if (!isUuid(serverId))
        throw new DomainError('INVALID_ID', 'The server id is not a UUID.', { id: serverId });
      await this.deps.contexts.run({ requestId }, () =>
        this.deps.lifecycle.sendCommand(actor, serverId, command),
      );
      this.reply('command_accepted', serverId, { accepted: true, request_id: requestId }, id);
    } catch (error) {
      outcome = 'failure';
      status = error instanceof DomainError ? ERROR_STATUS[error.code] : 500;
      this.replyError(error, serverId, id);
    }
    // Unknown servers are not audited under an id the caller cannot see (as for HTTP, tenant-scoped).
    void this.deps.audit.record({
      tenantId: actor.tenantId,
      actorUserId: actor.userId,
      actorApiKeyId: actor.apiKeyId ?? null,
      action: 'server.command',
      targetType: 'servers',
      targetId: isUuid(serverId) ? serverId : null,
      serverId: isUuid(serverId) ? serverId : null,
      outcome,
      statusCode: status,
      requestId,
      details: { via: 'websocket' },
    });
  }

  // ─── Liveness ────────────────────────────────────────────────────────────────────────────────

  private heartbeat(): void {
    if (this.closed) return;
    if (!this.alive) {
      this.close(CLOSE.timeout, 'heartbeat timeout');
      return;
    }
    if (
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

  private later(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(fn, ms);
    timer.unref();
    this.timers.push(timer);
    return timer;
  }

  private cleanup(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    for (const timer of this.expiryTimers) clearTimeout(timer);
    this.queue.close({ discard: true });
    for (const subscription of this.subscriptions.values()) subscription.unwatch?.();
    this.subscriptions.clear();
  }
}

/** A text frame's content (the library hands over a Buffer, or fragments of one). */
function textOf(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}
