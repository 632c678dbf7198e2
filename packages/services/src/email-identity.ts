import { randomBytes } from 'node:crypto';
import { and, eq, gt, inArray, isNull } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { emailTokens, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import type { Mailer } from '@minefleet/domain/ports/mailer';
import type { Actor } from './actor.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import type { AuditLog } from './audit.js';
import type { AuthCache } from './auth-cache.js';
import { normaliseEmail, type RequestContext } from './accounts.js';
import { assertStrongPassword, hashPassword, makeDummyHash, verifyPassword } from './passwords.js';
import type { PlatformAdmins } from './platform-admins.js';
import type { SessionStore } from './sessions.js';
import { hashApiKey } from './tokens.js';

type Purpose = (typeof emailTokens.$inferSelect)['purpose'];

/** How long each emailed link is good for. */
export const EMAIL_LINK_TTL_MS: Readonly<Record<Purpose, number>> = {
  verify: 24 * 3600_000,
  reset: 15 * 60_000,
  change: 24 * 3600_000,
};

/** Where each link lands in the dashboard; the token travels in the fragment, which no server logs. */
const LINK_PATH: Readonly<Record<Purpose, string>> = {
  verify: '/verify-email',
  reset: '/reset-password',
  change: '/verify-email',
};

/** Password-reset requests per minute from one address / for one account. */
const RESET_LIMITS = { perAddress: 10, perAccount: 3 };

/**
 * Everything proven by email: the verification link sent at sign-up, password reset by email, email
 * change (verified on the new address), and password change (current password required). Tokens are
 * 256 random bits, stored as SHA-256, single-use (consumed by one conditional UPDATE).
 */
export class EmailIdentityService {
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      mailer: Mailer;
      audit: AuditLog;
      cache: AuthCache;
      sessions: SessionStore;
      platformAdmins: PlatformAdmins;
      limiter: AttemptLimiter;
      /** The dashboard's public base URL, for links in mail (read when a link is made). */
      publicUrl: () => string;
    },
  ) {}

  /** Sends a verification link to the user's address (nothing if it is verified already). */
  async sendVerification(userId: string): Promise<void> {
    const user = await this.user(userId);
    if (user.emailVerifiedAt) return;
    const link = await this.issue(userId, 'verify', user.email);
    await this.deps.mailer.send({
      to: user.email,
      subject: 'Verify your Minefleet email address',
      text:
        `Hello ${user.displayName},\n\nopen this link to verify your email address:\n\n${link}\n\n` +
        `It is valid for 24 hours. If you did not sign up for Minefleet, ignore this message.\n`,
    });
  }

  /**
   * Tells the owner of an existing account that someone tried to sign up with its address: sign-up
   * answers the same for a new and a taken address, so this mail is how the owner learns of it.
   */
  async sendSignupNotice(userId: string): Promise<void> {
    const user = await this.user(userId);
    const base = this.deps.publicUrl().replace(/\/+$/, '');
    await this.deps.mailer.send({
      to: user.email,
      subject: 'Someone tried to sign up with your Minefleet address',
      text:
        `Hello ${user.displayName},\n\nsomeone tried to create a Minefleet account with ${user.email}, which ` +
        `already has one. Nothing was created or changed.\n\nIf it was you, sign in:\n\n${base}/login\n\n` +
        `or, if you forgot your password, reset it:\n\n${base}/forgot-password\n\n` +
        `If it was not you, ignore this message.\n`,
    });
  }

  /** Proves an address with a `verify` or `change` link; answers the user's id and verified email. */
  async verify(token: string, ctx: RequestContext = {}): Promise<{ userId: string; email: string }> {
    const row = await this.consume(token, ['verify', 'change']);
    const now = new Date(this.deps.clock.now());
    let email = row.email;
    try {
      await this.deps.db.system(async (tx) => {
        // A `verify` link proves the address it was sent to, only while the account still has it.
        const where =
          row.purpose === 'verify'
            ? and(eq(users.id, row.userId), eq(users.email, row.email))
            : eq(users.id, row.userId);
        const updated = await tx
          .update(users)
          .set({ email: row.email, emailVerifiedAt: now })
          .where(where)
          .returning({ email: users.email });
        if (updated.length === 0) throw new DomainError('LINK_INVALID', 'The link is no longer valid.');
        email = updated[0]!.email;
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new DomainError('EMAIL_TAKEN', 'Another account took this email address meanwhile.');
      throw error;
    }
    await this.deps.platformAdmins.promoteIfListed(row.userId, email);
    this.deps.cache.forgetUser(row.userId);
    await this.deps.audit.record({
      actorUserId: row.userId,
      action: row.purpose === 'verify' ? 'auth.email_verify' : 'auth.email_change',
      targetType: 'user',
      targetId: row.userId,
      outcome: 'success',
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
    });
    return { userId: row.userId, email };
  }

  /**
   * Mails a reset link if an account has this address. The answer is the same either way, and the
   * requests are limited per address and per account.
   */
  async requestPasswordReset(rawEmail: string, ctx: RequestContext = {}): Promise<void> {
    const email = normaliseEmail(rawEmail);
    this.deps.limiter.consume([
      { key: `reset-address:${ctx.ip ?? ''}`, limit: RESET_LIMITS.perAddress },
      { key: `reset-account:${email}`, limit: RESET_LIMITS.perAccount },
    ]);
    const [user] = await this.deps.db.system((tx) =>
      tx.select().from(users).where(eq(users.email, email)).limit(1),
    );
    if (!user) return;
    const link = await this.issue(user.id, 'reset', user.email);
    await this.deps.mailer.send({
      to: user.email,
      subject: 'Reset your Minefleet password',
      text:
        `Hello ${user.displayName},\n\nopen this link to choose a new password:\n\n${link}\n\n` +
        `It is valid for 15 minutes and works once. Every signed-in session ends when the password is ` +
        `reset. If you did not ask for this, ignore this message: your password stays as it is.\n`,
    });
  }

  /** Sets a new password from a reset link and ends every session of the account. */
  async resetPassword(token: string, password: string, ctx: RequestContext = {}): Promise<void> {
    // A weak password is refused before the link is used up, so the user can try another.
    assertStrongPassword(password);
    const row = await this.consume(token, ['reset']);
    const user = await this.user(row.userId);
    // The link was sent to the address the account had then; after an email change it is void.
    if (user.email !== row.email) throw new DomainError('LINK_INVALID', 'The link is no longer valid.');
    assertStrongPassword(password, user.email);
    const passwordHash = await hashPassword(password);
    await this.deps.db.system(async (tx) => {
      // Following the link proves the mailbox too.
      await tx
        .update(users)
        .set({ passwordHash, emailVerifiedAt: user.emailVerifiedAt ?? new Date(this.deps.clock.now()) })
        .where(eq(users.id, user.id));
      await tx
        .update(emailTokens)
        .set({ usedAt: new Date(this.deps.clock.now()) })
        .where(
          and(eq(emailTokens.userId, user.id), eq(emailTokens.purpose, 'reset'), isNull(emailTokens.usedAt)),
        );
    });
    await this.deps.sessions.revokeAll(user.id);
    await this.deps.platformAdmins.promoteIfListed(user.id, user.email);
    this.deps.cache.forgetUser(user.id);
    this.deps.limiter.clear(`account:${user.email}`);
    await this.deps.audit.record({
      actorUserId: user.id,
      action: 'auth.password_reset',
      targetType: 'user',
      targetId: user.id,
      outcome: 'success',
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
    });
  }

  /** Changes the password (the current one is required) and ends the caller's other sessions. */
  async changePassword(actor: Actor, current: string, next: string, ctx: RequestContext = {}): Promise<void> {
    const user = await this.checkPassword(actor, current);
    assertStrongPassword(next, user.email);
    const passwordHash = await hashPassword(next);
    await this.deps.db.system((tx) => tx.update(users).set({ passwordHash }).where(eq(users.id, user.id)));
    await this.deps.sessions.revokeAll(user.id, actor.sessionId);
    await this.deps.audit.record({
      tenantId: actor.tenantId,
      actorUserId: user.id,
      actorApiKeyId: actor.apiKeyId ?? null,
      action: 'auth.password_change',
      targetType: 'user',
      targetId: user.id,
      outcome: 'success',
      ip: ctx.ip ?? null,
      requestId: ctx.requestId ?? null,
    });
  }

  /**
   * Starts an email change: the password is required, and the new address takes effect only when the
   * link mailed to it is followed.
   */
  async requestEmailChange(actor: Actor, password: string, rawEmail: string): Promise<void> {
    const email = normaliseEmail(rawEmail);
    const user = await this.checkPassword(actor, password);
    if (email === user.email)
      throw new DomainError('VALIDATION_FAILED', 'This is already your email.', { field: 'email' });
    const [taken] = await this.deps.db.system((tx) =>
      tx.select({ id: users.id }).from(users).where(eq(users.email, email)).limit(1),
    );
    if (taken) throw new DomainError('EMAIL_TAKEN', 'An account with this email already exists.');
    const link = await this.issue(user.id, 'change', email);
    await this.deps.mailer.send({
      to: email,
      subject: 'Confirm your new Minefleet email address',
      text:
        `Hello ${user.displayName},\n\nopen this link to make ${email} the address of your Minefleet ` +
        `account:\n\n${link}\n\nIt is valid for 24 hours. If you did not ask for this, ignore this message.\n`,
    });
  }

  private async checkPassword(actor: Actor, password: string) {
    if (actor.apiKeyId) {
      throw new DomainError('FORBIDDEN', 'Sign in with your password to change your account.', {
        required: 'session',
      });
    }
    const [user] = await this.deps.db.system((tx) =>
      tx.select().from(users).where(eq(users.id, actor.userId)).limit(1),
    );
    this.deps.limiter.consume([{ key: `password-check:${actor.userId}`, limit: 10 }]);
    this.dummyHash ??= makeDummyHash();
    const ok = await verifyPassword(user?.passwordHash ?? (await this.dummyHash), password);
    if (!user || !ok) throw new DomainError('INVALID_CREDENTIALS', 'The current password is wrong.');
    return user;
  }

  private async user(userId: string) {
    const [user] = await this.deps.db.system((tx) =>
      tx.select().from(users).where(eq(users.id, userId)).limit(1),
    );
    if (!user) throw new DomainError('USER_NOT_FOUND', 'No such user.');
    return user;
  }

  /** A new single-use token for `purpose`, stored hashed; answers the dashboard link that carries it. */
  private async issue(userId: string, purpose: Purpose, email: string): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.deps.clock.now();
    await this.deps.db.system((tx) =>
      tx.insert(emailTokens).values({
        userId,
        purpose,
        email,
        tokenHash: hashApiKey(token),
        createdAt: new Date(now),
        expiresAt: new Date(now + EMAIL_LINK_TTL_MS[purpose]),
      }),
    );
    return `${this.deps.publicUrl().replace(/\/+$/, '')}${LINK_PATH[purpose]}#token=${token}`;
  }

  /** Uses a token up (one UPDATE, so two concurrent uses cannot both succeed). */
  private async consume(token: string, purposes: Purpose[]) {
    const now = new Date(this.deps.clock.now());
    const [row] = await this.deps.db.system((tx) =>
      tx
        .update(emailTokens)
        .set({ usedAt: now })
        .where(
          and(
            eq(emailTokens.tokenHash, hashApiKey(token)),
            inArray(emailTokens.purpose, purposes),
            isNull(emailTokens.usedAt),
            gt(emailTokens.expiresAt, now),
          ),
        )
        .returning(),
    );
    if (!row) throw new DomainError('LINK_INVALID', 'The link is unknown, was used already, or has expired.');
    return row;
  }
}
