import { asc, eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { customRoles, memberships, tenants, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import type { Role } from '@minefleet/domain/roles';
import type { Actor } from './actor.js';
import type { AuditLog } from './audit.js';
import type { AuthCache } from './auth-cache.js';
import type { SessionStore } from './sessions.js';
import type { IssuedToken, LinkScope, SessionTokens } from './tokens.js';
import {
  publicUser,
  ssoRequired,
  type RequestContext,
  type SecondFactor,
  type SignInLimits,
  type TenantRecord,
  type UserRecord,
} from './account-records.js';
import { RequestAuth } from './request-auth.js';
import { pickMembership, SignIn } from './sign-in.js';

export {
  normaliseEmail,
  type RequestContext,
  type SecondFactor,
  type SignInLimits,
  type TenantRecord,
  type UserRecord,
} from './account-records.js';

type SignedIn = { user: UserRecord; tenant: TenantRecord; role: Role; session: IssuedToken };

/**
 * Sign-up, sign-in, sessions and request authentication: one service for the routes, made of the
 * sign-in steps (sign-in.ts), request authentication (request-auth.ts) and the session and account
 * operations here.
 */
export class AccountService {
  private readonly signIn: SignIn;
  private readonly requestAuth: RequestAuth;

  constructor(
    private readonly db: Database,
    private readonly tokens: SessionTokens,
    audit: AuditLog,
    clock: Clock,
    cache: AuthCache,
    private readonly sessions: SessionStore,
    signInLimits?: SignInLimits,
    secondFactor?: SecondFactor,
  ) {
    this.signIn = new SignIn(db, tokens, audit, sessions, signInLimits, secondFactor);
    this.requestAuth = new RequestAuth(db, tokens, clock, cache, sessions);
  }

  /**
   * Checks the password (argon2id) and opens a session in the given tenant, or the user's first one.
   * An unknown email and a wrong password give the same error after the same work.
   */
  login(
    input: { email: string; password: string; tenantId?: string | undefined },
    ctx: RequestContext = {},
  ): Promise<SignedIn> {
    return this.signIn.login(input, ctx);
  }

  /** A sign-in whose identity another party proved (single sign-on); see SignIn.loginVerified. */
  loginVerified(
    userId: string,
    tenantId: string | undefined,
    options: { secondFactorAsserted: boolean },
    ctx: RequestContext = {},
  ): Promise<SignedIn> {
    return this.signIn.loginVerified(userId, tenantId, options, ctx);
  }

  /** The second sign-in step: the token of the password step and a TOTP or recovery code. */
  loginSecondFactor(input: { mfaToken: string; code: string }, ctx: RequestContext = {}): Promise<SignedIn> {
    return this.signIn.loginSecondFactor(input, ctx);
  }

  /** The account a second-step token was issued to (to prepare that step, e.g. passkey options). */
  secondFactorUser(mfaToken: string): string {
    return this.signIn.secondFactorUser(mfaToken);
  }

  /** The second sign-in step with any proof `verify` checks for the account the token names. */
  loginSecondFactorWith(
    mfaToken: string,
    verify: (userId: string) => Promise<void>,
    ctx: RequestContext = {},
  ): Promise<SignedIn> {
    return this.signIn.loginSecondFactorWith(mfaToken, verify, ctx);
  }

  /** A sign-in without a password: `verify` proves who the user is and answers their id. */
  loginWithPasskey(
    verify: () => Promise<string>,
    tenantId: string | undefined,
    ctx: RequestContext = {},
  ): Promise<SignedIn> {
    return this.signIn.loginWithPasskey(verify, tenantId, ctx);
  }

  /** Resolves a bearer token (session JWT or `mf_` API key) to the acting user, tenant and role. */
  authenticate(bearer: string): Promise<Actor> {
    return this.requestAuth.authenticate(bearer);
  }

  /** A link for one purpose on one resource, valid `ttlSeconds`, acting as the caller. */
  issueLink(actor: Actor, scope: LinkScope, ttlSeconds: number): IssuedToken {
    return this.requestAuth.issueLink(actor, scope, ttlSeconds);
  }

  /** The actor of a link token, for exactly the purpose and resource it was issued for. */
  authenticateLink(token: string, scope: LinkScope): Promise<Actor> {
    return this.requestAuth.authenticateLink(token, scope);
  }

  /**
   * A token of the same session for another tenant the user belongs to (the dashboard's tenant
   * switcher). It ends when the caller's token ends: switching never lengthens a session. An API key
   * is bound to its tenant and cannot be exchanged for a session at all.
   */
  async switchTenant(
    actor: Actor,
    tenantId: string,
  ): Promise<{ tenant: TenantRecord; role: Role; session: IssuedToken }> {
    const sessionId = this.requireSession(actor);
    const membership = await this.db.system((tx) => pickMembership(tx, actor.userId, tenantId));
    if (membership.tenant.ssoOnly) {
      const row = await this.sessions.live(actor.userId, sessionId);
      if (row.method !== 'sso') throw ssoRequired(membership.tenant.id);
    }
    const session = this.tokens.issue(
      { sub: actor.userId, tid: membership.tenant.id, sid: sessionId },
      actor.expiresAt,
    );
    return { ...membership, session };
  }

  /**
   * A fresh token of the caller's session (same tenant), valid for the token lifetime again but never
   * past the session's absolute end: a client that refreshes stays signed in without the password.
   */
  async refresh(actor: Actor): Promise<IssuedToken> {
    const sessionId = this.requireSession(actor);
    const row = await this.sessions.live(actor.userId, sessionId);
    void this.sessions.touch(sessionId);
    return this.tokens.issue(
      { sub: actor.userId, tid: actor.tenantId, sid: sessionId },
      row.expiresAt.getTime(),
    );
  }

  /** Ends the caller's session (every token of it, on every tenant). */
  async logout(actor: Actor): Promise<void> {
    await this.sessions.revoke(actor.userId, this.requireSession(actor));
  }

  private requireSession(actor: Actor): string {
    if (actor.apiKeyId || !actor.sessionId) {
      throw new DomainError(
        'FORBIDDEN',
        'An API key cannot be exchanged for a session; sign in with your password.',
        { required: 'session' },
      );
    }
    return actor.sessionId;
  }

  /** The caller's user, tenant, role and every tenant they belong to. */
  async me(actor: Actor): Promise<{
    user: UserRecord;
    tenant: TenantRecord;
    role: Role;
    customRole: { id: string; name: string } | null;
    tenants: { tenant: TenantRecord; role: Role }[];
  }> {
    return this.db.system(async (tx) => {
      const [user] = await tx.select().from(users).where(eq(users.id, actor.userId));
      const rows = await tx
        .select({
          tenant: tenants,
          role: memberships.role,
          customRoleId: customRoles.id,
          customRoleName: customRoles.name,
        })
        .from(memberships)
        .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
        .leftJoin(customRoles, eq(customRoles.id, memberships.customRoleId))
        .where(eq(memberships.userId, actor.userId))
        .orderBy(asc(memberships.createdAt));
      const current = rows.find((m) => m.tenant.id === actor.tenantId);
      if (!user || !current)
        throw new DomainError('UNAUTHENTICATED', 'You are no longer a member of this tenant.');
      const customRole =
        current.customRoleId === null
          ? null
          : { id: current.customRoleId, name: current.customRoleName ?? '' };
      const all = rows.map((m) => ({ tenant: m.tenant, role: m.role }));
      return { user: publicUser(user), tenant: current.tenant, role: current.role, customRole, tenants: all };
    });
  }
}
