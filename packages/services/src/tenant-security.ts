import { eq, sql } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { sessions, tenants, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Actor } from './actor.js';
import type { AuthCache } from './auth-cache.js';

export interface TenantSecurity {
  require2fa: boolean;
  /** Members act in the tenant only with a session opened by single sign-on. */
  ssoOnly: boolean;
}

/** A tenant's security policy: two-factor sign-in required, single sign-on only. */
export class TenantSecurityService {
  constructor(
    private readonly db: Database,
    private readonly cache: AuthCache,
    /** Whether the host has any single sign-on provider (otherwise "SSO only" would lock everyone out). */
    private readonly ssoAvailable = false,
  ) {}

  async get(actor: Actor): Promise<TenantSecurity> {
    // The tenants table is not tenant-scoped data (no row-level security): a system read by id.
    const [row] = await this.db.system((tx) =>
      tx
        .select({ require2fa: tenants.require2fa, ssoOnly: tenants.ssoOnly })
        .from(tenants)
        .where(eq(tenants.id, actor.tenantId)),
    );
    if (!row) throw new DomainError('TENANT_NOT_FOUND', 'No such tenant.');
    return row;
  }

  async update(actor: Actor, input: Partial<TenantSecurity>): Promise<TenantSecurity> {
    if (input.ssoOnly) await this.assertSsoSession(actor);
    if (input.require2fa) {
      const [user] = await this.db.system((tx) =>
        tx
          .select({
            totpEnabledAt: users.totpEnabledAt,
            // Spelled out: drizzle writes a column inside `sql` without its table.
            hasPasskey: sql<boolean>`exists (select 1 from "passkeys" where "passkeys"."user_id" = "users"."id")`,
          })
          .from(users)
          .where(eq(users.id, actor.userId)),
      );
      // Requiring it without having it (TOTP or a passkey) would lock the caller out of the setting.
      if (!user?.totpEnabledAt && !user?.hasPasskey) {
        throw new DomainError(
          'MFA_ENROLMENT_REQUIRED',
          'Turn on two-factor sign-in for your own account before requiring it of the team.',
        );
      }
    }
    const change = {
      ...(input.require2fa !== undefined ? { require2fa: input.require2fa } : {}),
      ...(input.ssoOnly !== undefined ? { ssoOnly: input.ssoOnly } : {}),
    };
    if (Object.keys(change).length === 0) return this.get(actor);
    await this.db.system((tx) => tx.update(tenants).set(change).where(eq(tenants.id, actor.tenantId)));
    // Every member's cached recognition carries the old policy.
    this.cache.forgetTenant(actor.tenantId);
    return this.get(actor);
  }

  /** Turning "SSO only" on from a password session (or a key) would shut the caller out of the tenant. */
  private async assertSsoSession(actor: Actor): Promise<void> {
    if (!this.ssoAvailable) {
      throw new DomainError('VALIDATION_FAILED', 'No single sign-on provider is configured on this host.', {
        field: 'sso_only',
      });
    }
    const [session] = actor.sessionId
      ? await this.db.system((tx) =>
          tx.select({ method: sessions.method }).from(sessions).where(eq(sessions.id, actor.sessionId!)),
        )
      : [];
    if (session?.method !== 'sso') {
      throw new DomainError(
        'SSO_REQUIRED',
        'Sign in with single sign-on yourself before requiring it of the team.',
        { tenant_id: actor.tenantId },
      );
    }
  }
}
