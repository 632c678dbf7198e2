import { and, asc, eq } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { memberships, tenants, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Role } from '@minefleet/domain/roles';
import type { AuditLog } from './audit.js';
import type { SessionStore } from './sessions.js';
import { makeDummyHash, verifyPassword } from './passwords.js';
import type { IssuedToken, SessionTokens } from './tokens.js';
import {
  publicUser,
  ssoRequired,
  type RequestContext,
  type SecondFactor,
  type SignInLimits,
  type TenantRecord,
  type UserRecord,
} from './account-records.js';

/** How long the password step of a two-factor sign-in stays good for the code step. */
const MFA_STEP_SECONDS = 300;

/** How a session was opened. */
type SignInMethod = 'password' | 'sso';

/** The `sid` of the second-step token: how the first step was made. */
const MFA_SID: Readonly<Record<SignInMethod, string>> = { password: 'mfa', sso: 'mfa:sso' };

/** Sign-up and every way of signing in (password, second factor, single sign-on, passkey). */
export class SignIn {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly db: Database,
    private readonly tokens: SessionTokens,
    private readonly audit: AuditLog,
    private readonly sessions: SessionStore,
    private readonly signInLimits?: SignInLimits,
    private readonly secondFactor?: SecondFactor,
  ) {}

  /**
   * Checks the password (argon2id) and opens a session in the given tenant, or the user's first one.
   * An unknown email and a wrong password give the same error after the same work.
   */
  async login(
    input: { email: string; password: string; tenantId?: string | undefined },
    ctx: RequestContext = {},
  ): Promise<{ user: UserRecord; tenant: TenantRecord; role: Role; session: IssuedToken }> {
    const email = input.email.trim().toLowerCase();
    // Before any hashing: a flood from one address, or at one account from many, costs no argon2 work.
    this.signInLimits?.limiter.consume([
      { key: `address:${ctx.ip ?? ''}`, limit: this.signInLimits.perAddress },
      { key: `account:${email}`, limit: this.signInLimits.perAccount },
    ]);
    const user = await this.db.system(
      async (tx) => (await tx.select().from(users).where(eq(users.email, email)).limit(1))[0],
    );
    this.dummyHash ??= makeDummyHash();
    const ok = await verifyPassword(user?.passwordHash ?? (await this.dummyHash), input.password);
    if (!user || !ok) {
      await this.audit.recordFailedSignIn({
        actorUserId: user?.id ?? null,
        action: 'auth.login',
        statusCode: 401,
        ip: ctx.ip ?? null,
        requestId: ctx.requestId ?? null,
        details: { email },
      });
      throw new DomainError('INVALID_CREDENTIALS', 'The email or password is wrong.');
    }
    // A tenant that accepts only single sign-on is never entered with a password; without a tenant
    // named, the first one that accepts a password is picked.
    const membership = await this.db.system((tx) =>
      pickMembership(tx, user.id, input.tenantId, { password: true }),
    );
    await this.requireSecondFactor(user.id, membership.tenant.id, 'password');
    return this.completeLogin(user, membership, ctx, 'password');
  }

  /**
   * Signs in a user whose identity another party proved (single sign-on): the same session a password
   * sign-in opens, in the given tenant or the user's first. A second factor the account has is still
   * asked for (MFA_REQUIRED, then /auth/login/mfa) unless the provider asserted one was used.
   */
  async loginVerified(
    userId: string,
    tenantId: string | undefined,
    options: { secondFactorAsserted: boolean },
    ctx: RequestContext = {},
  ): Promise<{ user: UserRecord; tenant: TenantRecord; role: Role; session: IssuedToken }> {
    const user = await this.db.system(
      async (tx) => (await tx.select().from(users).where(eq(users.id, userId)).limit(1))[0],
    );
    if (!user) throw new DomainError('UNAUTHENTICATED', 'The account no longer exists.');
    const membership = await this.db.system((tx) => pickMembership(tx, user.id, tenantId));
    if (!options.secondFactorAsserted) await this.requireSecondFactor(user.id, membership.tenant.id, 'sso');
    return this.completeLogin(user, membership, ctx, 'sso');
  }

  /** MFA_REQUIRED with a token for the code step when the account has a second factor. */
  private async requireSecondFactor(userId: string, tenantId: string, method: SignInMethod): Promise<void> {
    if (!this.secondFactor || !(await this.secondFactor.enabled(userId))) return;
    // No session yet: a short-lived token that proves the first step, good only for the code step;
    // its `sid` says how that step was made, for the session it leads to.
    const step = this.tokens.issueLink(
      { sub: userId, tid: tenantId, sid: MFA_SID[method], pur: 'mfa', res: 'login' },
      MFA_STEP_SECONDS,
    );
    throw new DomainError('MFA_REQUIRED', 'Enter the code from your authenticator app or a recovery code.', {
      mfa_token: step.token,
      expires_at: step.expiresAt.toISOString(),
      methods: await this.secondFactor.methods(userId),
    });
  }

  /** The second sign-in step: the token of the password step and a TOTP or recovery code. */
  async loginSecondFactor(
    input: { mfaToken: string; code: string },
    ctx: RequestContext = {},
  ): Promise<{ user: UserRecord; tenant: TenantRecord; role: Role; session: IssuedToken }> {
    const secondFactor = this.secondFactor;
    if (!secondFactor) throw new DomainError('UNAUTHENTICATED', 'Two-factor sign-in is not available.');
    return this.loginSecondFactorWith(
      input.mfaToken,
      (userId) => secondFactor.verifySecondFactor(userId, input.code, ctx),
      ctx,
    );
  }

  /** The account a second-step token was issued to (to prepare that step, e.g. passkey options). */
  secondFactorUser(mfaToken: string): string {
    return this.tokens.checkLink(mfaToken, { pur: 'mfa', res: 'login' }).sub;
  }

  /**
   * The second sign-in step with any proof: `verify` checks it for the account the token names (a
   * code, a passkey's answer) and throws if it does not hold.
   */
  async loginSecondFactorWith(
    mfaToken: string,
    verify: (userId: string) => Promise<void>,
    ctx: RequestContext = {},
  ): Promise<{ user: UserRecord; tenant: TenantRecord; role: Role; session: IssuedToken }> {
    const claims = this.tokens.checkLink(mfaToken, { pur: 'mfa', res: 'login' });
    try {
      await verify(claims.sub);
    } catch (error) {
      if (
        error instanceof DomainError &&
        (error.code === 'INVALID_CREDENTIALS' || error.code === 'PASSKEY_REJECTED')
      ) {
        await this.audit.recordFailedSignIn({
          actorUserId: claims.sub,
          action: 'auth.login_second_factor',
          statusCode: 401,
          ip: ctx.ip ?? null,
          requestId: ctx.requestId ?? null,
        });
      }
      throw error;
    }
    const user = await this.db.system(
      async (tx) => (await tx.select().from(users).where(eq(users.id, claims.sub)).limit(1))[0],
    );
    if (!user) throw new DomainError('UNAUTHENTICATED', 'The account no longer exists.');
    const method: SignInMethod = claims.sid === MFA_SID.sso ? 'sso' : 'password';
    const membership = await this.db.system((tx) =>
      pickMembership(tx, user.id, claims.tid, { password: method === 'password' }),
    );
    return this.completeLogin(user, membership, ctx, method);
  }

  /**
   * A sign-in without a password: `verify` proves who the user is (a passkey with user verification)
   * and answers their id; the session opens in the given tenant or their first one. A refused proof
   * is audited as a failed sign-in.
   */
  async loginWithPasskey(
    verify: () => Promise<string>,
    tenantId: string | undefined,
    ctx: RequestContext = {},
  ): Promise<{ user: UserRecord; tenant: TenantRecord; role: Role; session: IssuedToken }> {
    let userId: string;
    try {
      userId = await verify();
    } catch (error) {
      if (error instanceof DomainError && error.code === 'PASSKEY_REJECTED') {
        await this.audit.recordFailedSignIn({
          actorUserId: null,
          action: 'auth.login',
          statusCode: 401,
          ip: ctx.ip ?? null,
          requestId: ctx.requestId ?? null,
          details: { method: 'passkey' },
        });
      }
      throw error;
    }
    const user = await this.db.system(
      async (tx) => (await tx.select().from(users).where(eq(users.id, userId)).limit(1))[0],
    );
    if (!user) throw new DomainError('UNAUTHENTICATED', 'The account no longer exists.');
    // A passkey is the account's own credential, not single sign-on: an SSO-only tenant is not entered
    // with it, as with a password.
    const membership = await this.db.system((tx) =>
      pickMembership(tx, user.id, tenantId, { password: true }),
    );
    return this.completeLogin(user, membership, ctx, 'password');
  }

  private async completeLogin(
    user: typeof users.$inferSelect,
    membership: { tenant: TenantRecord; role: Role },
    ctx: RequestContext,
    method: SignInMethod,
  ): Promise<{ user: UserRecord; tenant: TenantRecord; role: Role; session: IssuedToken }> {
    await this.audit.record({
      tenantId: membership.tenant.id,
      actorUserId: user.id,
      action: 'auth.login',
      outcome: 'success',
      statusCode: 200,
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
    });
    const session = await this.openSession(user.id, membership.tenant.id, ctx, method);
    return { user: publicUser(user), tenant: membership.tenant, role: membership.role, session };
  }

  private async openSession(
    userId: string,
    tenantId: string,
    ctx: RequestContext,
    method: SignInMethod = 'password',
  ): Promise<IssuedToken> {
    const row = await this.sessions.open(userId, ctx, method);
    return this.tokens.issue({ sub: userId, tid: tenantId, sid: row.id }, row.expiresAt.getTime());
  }
}

