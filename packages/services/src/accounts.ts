import { and, asc, eq, isNull } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { apiKeys, memberships, tenants, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import type { Role } from '@minefleet/domain/roles';
import type { Actor } from './actor.js';
import type { AuditLog } from './audit.js';
import type { AuthCache } from './auth-cache.js';
import { assertStrongPassword, hashPassword, makeDummyHash, verifyPassword } from './passwords.js';
import {
  hashApiKey,
  looksLikeApiKey,
  type IssuedToken,
  type LinkScope,
  type SessionClaims,
  type SessionTokens,
} from './tokens.js';

export type UserRecord = Omit<typeof users.$inferSelect, 'passwordHash'>;
export type TenantRecord = typeof tenants.$inferSelect;

export interface SignupInput {
  email: string;
  password: string;
  displayName?: string | undefined;
  tenantName?: string | undefined;
}

export interface RequestContext {
  ip?: string | undefined;
  requestId?: string | undefined;
}

const EMAIL_RE = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]{2,}$/;

export function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL_RE.test(email)) {
    throw new DomainError('INVALID_EMAIL', 'The email address is not valid.', { field: 'email' });
  }
  return email;
}

function publicUser(row: typeof users.$inferSelect): UserRecord {
  const { passwordHash: _hidden, ...rest } = row;
  return rest;
}

/** Sign-up, sign-in, sessions and request authentication. */
export class AccountService {
  private dummyHash: Promise<string> | undefined;
  /** How often an API key's last_used_at is written at most (one write per key per minute). */
  private readonly lastUsedWrites = new Map<string, number>();

  constructor(
    private readonly db: Database,
    private readonly tokens: SessionTokens,
    private readonly audit: AuditLog,
    private readonly clock: Clock,
    private readonly cache: AuthCache,
    /** The host's administrator list: a listed email's account is created as a platform admin. */
    private readonly platformAdmins: { isListed(email: string): boolean } = { isListed: () => false },
  ) {}

