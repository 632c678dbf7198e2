import { randomBytes } from 'node:crypto';
import { and, eq, inArray, ne } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { memberships, oidcIdentities, tenants, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import { ROLES, type Role } from '@minefleet/domain/roles';
import type { AccountService, RequestContext, TenantRecord, UserRecord } from './accounts.js';
import { normaliseEmail } from './accounts.js';
import type { AuditLog } from './audit.js';
import type { AuthCache } from './auth-cache.js';
import { hashPassword } from './passwords.js';
import type { PlatformAdmins } from './platform-admins.js';
import type { IssuedToken } from './tokens.js';

/** What a provider proved about the person signing in (from a verified ID token). */
export interface ExternalIdentity {
  /** The provider's id in this installation (`corp`). */
  provider: string;
  /** The ID token's `iss`: with `subject`, who the person is at the provider. */
  issuer: string;
  /** The provider's `sub`. */
  subject: string;
  email: string | undefined;
  /** The provider's `email_verified` claim: only `true` counts. */
  emailVerified: boolean;
  name: string | undefined;
  /** The provider's groups claim. */
  groups: readonly string[];
  /** The ID token's `amr` names a second factor (the provider asked for one). */
  secondFactorAsserted: boolean;
}

/** OpenID Connect Core bounds `sub` to 255 ASCII characters; an issuer is a URL. */
const MAX_SUBJECT = 255;
const MAX_ISSUER = 2048;

/** Another sign-in of the same person linked the subject first. */
class LinkRace extends Error {}

/** A provider group that makes its members members of a tenant with a role. */
export interface GroupGrant {
  group: string;
  tenantId: string;
  role: Role;
}

export interface SsoSignInResult {
  user: UserRecord;
  tenant: TenantRecord;
  role: Role;
  session: IssuedToken;
  /** Whether this sign-in created the account. */
  created: boolean;
}

/**
 * Single sign-on accounts: finds the account of a provider-proven identity or creates it, applies the
 * provider's groups as tenant memberships, and opens the same session a password sign-in opens.
 *
 * The account is found by the provider's issuer and `sub` first (linked on the first sign-in), so a
 * person whose email changes at the provider keeps their account. An account not linked yet is taken
 * over only by an email both sides verified: the provider asserts `email_verified` and the account
 * proved its address by a mailed link. Anything weaker would let whoever controls an address at some
 * provider into the account of its local owner. An account linked to another subject of the same
 * issuer is never linked again by email: an address the provider gave to someone else does not open it.
 */
export class SsoAccounts {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      accounts: AccountService;
      audit: AuditLog;
      cache: AuthCache;
      platformAdmins: PlatformAdmins;
    },
  ) {}

  /** MFA_REQUIRED (with an mfa_token) when the account has a second factor the provider did not assert. */
  async signIn(
    identity: ExternalIdentity,
    grants: readonly GroupGrant[],
    ctx: RequestContext = {},
  ): Promise<SsoSignInResult> {
    if (
      identity.subject.length === 0 ||
      identity.subject.length > MAX_SUBJECT ||
      identity.issuer.length > MAX_ISSUER
    ) {
      await this.refused(identity, 'subject_invalid', ctx);
      throw new DomainError('OIDC_PROVIDER_ERROR', 'The provider’s answer did not verify.');
    }
    const { userId, created } = (await this.linked(identity)) ?? (await this.findOrCreate(identity, ctx));
    const tenantId = await this.applyGrants(userId, identity, grants);
    const result = await this.deps.accounts.loginVerified(
      userId,
      tenantId,
      { secondFactorAsserted: identity.secondFactorAsserted },
      ctx,
    );
    return { ...result, created };
  }

  /** The account linked to the person's issuer and subject, if any (their email may have changed). */
  private async linked(identity: ExternalIdentity): Promise<{ userId: string; created: false } | undefined> {
    const [row] = await this.deps.db.system((tx) =>
      tx
        .update(oidcIdentities)
        .set({ lastUsedAt: new Date(this.deps.clock.now()) })
        .where(and(eq(oidcIdentities.issuer, identity.issuer), eq(oidcIdentities.subject, identity.subject)))
        .returning({ userId: oidcIdentities.userId }),
    );
    return row ? { userId: row.userId, created: false } : undefined;
  }

  /** Links an account found by verified email, or creates one; either way linked to the subject. */
  private async findOrCreate(
    identity: ExternalIdentity,
    ctx: RequestContext,
  ): Promise<{ userId: string; created: boolean }> {
    if (!identity.email || !identity.emailVerified) {
      await this.refused(identity, 'email_unverified', ctx);
      throw new DomainError(
        'OIDC_EMAIL_UNVERIFIED',
        'The provider did not confirm that your email address is verified.',
      );
    }
    const email = normaliseEmail(identity.email);
    const [existing] = await this.deps.db.system((tx) =>
      tx
        .select({
          id: users.id,
          emailVerifiedAt: users.emailVerifiedAt,
          linkedSubject: oidcIdentities.subject,
        })
        .from(users)
        .leftJoin(
          oidcIdentities,
          and(eq(oidcIdentities.userId, users.id), eq(oidcIdentities.issuer, identity.issuer)),
        )
        .where(eq(users.email, email))
        .limit(1),
    );
    if (existing) {
      if (!existing.emailVerifiedAt) {
        await this.refused(identity, 'local_email_unverified', ctx, existing.id);
        throw new DomainError(
          'OIDC_LINK_REFUSED',
          'An account with this email exists but has not verified it: sign in with its password and verify the email first.',
        );
      }
      // Linked by a parallel sign-in of the same person since the lookup above.
      if (existing.linkedSubject === identity.subject) return { userId: existing.id, created: false };
      if (existing.linkedSubject !== null) {
        await this.refused(identity, 'linked_to_another_subject', ctx, existing.id);
        throw new DomainError(
          'OIDC_LINK_REFUSED',
          'The account with this email is linked to another person at this provider.',
        );
      }
      const linked = await this.deps.db.system((tx) => this.link(tx, existing.id, identity));
      // Linked by a parallel sign-in of the same person (or another subject won the race): look again.
      if (!linked) return (await this.linked(identity)) ?? this.findOrCreate(identity, ctx);
      await this.audited('auth.sso_link', existing.id, identity, ctx);
      return { userId: existing.id, created: false };
    }
    const displayName = (identity.name ?? '').trim().slice(0, 100) || email.split('@')[0]!;
    // The account has no password anyone knows; its owner can set one by a password reset mail.
    const passwordHash = await hashPassword(randomBytes(32).toString('base64url'));
    const now = new Date(this.deps.clock.now());
    let userId: string;
    try {
      userId = await this.deps.db.system(async (tx) => {
        const [user] = await tx
          .insert(users)
          .values({ email, passwordHash, displayName, isPlatformAdmin: false, emailVerifiedAt: now })
          .returning({ id: users.id });
        // The same subject created by a parallel sign-in: this transaction rolls back and looks again.
        if (!(await this.link(tx, user!.id, identity))) throw new LinkRace();
        return user!.id;
      });
    } catch (error) {
      // Created by a parallel sign-in of the same person: use it.
      if (isUniqueViolation(error) || error instanceof LinkRace) {
        return (await this.linked(identity)) ?? this.findOrCreate(identity, ctx);
      }
      throw error;
    }
    await this.deps.platformAdmins.promoteIfListed(userId, email);
    await this.audited('auth.sso_signup', userId, identity, ctx);
    return { userId, created: true };
  }

  /** Links the account to the subject; false when the subject or the account's issuer link exists. */
  private async link(tx: Tx, userId: string, identity: ExternalIdentity): Promise<boolean> {
    const rows = await tx
      .insert(oidcIdentities)
      .values({ userId, issuer: identity.issuer, subject: identity.subject, provider: identity.provider })
      .onConflictDoNothing()
      .returning({ id: oidcIdentities.id });
    return rows.length > 0;
  }

  private async audited(
    action: string,
    userId: string,
    identity: ExternalIdentity,
    ctx: RequestContext,
  ): Promise<void> {
    await this.deps.audit.record({
      actorUserId: userId,
      action,
      targetType: 'user',
      targetId: userId,
      outcome: 'success',
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
      details: { provider: identity.provider, subject: identity.subject },
    });
  }

  /**
   * Gives the user the role each of their groups maps to (the strongest when several name one tenant):
   * a missing membership is created, a different role is changed; an owner stays an owner. A user with
   * no tenant at all gets one of their own, as at sign-up. Answers the tenant to sign in to.
   */
  private async applyGrants(
    userId: string,
    identity: ExternalIdentity,
    grants: readonly GroupGrant[],
  ): Promise<string | undefined> {
    const wanted = new Map<string, Role>();
    const groups = new Set(identity.groups);
    for (const grant of grants) {
      if (!groups.has(grant.group)) continue;
      const current = wanted.get(grant.tenantId);
      if (!current || ROLES.indexOf(grant.role) > ROLES.indexOf(current))
        wanted.set(grant.tenantId, grant.role);
    }
    const changed = await this.deps.db.system(async (tx) => {
      let count = 0;
      const known =
        wanted.size === 0
          ? []
          : await tx
              .select({ id: tenants.id })
              .from(tenants)
              .where(inArray(tenants.id, [...wanted.keys()]));
      for (const { id: tenantId } of known) {
        const role = wanted.get(tenantId)!;
        const inserted = await tx
          .insert(memberships)
          .values({ tenantId, userId, role })
          .onConflictDoNothing()
          .returning({ userId: memberships.userId });
        if (inserted.length > 0) {
          count++;
          continue;
        }
        const updated = await tx
          .update(memberships)
          .set({ role })
          .where(
            and(
              eq(memberships.tenantId, tenantId),
              eq(memberships.userId, userId),
              ne(memberships.role, 'owner'),
              ne(memberships.role, role),
            ),
          )
          .returning({ userId: memberships.userId });
        count += updated.length;
      }
      const [any] = await tx
        .select({ tenantId: memberships.tenantId })
        .from(memberships)
        .where(eq(memberships.userId, userId))
        .limit(1);
      if (!any) {
        const [user] = await tx
          .select({ displayName: users.displayName })
          .from(users)
          .where(eq(users.id, userId));
        const [tenant] = await tx
          .insert(tenants)
          .values({ name: `${user?.displayName ?? 'My'}'s servers` })
          .returning({ id: tenants.id });
        await tx.insert(memberships).values({ tenantId: tenant!.id, userId, role: 'owner' });
      }
      const knownIds = new Set(known.map((k) => k.id));
      return { count, first: [...wanted.keys()].find((id) => knownIds.has(id)) };
    });
    if (changed.count > 0) this.deps.cache.forgetUser(userId);
    // Signed in to the first tenant the provider's groups name, else the user's first tenant.
    return changed.first;
  }

  private async refused(
    identity: ExternalIdentity,
    reason: string,
    ctx: RequestContext,
    userId?: string,
  ): Promise<void> {
    await this.deps.audit.record({
      tenantId: null,
      actorUserId: userId ?? null,
      action: 'auth.sso_login',
      outcome: 'failure',
      statusCode: 403,
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
      details: { provider: identity.provider, subject: identity.subject, reason },
    });
  }
}
