import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import { authenticator } from 'otplib';
import type { Database } from '@minefleet/db/database';
import { passkeys, recoveryCodes, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import type { Actor } from './actor.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import type { AuthCache } from './auth-cache.js';
import { verifyPassword } from './passwords.js';

/** TOTP parameters: RFC 6238 defaults (30 s, 6 digits, SHA-1) that every authenticator app reads. */
const STEP_SECONDS = 30;
/** Codes of the previous and next step are accepted too (clock drift), never more. */
const WINDOW = 1;
export const RECOVERY_CODE_COUNT = 10;
/** Second-factor attempts per minute per account and per client address. */
const LIMITS = { perAccount: 5, perAddress: 30 };

/**
 * The second factor: TOTP with ±1 step where each code is accepted once (the last accepted step is
 * stored), passkeys (PasskeyService), and 10 single-use recovery codes stored as SHA-256, issued when
 * the first of TOTP or a passkey is turned on and kept while either is. The TOTP secret is kept encrypted with
 * a key derived from the control plane's secret, so a database dump alone does not give it away.
 */
export class TwoFactorService {
  private readonly key: Buffer;

  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      limiter: AttemptLimiter;
      secret: string;
      /** Forgotten on a change: a tenant's "two-factor required" policy reads the user's state. */
      cache: AuthCache;
    },
  ) {
    this.key = Buffer.from(hkdfSync('sha256', deps.secret, 'minefleet', 'totp-secret', 32));
  }

  /** Starts (or restarts) enrolment: a new secret, not yet required at sign-in. Needs the password. */
  async beginTotp(actor: Actor, password: string): Promise<{ secret: string; otpauthUrl: string }> {
    const user = await this.sessionUser(actor, password);
    if (user.totpEnabledAt) {
      throw new DomainError('VALIDATION_FAILED', 'Two-factor sign-in is already on; turn it off first.');
    }
    const secret = authenticator.generateSecret(20);
    await this.deps.db.system((tx) =>
      tx
        .update(users)
        .set({ totpSecret: this.seal(secret), totpLastStep: null })
        .where(eq(users.id, user.id)),
    );
    return { secret, otpauthUrl: authenticator.keyuri(user.email, 'Minefleet', secret) };
  }

  /** Confirms enrolment with a code from the app; answers the recovery codes (shown once). */
  async confirmTotp(actor: Actor, code: string): Promise<string[]> {
    const user = await this.user(actor.userId);
    if (!user.totpSecret || user.totpEnabledAt) {
      throw new DomainError('VALIDATION_FAILED', 'Start the enrolment first.');
    }
    await this.checkTotp(user, code, {});
    await this.deps.db.system((tx) =>
      tx
        .update(users)
        .set({ totpEnabledAt: new Date(this.deps.clock.now()) })
        .where(eq(users.id, user.id)),
    );
    return this.newRecoveryCodes(user.id);
  }

  /** Replaces the user's recovery codes with 10 new ones, answered this once. */
  async newRecoveryCodes(userId: string): Promise<string[]> {
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => formatRecoveryCode(randomBytes(10)));
    await this.deps.db.system(async (tx) => {
      await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
      await tx.insert(recoveryCodes).values(codes.map((c) => ({ userId, codeHash: hashCode(c) })));
    });
    this.deps.cache.forgetUser(userId);
    return codes;
  }

  /** Drops the recovery codes once no second factor is left (the last one was turned off). */
  async forgetRecoveryCodesUnlessEnabled(userId: string): Promise<void> {
    if (await this.enabled(userId)) return;
    await this.deps.db.system((tx) => tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)));
    this.deps.cache.forgetUser(userId);
  }

  /** Counts one second-factor attempt (a code or a passkey) per account and per address. */
  consumeAttempt(userId: string, ctx: { ip?: string | undefined }): void {
    this.deps.limiter.consume([
      { key: `2fa-account:${userId}`, limit: LIMITS.perAccount },
      { key: `2fa-address:${ctx.ip ?? ''}`, limit: LIMITS.perAddress },
    ]);
  }

  /** Turns the second factor off (password and a current code or recovery code required). */
  async disable(
    actor: Actor,
    password: string,
    code: string,
    ctx: { ip?: string | undefined },
  ): Promise<void> {
    const user = await this.sessionUser(actor, password);
    if (!user.totpEnabledAt) return;
    await this.verifySecondFactor(user.id, code, ctx);
    await this.deps.db.system((tx) =>
      tx
        .update(users)
        .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null })
        .where(eq(users.id, user.id)),
    );
    this.deps.cache.forgetUser(user.id);
    // Passkeys left keep the second factor on, and with it the recovery codes.
    await this.forgetRecoveryCodesUnlessEnabled(user.id);
  }

  /** Whether sign-in asks for a second factor: TOTP is on or the user has a passkey. */
  async enabled(userId: string): Promise<boolean> {
    return (await this.totpEnabled(userId)) || (await this.passkeyCount(userId)) > 0;
  }

  async methods(userId: string): Promise<string[]> {
    const methods = [];
    if (await this.totpEnabled(userId)) methods.push('totp');
    if ((await this.passkeyCount(userId)) > 0) methods.push('passkey');
    return [...methods, 'recovery_code'];
  }

  async totpEnabled(userId: string): Promise<boolean> {
    return Boolean((await this.user(userId)).totpEnabledAt);
  }

  async passkeyCount(userId: string): Promise<number> {
    const rows = await this.deps.db.system((tx) =>
      tx.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.userId, userId)),
    );
    return rows.length;
  }

  /**
   * Checks a TOTP code or a recovery code (`xxxxx-xxxxx`) for the sign-in's second step, limited per
   * account and per address. A wrong code, a reused code and a used recovery code all answer
   * `INVALID_CREDENTIALS`.
   */
  async verifySecondFactor(userId: string, code: string, ctx: { ip?: string | undefined }): Promise<void> {
    this.consumeAttempt(userId, ctx);
    const user = await this.user(userId);
    if (!user.totpEnabledAt && (await this.passkeyCount(userId)) === 0) {
      throw new DomainError('INVALID_CREDENTIALS', 'Two-factor sign-in is not on.');
    }
    const trimmed = code.trim();
    if (/^\d{6}$/.test(trimmed)) {
      // A secret of an unfinished enrolment is no factor yet.
      if (!user.totpEnabledAt) throw new DomainError('INVALID_CREDENTIALS', 'The code is wrong.');
      await this.checkTotp(user, trimmed, ctx);
      return;
    }
    const [used] = await this.deps.db.system((tx) =>
      tx
        .update(recoveryCodes)
        .set({ usedAt: new Date(this.deps.clock.now()) })
        .where(
          and(
            eq(recoveryCodes.userId, user.id),
            eq(recoveryCodes.codeHash, hashCode(trimmed.toLowerCase())),
            isNull(recoveryCodes.usedAt),
          ),
        )
        .returning({ id: recoveryCodes.id }),
    );
    if (!used) throw new DomainError('INVALID_CREDENTIALS', 'The code is wrong or was used already.');
  }

  /** How many unused recovery codes the user has left. */
  async recoveryCodesLeft(userId: string): Promise<number> {
    const rows = await this.deps.db.system((tx) =>
      tx
        .select({ id: recoveryCodes.id })
        .from(recoveryCodes)
        .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))),
    );
    return rows.length;
  }

  private async checkTotp(
    user: typeof users.$inferSelect,
    code: string,
    _ctx: { ip?: string | undefined },
  ): Promise<void> {
    const now = this.deps.clock.now();
    const otp = authenticator.clone({ window: WINDOW, step: STEP_SECONDS, epoch: now });
    const delta = user.totpSecret ? otp.checkDelta(code.trim(), this.open(user.totpSecret)) : null;
    if (delta === null) throw new DomainError('INVALID_CREDENTIALS', 'The code is wrong.');
    const step = Math.floor(now / 1000 / STEP_SECONDS) + delta;
    if (user.totpLastStep !== null && step <= user.totpLastStep) {
      throw new DomainError('INVALID_CREDENTIALS', 'The code was used already; wait for the next one.');
    }
    // One conditional UPDATE: of two requests with the same code, only one moves the step forward.
    const [accepted] = await this.deps.db.system((tx) =>
      tx
        .update(users)
        .set({ totpLastStep: step })
        .where(
          and(
            eq(users.id, user.id),
            user.totpLastStep === null
              ? isNull(users.totpLastStep)
              : eq(users.totpLastStep, user.totpLastStep),
          ),
        )
        .returning({ id: users.id }),
    );
    if (!accepted) {
      throw new DomainError('INVALID_CREDENTIALS', 'The code was used already; wait for the next one.');
    }
  }

  /** The signed-in user, after checking their password (a session, not an API key). */
  async sessionUser(actor: Actor, password: string) {
    if (actor.apiKeyId) {
      throw new DomainError(
        'FORBIDDEN',
        'Sign in with your password to change two-factor sign-in or passkeys.',
        {
          required: 'session',
        },
      );
    }
    this.deps.limiter.consume([{ key: `password-check:${actor.userId}`, limit: 10 }]);
    const user = await this.user(actor.userId);
    if (!(await verifyPassword(user.passwordHash, password))) {
      throw new DomainError('INVALID_CREDENTIALS', 'The password is wrong.');
    }
    return user;
  }

  private async user(userId: string) {
    const [user] = await this.deps.db.system((tx) =>
      tx.select().from(users).where(eq(users.id, userId)).limit(1),
    );
    if (!user) throw new DomainError('USER_NOT_FOUND', 'No such user.');
    return user;
  }

  private seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  private open(sealed: string): string {
    const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv!);
    decipher.setAuthTag(tag!);
    return Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8');
  }
}

/** `xxxxx-xxxxx` in lower-case base32 (80 bits): easy to type from paper. */
function formatRecoveryCode(bytes: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i + 5 <= bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5), 2)];
  return `${out.slice(0, 8)}-${out.slice(8, 16)}`;
}

function hashCode(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}