  async signup(
    input: SignupInput,
    ctx: RequestContext = {},
  ): Promise<{ user: UserRecord; tenant: TenantRecord; session: IssuedToken }> {
    const email = normaliseEmail(input.email);
    assertStrongPassword(input.password, email);
    const displayName = (input.displayName ?? '').trim() || email.split('@')[0]!;
    const tenantName = (input.tenantName ?? '').trim() || `${displayName}'s servers`;
    const passwordHash = await hashPassword(input.password);
    let created: { user: typeof users.$inferSelect; tenant: TenantRecord };
    try {
      created = await this.db.system(async (tx) => {
        const [user] = await tx
          .insert(users)
          .values({ email, passwordHash, displayName, isPlatformAdmin: this.platformAdmins.isListed(email) })
          .returning();
        const [tenant] = await tx.insert(tenants).values({ name: tenantName }).returning();
        await tx.insert(memberships).values({ tenantId: tenant!.id, userId: user!.id, role: 'owner' });
        return { user: user!, tenant: tenant! };
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new DomainError('EMAIL_TAKEN', 'An account with this email already exists.');
      throw error;
    }
    await this.audit.record({
      tenantId: created.tenant.id,
      actorUserId: created.user.id,
      action: 'auth.signup',
      targetType: 'user',
      targetId: created.user.id,
      outcome: 'success',
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
    });
    const session = this.tokens.issue({ sub: created.user.id, tid: created.tenant.id });
    return { user: publicUser(created.user), tenant: created.tenant, session };
  }

  /**
   * Checks the password (argon2id) and opens a session in the given tenant, or the user's first one.
   * An unknown email and a wrong password give the same error after the same work.
   */
  async login(
    input: { email: string; password: string; tenantId?: string | undefined },
    ctx: RequestContext = {},
  ): Promise<{ user: UserRecord; tenant: TenantRecord; role: Role; session: IssuedToken }> {
    const email = input.email.trim().toLowerCase();
    const user = await this.db.system(
      async (tx) => (await tx.select().from(users).where(eq(users.email, email)).limit(1))[0],
    );
    this.dummyHash ??= makeDummyHash();
    const ok = await verifyPassword(user?.passwordHash ?? (await this.dummyHash), input.password);
    if (!user || !ok) {
      await this.audit.record({
        tenantId: null,
        actorUserId: user?.id ?? null,
        action: 'auth.login',
        outcome: 'failure',
        statusCode: 401,
        ip: ctx.ip ?? null,
        requestId: ctx.requestId ?? null,
        details: { email },
      });
      throw new DomainError('INVALID_CREDENTIALS', 'The email or password is wrong.');
    }
    const membership = await this.db.system((tx) => this.pickMembership(tx, user.id, input.tenantId));
    await this.audit.record({
      tenantId: membership.tenant.id,
      actorUserId: user.id,
      action: 'auth.login',
      outcome: 'success',
      statusCode: 200,
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
    });
    const session = this.tokens.issue({ sub: user.id, tid: membership.tenant.id });
    return { user: publicUser(user), tenant: membership.tenant, role: membership.role, session };
  }

  /** A new session token for another tenant the user belongs to (the dashboard's tenant switcher). */
  async switchTenant(
    actor: Actor,
    tenantId: string,
  ): Promise<{ tenant: TenantRecord; role: Role; session: IssuedToken }> {
    const membership = await this.db.system((tx) => this.pickMembership(tx, actor.userId, tenantId));
    return { ...membership, session: this.tokens.issue({ sub: actor.userId, tid: membership.tenant.id }) };
  }

  private async pickMembership(
    tx: Tx,
    userId: string,
    tenantId: string | undefined,
  ): Promise<{ tenant: TenantRecord; role: Role }> {
    const rows = await tx
      .select({ tenant: tenants, role: memberships.role })
      .from(memberships)
      .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
      .where(and(eq(memberships.userId, userId), tenantId ? eq(memberships.tenantId, tenantId) : undefined))
      .orderBy(asc(memberships.createdAt))
      .limit(1);
    const row = rows[0];
    if (!row) {
      throw new DomainError(
        'TENANT_NOT_FOUND',
        tenantId ? 'You are not a member of that tenant.' : 'You are not a member of any tenant.',
      );
    }
    return row;
  }

  /** Resolves a bearer token (session JWT or `mf_` API key) to the acting user, tenant and role. */
  async authenticate(bearer: string): Promise<Actor> {
    if (looksLikeApiKey(bearer)) return this.authenticateApiKey(bearer);
    const claims = this.tokens.check(bearer);
    const cached = this.cache.get(bearer);
    if (cached) return cached;
    const actor = await this.memberActor(claims);
    this.cache.set(bearer, actor, claims.exp * 1000);
    return actor;
  }

  /**
   * A link for one purpose on one resource (a backup download), valid `ttlSeconds`, acting as the
   * caller; the caller's role is read again when the link is used.
   */
  issueLink(actor: Actor, scope: LinkScope, ttlSeconds: number): IssuedToken {
    return this.tokens.issueLink({ sub: actor.userId, tid: actor.tenantId, ...scope }, ttlSeconds);
  }

  /** The actor of a link token, for exactly the purpose and resource it was issued for. */
  async authenticateLink(token: string, scope: LinkScope): Promise<Actor> {
    return this.memberActor(this.tokens.checkLink(token, scope));
  }

  private async memberActor(claims: SessionClaims & { exp: number }): Promise<Actor> {
    // One statement, no transaction: the lookup names its tenant and user explicitly.
    const [row] = await this.db.drizzle
      .select({ role: memberships.role })
      .from(memberships)
      .where(and(eq(memberships.tenantId, claims.tid), eq(memberships.userId, claims.sub)))
      .limit(1);
    // A user removed from the tenant loses access, whatever their token says.
    if (!row) throw new DomainError('UNAUTHENTICATED', 'You are no longer a member of this tenant.');
    return { userId: claims.sub, tenantId: claims.tid, role: row.role, expiresAt: claims.exp * 1000 };
  }

  private async authenticateApiKey(key: string): Promise<Actor> {
    const hash = hashApiKey(key);
    const row = await this.db.system(async (tx) => {
      const [found] = await tx
        .select({ key: apiKeys, role: memberships.role })
        .from(apiKeys)
        .innerJoin(
          memberships,
          and(eq(memberships.tenantId, apiKeys.tenantId), eq(memberships.userId, apiKeys.userId)),
        )
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
      apiKeyId: row.key.id,
      expiresAt: row.key.expiresAt?.getTime(),
    };
    this.cache.set(hash, actor, row.key.expiresAt?.getTime());
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

  /** The caller's user, tenant, role and every tenant they belong to. */
  async me(actor: Actor): Promise<{
    user: UserRecord;
    tenant: TenantRecord;
    role: Role;
    tenants: { tenant: TenantRecord; role: Role }[];
  }> {
    return this.db.system(async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.id, actor.userId));
      const all = await tx
        .select({ tenant: tenants, role: memberships.role })
        .from(memberships)
        .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
        .where(eq(memberships.userId, actor.userId))
        .orderBy(asc(memberships.createdAt));
      const current = all.find((m) => m.tenant.id === actor.tenantId);
      if (!user || !current)
        throw new DomainError('UNAUTHENTICATED', 'You are no longer a member of this tenant.');
      return { user: publicUser(user), tenant: current.tenant, role: current.role, tenants: all };
    });
  }
}