/**
 * The membership to sign in to: the named tenant, else the first. With `password`, a tenant that
 * accepts only single sign-on is refused (named) or passed over (not named).
 */
export async function pickMembership(
  tx: Tx,
  userId: string,
  tenantId: string | undefined,
  options: { password?: boolean } = {},
): Promise<{ tenant: TenantRecord; role: Role }> {
  const rows = await tx
    .select({ tenant: tenants, role: memberships.role })
    .from(memberships)
    .innerJoin(tenants, eq(tenants.id, memberships.tenantId))
    .where(
      and(
        eq(memberships.userId, userId),
        tenantId ? eq(memberships.tenantId, tenantId) : undefined,
        options.password && !tenantId ? eq(tenants.ssoOnly, false) : undefined,
      ),
    )
    .orderBy(asc(memberships.createdAt))
    .limit(1);
  const row = rows[0];
  if (!row) {
    if (options.password && !tenantId) {
      const [any] = await tx
        .select({ tenantId: memberships.tenantId })
        .from(memberships)
        .where(eq(memberships.userId, userId))
        .limit(1);
      if (any) throw ssoRequired(any.tenantId);
    }
    throw new DomainError(
      'TENANT_NOT_FOUND',
      tenantId ? 'You are not a member of that tenant.' : 'You are not a member of any tenant.',
    );
  }
  if (options.password && row.tenant.ssoOnly) throw ssoRequired(row.tenant.id);
  return row;
}
