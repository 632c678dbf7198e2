import { and, desc, eq, gt, isNull, ne } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { sessions } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import type { AuthCache } from './auth-cache.js';

export type SessionRecord = typeof sessions.$inferSelect;

export interface SessionTimeouts {
  /** A session unused this long ends (ms). */
  idleMs: number;
  /** No session lives longer than this (ms). */
  maxMs: number;
}

/** The longest User-Agent kept for the session list. */
const DEVICE_MAX = 200;

/**
 * Server-side sign-in sessions: one row per signed-in device, named by every token of it (`sid`). A
 * session ends when revoked (logout, "sign out everywhere", password reset), when unused for the idle
 * timeout, or at its absolute end; tokens are checked against the row (through the auth cache).
 */
export class SessionStore {
  /** When a session's last_seen_at was last written (at most once a minute per session). */
  private readonly seenWrites = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly cache: AuthCache,
    readonly timeouts: SessionTimeouts,
  ) {}

  async open(
    userId: string,
    ctx: { ip?: string | undefined; userAgent?: string | undefined },
    method: SessionRecord['method'] = 'password',
  ): Promise<SessionRecord> {
    const now = this.clock.now();
    const [row] = await this.db.system((tx) =>
      tx
        .insert(sessions)
        .values({
          userId,
          device: (ctx.userAgent ?? '').slice(0, DEVICE_MAX) || 'unknown',
          ip: ctx.ip ?? null,
          createdAt: new Date(now),
          lastSeenAt: new Date(now),
          expiresAt: new Date(now + this.timeouts.maxMs),
          method,
        })
        .returning(),
    );
    return row!;
  }

  /**
   * Why a session row no longer authenticates, or null while it does. Idle is measured from the last
   * recorded use, which is written at most once a minute, so the idle timeout is exact to a minute.
   */
  endReason(row: Pick<SessionRecord, 'revokedAt' | 'expiresAt' | 'lastSeenAt'>): string | null {
    const now = this.clock.now();
    if (row.revokedAt) return 'The session was signed out; sign in again.';
    if (row.expiresAt.getTime() <= now) return 'The session reached its maximum age; sign in again.';
    if (row.lastSeenAt.getTime() + this.timeouts.idleMs <= now)
      return 'The session was idle too long; sign in again.';
    return null;
  }

  /** The live session of a user, or SESSION_NOT_FOUND / UNAUTHENTICATED. */
  async live(userId: string, sessionId: string): Promise<SessionRecord> {
    const [row] = await this.db.system((tx) =>
      tx
        .select()
        .from(sessions)
        .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId)))
        .limit(1),
    );
    if (!row) throw new DomainError('UNAUTHENTICATED', 'The session does not exist; sign in again.');
    const ended = this.endReason(row);
    if (ended) throw new DomainError('UNAUTHENTICATED', ended);
    return row;
  }

  /**
   * Records a use of the session, at most once a minute. Callers on the request path do not wait for
   * it; the returned promise (never rejected) settles when the write is done.
   */
  touch(sessionId: string): Promise<void> {
    const now = this.clock.now();
    const last = this.seenWrites.get(sessionId) ?? 0;
    if (now - last < 60_000) return Promise.resolve();
    this.seenWrites.set(sessionId, now);
    if (this.seenWrites.size > 10_000) this.seenWrites.clear();
    return this.db
      .system((tx) =>
        tx
          .update(sessions)
          .set({ lastSeenAt: new Date(now) })
          .where(eq(sessions.id, sessionId)),
      )
      .then(
        () => undefined,
        () => undefined,
      );
  }

  /** The user's sessions that still authenticate, newest first. */
  async list(userId: string): Promise<SessionRecord[]> {
    const now = new Date(this.clock.now());
    const rows = await this.db.system((tx) =>
      tx
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
        .orderBy(desc(sessions.lastSeenAt))
        .limit(200),
    );
    return rows.filter((r) => this.endReason(r) === null);
  }

  async revoke(userId: string, sessionId: string): Promise<void> {
    const revoked = await this.db.system((tx) =>
      tx
        .update(sessions)
        .set({ revokedAt: new Date(this.clock.now()) })
        .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
        .returning({ id: sessions.id }),
    );
    this.cache.forgetSession(sessionId);
    if (revoked.length === 0) throw new DomainError('SESSION_NOT_FOUND', 'No such session.');
  }

  /** Ends every session of the user but `keep` (sign out everywhere, password change or reset). */
  async revokeAll(userId: string, keep?: string): Promise<number> {
    const revoked = await this.db.system((tx) =>
      tx
        .update(sessions)
        .set({ revokedAt: new Date(this.clock.now()) })
        .where(
          and(
            eq(sessions.userId, userId),
            isNull(sessions.revokedAt),
            keep ? ne(sessions.id, keep) : undefined,
          ),
        )
        .returning({ id: sessions.id }),
    );
    for (const r of revoked) this.cache.forgetSession(r.id);
    return revoked.length;
  }
}
