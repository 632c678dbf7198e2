import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Actor } from './actor.js';

/**
 * Platform administrators: the people who run the Minefleet host (not a tenant role). They approve
 * plugin versions from untrusted sources and sync the catalogue.
 *
 * The flag lives on the user (`users.is_platform_admin`), so every reader (the `user` of /me, of a
 * sign-up's answer) sees the same. The host names its administrators by email in
 * MINEFLEET_PLATFORM_ADMINS, and an account holds the right only once it proved it reads mail at that
 * address: verified accounts are promoted at start, an account verified later is promoted when its
 * email is verified (`promoteIfListed`). Anyone can sign up with any address, so an unverified listed
 * address is just an ordinary account. Removing an email from the list does not demote anyone (clear
 * the flag in the database for that).
 */
export class PlatformAdmins {
  private readonly emails: ReadonlySet<string>;

  constructor(
    private readonly db: Database,
    emails: readonly string[],
  ) {
    this.emails = new Set(emails.map((e) => e.trim().toLowerCase()).filter((e) => e !== ''));
  }

  /** Promotes the configured emails that already have a verified account. */
  async promoteConfigured(): Promise<void> {
    if (this.emails.size === 0) return;
    await this.db.system((tx) =>
      tx
        .update(users)
        .set({ isPlatformAdmin: true })
        .where(and(inArray(users.email, [...this.emails]), isNotNull(users.emailVerifiedAt))),
    );
  }

  /** Promotes a user whose email was just verified, if the host lists that email. */
  async promoteIfListed(userId: string, email: string): Promise<void> {
    if (!this.isListed(email)) return;
    await this.db.system((tx) =>
      tx
        .update(users)
        .set({ isPlatformAdmin: true })
        .where(and(eq(users.id, userId), eq(users.email, email), isNotNull(users.emailVerifiedAt))),
    );
  }

  /** Whether the host lists this email as an administrator's. */
  isListed(email: string): boolean {
    return this.emails.has(email.trim().toLowerCase());
  }

  async isPlatformAdmin(actor: Actor): Promise<boolean> {
    // Cross-tenant by nature (the right is the host's, not a tenant's), hence a system read by user id.
    const [user] = await this.db.system((tx) =>
      tx.select({ isPlatformAdmin: users.isPlatformAdmin }).from(users).where(eq(users.id, actor.userId)),
    );
    return user?.isPlatformAdmin === true;
  }

  async require(actor: Actor): Promise<void> {
    if (!(await this.isPlatformAdmin(actor))) {
      throw new DomainError('FORBIDDEN', 'Only a platform administrator may do this.', {
        required: 'platform_admin',
      });
    }
  }
}
