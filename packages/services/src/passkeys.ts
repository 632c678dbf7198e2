import { and, asc, eq, lt } from 'drizzle-orm';
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from './webauthn-lib.js';
import type { Database } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { passkeys, webauthnChallenges } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import type { Actor } from './actor.js';
import type { AttemptLimiter } from './attempt-limiter.js';
import type { AuthCache } from './auth-cache.js';
import type { TwoFactorService } from './two-factor.js';

export type { AuthenticationResponseJSON, RegistrationResponseJSON };

/** Who the passkeys are for: the RP ID (a host name) and the origins a browser may answer from. */
export interface RelyingParty {
  id: string;
  name: string;
  origins: string[];
}

export type PasskeyRecord = Omit<typeof passkeys.$inferSelect, 'publicKey' | 'userId'>;

/** A challenge is good for this long, once; the browser is given a little less. */
const CHALLENGE_TTL_MS = 5 * 60_000;
const CEREMONY_TIMEOUT_MS = 4 * 60_000;
/** Passkeys per account; more is a mistake or an attack on the table's size. */
export const MAX_PASSKEYS = 20;
/** Passwordless sign-in options per minute per address (each one stores a challenge). */
const OPTIONS_PER_ADDRESS = 30;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Purpose = 'register' | 'second-factor' | 'sign-in';

/**
 * Passkeys (WebAuthn): registration, the second factor of a password sign-in, and passwordless
 * sign-in with discoverable credentials. Every ceremony starts with a challenge stored here, used once
 * and only for its purpose and account; a response must come from a configured origin, name the RP ID,
 * carry a valid signature and a signature counter that moved forward (docs/security.md).
 */
