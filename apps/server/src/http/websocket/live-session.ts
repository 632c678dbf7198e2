import { DomainError } from '@minefleet/domain/errors';
import { permissionsOf, type Actor } from '@minefleet/services/actor';
import type { LiveOutbox } from './live-outbox.js';
import { CLOSE } from './protocol.js';
import type { LiveConnectionDeps } from './live-settings.js';

/** Warned this long before the token expires, so the client can re-authenticate in place. */
const EXPIRY_WARNING_MS = 60_000;

/** What the session needs of its connection. */
export interface SessionHost {
  readonly id: string;
  readonly closed: boolean;
  close(code: number, reason: string): void;
  /** A timer cleared when the connection ends. */
  later(ms: number, fn: () => void): NodeJS.Timeout;
}

/**
 * Who a connection acts as: the first `auth` message, a re-auth with a fresh token before the current
 * one expires, the expiry warning and cut-off, and the periodic check of the token again.
 */
export class LiveSession {
  private current: Actor | null = null;
  private token = '';
  private expiryTimers: NodeJS.Timeout[] = [];

  constructor(
    private readonly host: SessionHost,
    private readonly deps: Pick<LiveConnectionDeps, 'accounts' | 'logger' | 'now'>,
    private readonly outbox: LiveOutbox,
    /** Called with each new actor (its permissions may have shrunk). */
    private readonly onActor: (actor: Actor) => void,
  ) {}

  /** The actor, once authenticated. */
  get actor(): Actor | null {
    return this.current;
  }

  /** First auth, or a re-auth with a fresh token (same user and tenant) before the current one expires. */
  async authenticate(token: string, id?: string): Promise<void> {
    let actor: Actor;
    try {
      actor = await this.deps.accounts.authenticate(token);
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'INTERNAL';
      if (code === 'UNAUTHENTICATED' || code === 'TOKEN_EXPIRED') {
        this.host.close(CLOSE.unauthenticated, code === 'TOKEN_EXPIRED' ? 'token expired' : 'token refused');
      } else {
        // The database did not answer: not the token's fault, so not 4401 (which means "sign in again").
        this.deps.logger.warn({ err: error, connection: this.host.id }, 'websocket authentication failed');
        this.host.close(CLOSE.tryAgainLater, 'authentication unavailable, retry');
      }
      return;
    }
    if (this.current && (actor.userId !== this.current.userId || actor.tenantId !== this.current.tenantId)) {
      this.host.close(CLOSE.forbidden, 're-auth must keep the same user and tenant');
      return;
    }
    this.token = token;
    this.setActor(actor);
    this.outbox.reply(
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

  /**
   * The token again: a revoked key, a removed member, a lowered role or a custom role that lost a
   * permission takes effect on open sockets too.
   */
  async revalidate(): Promise<void> {
    if (!this.current || this.host.closed) return;
    try {
      const actor = await this.deps.accounts.authenticate(this.token);
      if (actor.role !== this.current.role || !samePermissions(actor, this.current))
        this.setActor({ ...actor, expiresAt: this.current.expiresAt });
    } catch (error) {
      const code = error instanceof DomainError ? error.code : 'UNAUTHENTICATED';
      if (code === 'UNAUTHENTICATED' || code === 'TOKEN_EXPIRED') {
        this.host.close(CLOSE.unauthenticated, code === 'TOKEN_EXPIRED' ? 'token expired' : 'token refused');
      }
      // Anything else (the database briefly unreachable) is not the client's fault: check again later.
    }
  }

  /** The connection ended. */
  end(): void {
    for (const timer of this.expiryTimers) clearTimeout(timer);
  }

  private setActor(actor: Actor): void {
    this.current = { ...actor, requestId: `ws-${this.host.id}` };
    this.armExpiry(actor.expiresAt);
    this.onActor(actor);
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
        this.host.later(warnIn, () =>
          this.outbox.reply('auth_expiring', undefined, { expires_at: new Date(expiresAt).toISOString() }),
        ),
      );
    }
    this.expiryTimers.push(
      this.host.later(Math.max(0, left), () => this.host.close(CLOSE.unauthenticated, 'token expired')),
    );
  }
}

function samePermissions(a: Actor, b: Actor): boolean {
  const left = permissionsOf(a);
  const right = permissionsOf(b);
  return left.size === right.size && [...left].every((p) => right.has(p));
}
