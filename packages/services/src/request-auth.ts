import { and, eq, isNull } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { apiKeys, customRoles, memberships, sessions, tenants, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import { effectivePermissions, memberPermissions } from '@minefleet/domain/permissions';
import type { Actor } from './actor.js';
import type { AuthCache } from './auth-cache.js';
import type { SessionStore } from './sessions.js';
import {
  hashApiKey,
  looksLikeApiKey,
  type IssuedToken,
  type LinkScope,
  type SessionClaims,
  type SessionTokens,
} from './tokens.js';
import { hasPasskey, ssoRequired } from './account-records.js';

/** The `sid` of a link issued to an API key's caller: the link lives only as long as the key. */
const KEY_SID_PREFIX = 'key:';

/** Request authentication: a session token, an API key or a link token to the acting member. */
export class RequestAuth {
  /** How often an API key's last_used_at is written at most (one write per key per minute). */
  private readonly lastUsedWrites = new Map<string, number>();
  /** Session lookups under way, by bearer token, with the cache version each began at. */
  private readonly lookups = new Map<string, { version: number; actor: Promise<Actor> }>();

  constructor(
    private readonly db: Database,
    private readonly tokens: SessionTokens,
    private readonly clock: Clock,
    private readonly cache: AuthCache,
    private readonly sessions: SessionStore,
  ) {}

  /** Resolves a bearer token (session JWT or `mf_` API key) to the acting user, tenant and role. */
  async authenticate(bearer: string): Promise<Actor> {
    if (looksLikeApiKey(bearer)) return this.authenticateApiKey(bearer);
    const claims = this.tokens.check(bearer);
    const cached = this.cache.get(bearer);
    if (cached) return cached;
    const version = this.cache.version();
    // Requests of one session that arrive together (a client's burst) share one lookup, unless the
    // cache was cleared since it began (a role change or sign-out must not be answered from before it).
    const pending = this.lookups.get(bearer);
    if (pending && pending.version === version) return { ...(await pending.actor) };
    const actor = this.memberActor(claims);
    const lookup = { version, actor };
    this.lookups.set(bearer, lookup);
    try {
      const found = await actor;
      this.cache.set(bearer, found, claims.exp * 1000, version);
      return found;
    } finally {
      if (this.lookups.get(bearer) === lookup) this.lookups.delete(bearer);
    }
  }

  /**
   * A link for one purpose on one resource (a backup download), valid `ttlSeconds`, acting as the
   * caller; the caller's role is read again when the link is used.
   */
  issueLink(actor: Actor, scope: LinkScope, ttlSeconds: number): IssuedToken {
    const sid = actor.apiKeyId ? `${KEY_SID_PREFIX}${actor.apiKeyId}` : actor.sessionId;
    if (!sid) throw new DomainError('UNAUTHENTICATED', 'Sign in first.');
    // The link dies with the credential that asked for it: never later than it, revoked with it.
    return this.tokens.issueLink(
      { sub: actor.userId, tid: actor.tenantId, sid, ...scope },
      ttlSeconds,
      actor.expiresAt,
    );
  }

  /** The actor of a link token, for exactly the purpose and resource it was issued for. */
  async authenticateLink(token: string, scope: LinkScope): Promise<Actor> {
    return this.memberActor(this.tokens.checkLink(token, scope));
  }

  private async memberActor(claims: SessionClaims & { exp: number }): Promise<Actor> {
    if (claims.sid.startsWith(KEY_SID_PREFIX)) return this.keyLinkActor(claims);
    // One statement, no transaction: the lookup names its tenant, user and session explicitly.
    const [row] = await this.db.drizzle
      .select({
        role: memberships.role,
        customRoleId: memberships.customRoleId,
        customPermissions: customRoles.permissions,
        revokedAt: sessions.revokedAt,
        expiresAt: sessions.expiresAt,
        lastSeenAt: sessions.lastSeenAt,
        require2fa: tenants.require2fa,
        totpEnabledAt: users.totpEnabledAt,
        hasPasskey: hasPasskey(),
        ssoOnly: tenants.ssoOnly,
        method: sessions.method,
      })
      .from(memberships)
      .innerJoin(sessions, and(eq(sessions.id, claims.sid), eq(sessions.userId, memberships.userId)))
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .innerJoin(users, eq(users.id, memberships.userId))
      .leftJoin(customRoles, eq(customRoles.id, memberships.customRoleId))
      .where(and(eq(memberships.tenantId, claims.tid), eq(memberships.userId, claims.sub)))
      .limit(1);
    // A user removed from the tenant loses access, whatever their token says.
    if (!row) throw new DomainError('UNAUTHENTICATED', 'You are no longer a member of this tenant.');
    const ended = this.sessions.endReason(row);
    if (ended) throw new DomainError('UNAUTHENTICATED', ended);
    // A session opened with a password before the tenant turned "single sign-on only" on ends here.
    if (row.ssoOnly && row.method !== 'sso') throw ssoRequired(claims.tid);
    void this.sessions.touch(claims.sid);
    return {
      userId: claims.sub,
      tenantId: claims.tid,
      role: row.role,
      permissions: memberPermissions(row.role, row.customPermissions),
      customRoleId: row.customRoleId ?? undefined,
      secondFactorMissing: row.require2fa && !row.totpEnabledAt && !row.hasPasskey,
      sessionId: claims.sid,
      expiresAt: claims.exp * 1000,
    };
  }

  /** A link issued to an API key's caller: valid only while that key is. */
  private async keyLinkActor(claims: SessionClaims & { exp: number }): Promise<Actor> {
    const keyId = claims.sid.slice(KEY_SID_PREFIX.length);
    const [row] = await this.db.drizzle
      .select({
        role: memberships.role,
        customRoleId: memberships.customRoleId,
        customPermissions: customRoles.permissions,
        expiresAt: apiKeys.expiresAt,
        permissions: apiKeys.permissions,
      })
      .from(apiKeys)
      .innerJoin(
        memberships,
        and(eq(memberships.tenantId, apiKeys.tenantId), eq(memberships.userId, apiKeys.userId)),
      )
      .leftJoin(customRoles, eq(customRoles.id, memberships.customRoleId))
      .where(
        and(
          eq(apiKeys.id, keyId),
          eq(apiKeys.tenantId, claims.tid),
          eq(apiKeys.userId, claims.sub),
          isNull(apiKeys.revokedAt),
        ),
      )
      .limit(1);
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= this.clock.now())) {
      throw new DomainError('UNAUTHENTICATED', 'The API key this link was made with is no longer valid.');
    }
    return {
      userId: claims.sub,
      tenantId: claims.tid,
      role: row.role,
      permissions: effectivePermissions(memberPermissions(row.role, row.customPermissions), row.permissions),
      customRoleId: row.customRoleId ?? undefined,
      apiKeyId: keyId,
      expiresAt: claims.exp * 1000,
    };
  }

  private async authenticateApiKey(key: string): Promise<Actor> {
    const hash = hashApiKey(key);
    // A key seen in the last few seconds needs no lookup; revoking it here drops the entry at once.
    const cached = this.cache.get(hash);
    if (cached) {
      this.touchApiKey(cached.apiKeyId!, this.clock.now());
      return cached;
    }
    const version = this.cache.version();
    const row = await this.db.system(async (tx) => {
      const [found] = await tx
        .select({
          key: apiKeys,
          role: memberships.role,
          customRoleId: memberships.customRoleId,
          customPermissions: customRoles.permissions,
          require2fa: tenants.require2fa,
          totpEnabledAt: users.totpEnabledAt,
          hasPasskey: hasPasskey(),
        })
        .from(apiKeys)
        .innerJoin(
          memberships,
          and(eq(memberships.tenantId, apiKeys.tenantId), eq(memberships.userId, apiKeys.userId)),
        )
        .innerJoin(tenants, eq(tenants.id, apiKeys.tenantId))
        .innerJoin(users, eq(users.id, apiKeys.userId))
        .leftJoin(customRoles, eq(customRoles.id, memberships.customRoleId))
        .where(and(eq(apiKeys.keyHash, hash), isNull(apiKeys.revokedAt)))
        .limit(1);
      return found;
    });
    if (!row) throw new DomainError('UNAUTHENTICATED', 'The API key is not valid or was revoked.');
    const now = this.clock.now();
    if (row.key.expiresAt && row.key.expiresAt.getTime() <= now) {
      throw new DomainError('TOKEN_EXPIRED', 'The API key has expired.');
    }
    this.touchApiKey(row.key.id, now);
    const actor: Actor = {
      userId: row.key.userId,
      tenantId: row.key.tenantId,
      role: row.role,
      permissions: effectivePermissions(
        memberPermissions(row.role, row.customPermissions),
        row.key.permissions,
      ),
      customRoleId: row.customRoleId ?? undefined,
      secondFactorMissing: row.require2fa && !row.totpEnabledAt && !row.hasPasskey,
      apiKeyId: row.key.id,
      expiresAt: row.key.expiresAt?.getTime(),
    };
    this.cache.set(hash, actor, row.key.expiresAt?.getTime(), version);
    return actor;
  }

  /** Records when a key was last used, at most once a minute per key, off the request path. */
  private touchApiKey(id: string, now: number): void {
    const last = this.lastUsedWrites.get(id) ?? 0;
    if (now - last < 60_000) return;
    this.lastUsedWrites.set(id, now);
    if (this.lastUsedWrites.size > 10_000) this.lastUsedWrites.clear();
    this.db
      .system((tx) =>
        tx
          .update(apiKeys)
          .set({ lastUsedAt: new Date(now) })
          .where(eq(apiKeys.id, id)),
      )
      .catch(() => {});
  }
}