export class PasskeyService {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      limiter: AttemptLimiter;
      cache: AuthCache;
      twoFactor: TwoFactorService;
      /** Read per ceremony: with an ephemeral port the public URL is known only once listening. */
      relyingParty: () => RelyingParty;
    },
  ) {}

  async list(actor: Actor): Promise<PasskeyRecord[]> {
    const rows = await this.deps.db.system((tx) =>
      tx.select().from(passkeys).where(eq(passkeys.userId, actor.userId)).orderBy(asc(passkeys.createdAt)),
    );
    return rows.map(toRecord);
  }

  /** Registration options (a discoverable credential with user verification). Needs the password. */
  async registrationOptions(
    actor: Actor,
    password: string,
  ): Promise<{ challengeId: string; options: PublicKeyCredentialCreationOptionsJSON }> {
    const user = await this.deps.twoFactor.sessionUser(actor, password);
    const existing = await this.list(actor);
    if (existing.length >= MAX_PASSKEYS) {
      throw new DomainError('VALIDATION_FAILED', `An account holds at most ${MAX_PASSKEYS} passkeys.`);
    }
    const rp = this.deps.relyingParty();
    const options = await generateRegistrationOptions({
      rpName: rp.name,
      rpID: rp.id,
      userID: userHandle(user.id),
      userName: user.email,
      userDisplayName: user.displayName,
      attestationType: 'none',
      timeout: CEREMONY_TIMEOUT_MS,
      excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
    return { challengeId: await this.storeChallenge('register', user.id, options.challenge), options };
  }

  /**
   * Verifies the authenticator's answer and stores the passkey. The first second factor of an account
   * also answers its recovery codes (shown once), as turning TOTP on does.
   */
  async register(
    actor: Actor,
    input: { challengeId: string; name?: string | undefined; response: RegistrationResponseJSON },
  ): Promise<{ passkey: PasskeyRecord; recoveryCodes?: string[] }> {
    if (actor.apiKeyId) {
      throw new DomainError('FORBIDDEN', 'Sign in with your password to add a passkey.', {
        required: 'session',
      });
    }
    const name = passkeyName(input.name ?? 'Passkey');
    const challenge = await this.takeChallenge(input.challengeId, 'register', actor.userId);
    const rp = this.deps.relyingParty();
    const info = await rejectOnError(async () => {
      const result = await verifyRegistrationResponse({
        response: input.response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        requireUserVerification: true,
      });
      if (!result.verified || !result.registrationInfo) throw new Error('The registration did not verify.');
      return result.registrationInfo;
    });
    const firstFactor = !(await this.deps.twoFactor.enabled(actor.userId));
    let row: typeof passkeys.$inferSelect;
    try {
      [row] = (await this.deps.db.system((tx) =>
        tx
          .insert(passkeys)
          .values({
            userId: actor.userId,
            credentialId: info.credential.id,
            publicKey: Buffer.from(info.credential.publicKey).toString('base64url'),
            counter: info.credential.counter,
            transports: (info.credential.transports ?? []).join(','),
            name,
            deviceType: info.credentialDeviceType,
            backedUp: info.credentialBackedUp,
          })
          .returning(),
      )) as [typeof passkeys.$inferSelect];
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('PASSKEY_REJECTED', 'This passkey is registered already.', {
          reason: 'already_registered',
        });
      }
      throw error;
    }
    this.deps.cache.forgetUser(actor.userId);
    const passkey = toRecord(row);
    if (!firstFactor) return { passkey };
    return { passkey, recoveryCodes: await this.deps.twoFactor.newRecoveryCodes(actor.userId) };
  }

  async rename(actor: Actor, id: string, name: string): Promise<PasskeyRecord> {
    const [row] = await this.deps.db.system((tx) =>
      tx
        .update(passkeys)
        .set({ name: passkeyName(name) })
        .where(and(eq(passkeys.id, checkId(id)), eq(passkeys.userId, actor.userId)))
        .returning(),
    );
    if (!row) throw new DomainError('PASSKEY_NOT_FOUND', 'No such passkey.');
    return toRecord(row);
  }

  /**
   * Deletes a passkey (password required). Deleting the last second factor is turning two-factor
   * sign-in off, so it takes a recovery code too, as turning TOTP off takes a code; the recovery codes
   * go with it.
   */
  async remove(
    actor: Actor,
    id: string,
    input: { password: string; code?: string | undefined },
    ctx: { ip?: string | undefined },
  ): Promise<void> {
    const user = await this.deps.twoFactor.sessionUser(actor, input.password);
    const mine = await this.list(actor);
    if (!mine.some((p) => p.id === checkId(id)))
      throw new DomainError('PASSKEY_NOT_FOUND', 'No such passkey.');
    const last = mine.length === 1 && !(await this.deps.twoFactor.totpEnabled(user.id));
    if (last) {
      if (!input.code) {
        throw new DomainError(
          'VALIDATION_FAILED',
          'This is your last second factor: enter a recovery code to turn two-factor sign-in off.',
          { field: 'code' },
        );
      }
      await this.deps.twoFactor.verifySecondFactor(user.id, input.code, ctx);
    }
    await this.deps.db.system((tx) =>
      tx.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, user.id))),
    );
    this.deps.cache.forgetUser(user.id);
    await this.deps.twoFactor.forgetRecoveryCodesUnlessEnabled(user.id);
  }

  /** Options for the second step of a password sign-in: any of the account's passkeys. */
  async secondFactorOptions(
    userId: string,
    ctx: { ip?: string | undefined },
  ): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    this.deps.limiter.consume([{ key: `passkey-options:${ctx.ip ?? ''}`, limit: OPTIONS_PER_ADDRESS }]);
    const mine = await this.deps.db.system((tx) =>
      tx.select().from(passkeys).where(eq(passkeys.userId, userId)),
    );
    if (mine.length === 0) {
      throw new DomainError('VALIDATION_FAILED', 'This account has no passkey; use a code.');
    }
    const options = await generateAuthenticationOptions({
      rpID: this.deps.relyingParty().id,
      timeout: CEREMONY_TIMEOUT_MS,
      userVerification: 'preferred',
      allowCredentials: mine.map((p) => ({ id: p.credentialId, transports: transportsOf(p) })),
    });
    return { challengeId: await this.storeChallenge('second-factor', userId, options.challenge), options };
  }

  /**
   * The second step with a passkey: the answer must be signed by one of this account's passkeys over
   * the challenge issued to this account. Counts against the same attempt limits as codes.
   */
  async verifySecondFactor(
    userId: string,
    input: { challengeId: string; response: AuthenticationResponseJSON },
    ctx: { ip?: string | undefined },
  ): Promise<void> {
    this.deps.twoFactor.consumeAttempt(userId, ctx);
    const challenge = await this.takeChallenge(input.challengeId, 'second-factor', userId);
    const row = await this.byCredential(input.response.id);
    if (!row || row.userId !== userId) {
      throw new DomainError('PASSKEY_REJECTED', 'This passkey is not one of this account’s.', {
        reason: 'unknown_credential',
      });
    }
    await this.checkAssertion(row, challenge, input.response, false);
  }

  /** Options for a passwordless sign-in: no user named, the authenticator offers its passkeys. */
  async signInOptions(ctx: {
    ip?: string | undefined;
  }): Promise<{ challengeId: string; options: PublicKeyCredentialRequestOptionsJSON }> {
    this.deps.limiter.consume([{ key: `passkey-options:${ctx.ip ?? ''}`, limit: OPTIONS_PER_ADDRESS }]);
    const options = await generateAuthenticationOptions({
      rpID: this.deps.relyingParty().id,
      timeout: CEREMONY_TIMEOUT_MS,
      userVerification: 'required',
    });
    return { challengeId: await this.storeChallenge('sign-in', null, options.challenge), options };
  }

  /**
   * A passwordless sign-in: a discoverable passkey with user verification (a PIN or biometric on the
   * device) is both factors. Answers the user's id; the caller opens the session.
   */
  async signIn(
    input: { challengeId: string; response: AuthenticationResponseJSON },
    ctx: { ip?: string | undefined },
  ): Promise<string> {
    this.deps.limiter.consume([{ key: `2fa-address:${ctx.ip ?? ''}`, limit: 30 }]);
    const challenge = await this.takeChallenge(input.challengeId, 'sign-in', null);
    const row = await this.byCredential(input.response.id);
    if (!row) {
      throw new DomainError('PASSKEY_REJECTED', 'This passkey is not registered here.', {
        reason: 'unknown_credential',
      });
    }
    this.deps.limiter.consume([{ key: `2fa-account:${row.userId}`, limit: 5 }]);
    const handle = input.response.response.userHandle;
    if (handle && handle !== Buffer.from(userHandle(row.userId)).toString('base64url')) {
      throw new DomainError('PASSKEY_REJECTED', 'The passkey names another account.', {
        reason: 'user_mismatch',
      });
    }
    await this.checkAssertion(row, challenge, input.response, true);
    return row.userId;
  }

  private async checkAssertion(
    row: typeof passkeys.$inferSelect,
    challenge: string,
    response: AuthenticationResponseJSON,
    requireUserVerification: boolean,
  ): Promise<void> {
    const rp = this.deps.relyingParty();
    const newCounter = await rejectOnError(async () => {
      // Also refuses a counter that did not move forward (a cloned authenticator) unless both are 0.
      const result = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origins,
        expectedRPID: rp.id,
        requireUserVerification,
        credential: {
          id: row.credentialId,
          publicKey: Buffer.from(row.publicKey, 'base64url'),
          counter: row.counter,
          transports: transportsOf(row),
        },
      });
      if (!result.verified) throw new Error('The signature did not verify.');
      return result.authenticationInfo.newCounter;
    });
    // Conditional on the counter read: of two answers racing with one counter value, one wins.
    const [updated] = await this.deps.db.system((tx) =>
      tx
        .update(passkeys)
        .set({ counter: newCounter, lastUsedAt: new Date(this.deps.clock.now()) })
        .where(and(eq(passkeys.id, row.id), eq(passkeys.counter, row.counter)))
        .returning({ id: passkeys.id }),
    );
    if (!updated) {
      throw new DomainError('PASSKEY_REJECTED', 'The passkey was used by another sign-in at once.', {
        reason: 'counter',
      });
    }
  }

  private async byCredential(credentialId: string) {
    if (typeof credentialId !== 'string' || credentialId.length > 1024) return undefined;
    const [row] = await this.deps.db.system((tx) =>
      tx.select().from(passkeys).where(eq(passkeys.credentialId, credentialId)).limit(1),
    );
    return row;
  }

  private async storeChallenge(purpose: Purpose, userId: string | null, challenge: string): Promise<string> {
    const now = this.deps.clock.now();
    const [row] = await this.deps.db.system(async (tx) => {
      // Expired challenges are swept as new ones are made: the table holds minutes' worth at most.
      await tx.delete(webauthnChallenges).where(lt(webauthnChallenges.expiresAt, new Date(now)));
      return tx
        .insert(webauthnChallenges)
        .values({ purpose, userId, challenge, expiresAt: new Date(now + CHALLENGE_TTL_MS) })
        .returning({ id: webauthnChallenges.id });
    });
    return row!.id;
  }

  /** The challenge, deleted as it is read: a second answer to it finds nothing. */
  private async takeChallenge(id: string, purpose: Purpose, userId: string | null): Promise<string> {
    const invalid = () =>
      new DomainError('PASSKEY_CHALLENGE_INVALID', 'The passkey challenge is unknown, used or expired.');
    if (!UUID_RE.test(id)) throw invalid();
    const [row] = await this.deps.db.system((tx) =>
      tx.delete(webauthnChallenges).where(eq(webauthnChallenges.id, id)).returning(),
    );
    if (
      !row ||
      row.purpose !== purpose ||
      row.userId !== userId ||
      row.expiresAt.getTime() <= this.deps.clock.now()
    ) {
      throw invalid();
    }
    return row.challenge;
  }
}

/** The WebAuthn user handle: the user's UUID as its 16 bytes (no personal data). */
function userHandle(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(userId.replaceAll('-', ''), 'hex'));
}

function transportsOf(row: { transports: string }): AuthenticatorTransportFuture[] {
  return row.transports ? (row.transports.split(',') as AuthenticatorTransportFuture[]) : [];
}

function toRecord(row: typeof passkeys.$inferSelect): PasskeyRecord {
  const { publicKey: _key, userId: _user, ...rest } = row;
  return rest;
}

function passkeyName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 64) {
    throw new DomainError('VALIDATION_FAILED', 'A passkey name is 1 to 64 characters.', { field: 'name' });
  }
  return name;
}

function checkId(id: string): string {
  if (!UUID_RE.test(id)) throw new DomainError('PASSKEY_NOT_FOUND', 'No such passkey.');
  return id;
}

/** The library throws on every failed check; each one is the caller's answer not verifying. */
async function rejectOnError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw new DomainError('PASSKEY_REJECTED', 'The passkey’s answer did not verify.', {
      reason: error instanceof Error ? error.message.slice(0, 300) : 'unknown',
    });
  }
}
