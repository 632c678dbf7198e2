import { eq, sql } from 'drizzle-orm';
import { rowsOf, type Database } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { memberships, tenants, users } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import { AttemptLimiter } from './attempt-limiter.js';
import { BackgroundWork } from './background-work.js';
import type { Logger } from './logger.js';
import type { AuditLog } from './audit.js';
import { normaliseEmail, type RequestContext } from './accounts.js';
import { assertStrongPassword, hashPassword } from './passwords.js';

export interface SignupInput {
  email: string;
  password: string;
  displayName?: string | undefined;
  tenantName?: string | undefined;
}

/** The answer to every valid sign-up, whether or not the address had an account. */
export interface SignupAnswer {
  email: string;
  message: string;
}

/** The mail a sign-up sends (EmailIdentityService). */
export interface SignupMail {
  /** The verification link, to the address of a new account. */
  sendVerification(userId: string): Promise<void>;
  /** "Someone tried to sign up with your address", to the owner of an existing account. */
  sendSignupNotice(userId: string): Promise<void>;
}

/** Notices mailed to one existing account per hour at most, so sign-up cannot flood a mailbox. */
const NOTICES_PER_HOUR = 3;

/**
 * Sign-up that does not tell whether an address has an account. Both branches answer the same body
 * after the same work (the argon2 hash, computed before the address is looked at, and one insert that
 * succeeds or meets the taken address); the mail goes out after the answer. A new
 * address gets its account (unverified, with its own tenant) and a verification link; an address that
 * already has an account gets nothing created, and its owner is mailed a notice that says how to sign
 * in or reset the password. The caller then signs in with the password (docs/security.md).
 */
export class SignupService {
  private readonly notices: AttemptLimiter;
  /** The audit record and the mail, after the answer (a failure is logged: the link can be asked for again). */
  private readonly work: BackgroundWork;

  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      audit: AuditLog;
      mail: SignupMail;
      logger: Logger;
    },
  ) {
    this.notices = new AttemptLimiter(deps.clock, 3600_000);
    this.work = new BackgroundWork(deps.logger);
  }

  async signup(input: SignupInput, ctx: RequestContext = {}): Promise<SignupAnswer> {
    // Bad input is refused before the address is looked at: the answer depends on the input only.
    const email = normaliseEmail(input.email);
    assertStrongPassword(input.password, email);
    const displayName = (input.displayName ?? '').trim() || email.split('@')[0]!;
    const tenantName = (input.tenantName ?? '').trim() || `${displayName}'s servers`;
    // Hashed in both branches, so an existing address costs the same argon2 work as a new one.
    const passwordHash = await hashPassword(input.password);
    const created = await this.create(email, passwordHash, displayName, tenantName);
    // The answer goes out now: the rest differs between the branches (rows, links, mail), so it is not
    // waited for, and both answers take the hash plus one insert.
    if (created) this.work.run('sign-up', { userId: created.userId }, () => this.welcome(created, ctx));
    else this.work.run('sign-up notice', {}, () => this.notifyOwner(email));
    return {
      email,
      message:
        'Check your email to finish signing up, then sign in. ' +
        'If you already have an account with this address, sign in or reset your password.',
    };
  }

  /** The new user and tenant, or null when the address already has an account. */
  private async create(
    email: string,
    passwordHash: string,
    displayName: string,
    tenantName: string,
  ): Promise<{ userId: string; tenantId: string } | null> {
    try {
      // One statement, so a taken address (the user insert fails) costs the same round trip as a new one.
      // Never an administrator at sign-up: a listed email is promoted once it is verified
      // (PlatformAdmins.promoteVerified), so no one becomes one by typing someone else's address.
      const result = await this.deps.db.system((tx) =>
        tx.execute(sql`
          with u as (
            insert into ${users} (email, password_hash, display_name, is_platform_admin)
            values (${email}, ${passwordHash}, ${displayName}, false) returning id
          ), t as (insert into ${tenants} (name) values (${tenantName}) returning id)
          insert into ${memberships} (tenant_id, user_id, role)
          select t.id, u.id, 'owner' from u, t
          returning tenant_id, user_id`),
      );
      const [row] = rowsOf<{ tenant_id: string; user_id: string }>(result);
      return { userId: row!.user_id, tenantId: row!.tenant_id };
    } catch (error) {
      if (isUniqueViolation(error)) return null;
      throw error;
    }
  }

  /** Audits the new account and mails its verification link. */
  private async welcome(created: { userId: string; tenantId: string }, ctx: RequestContext): Promise<void> {
    await this.deps.audit.record({
      tenantId: created.tenantId,
      actorUserId: created.userId,
      action: 'auth.signup',
      targetType: 'user',
      targetId: created.userId,
      outcome: 'success',
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
    });
    await this.deps.mail.sendVerification(created.userId);
  }

  /** Waits for the mail of answered sign-ups (before the database closes). */
  async close(): Promise<void> {
    await this.work.drain();
  }

  /** Mails the owner of `email` a notice, at most NOTICES_PER_HOUR an hour; nothing is audited. */
  private async notifyOwner(email: string): Promise<void> {
    const [owner] = await this.deps.db.system((tx) =>
      tx.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1),
    );
    if (!owner) return;
    try {
      this.notices.consume([{ key: owner.id, limit: NOTICES_PER_HOUR }]);
    } catch {
      return; // over the limit: the owner was told within the hour already
    }
    await this.deps.mail.sendSignupNotice(owner.id);
  }
}
