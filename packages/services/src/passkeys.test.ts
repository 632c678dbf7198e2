import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { SoftAuthenticator } from '@minefleet/testkit/webauthn';
import type { Actor } from './actor.js';
import { AttemptLimiter } from './attempt-limiter.js';
import { AuthCache } from './auth-cache.js';
import { PasskeyService } from './passkeys.js';
import { hashPassword } from './passwords.js';
import { TwoFactorService } from './two-factor.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof DomainError ? error.code : `not a DomainError: ${String(error)}`;
  }
  return undefined;
}

/**
 * The challenge store and the origin check with a clock the test moves: a challenge is good for 5
 * minutes and no longer, and an answer made for another origin is refused.
 */
describe.each(testBackends())('passkey ceremonies on %s', (backend) => {
  const ORIGIN = 'http://localhost:8080';
  const PASSWORD = 'a long passkey passphrase';
  let t: TestDatabase;
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = { now: () => now };
  let passkeys: PasskeyService;
  let actor: Actor;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    const cache = new AuthCache(clock);
    const limiter = new AttemptLimiter(clock);
    const twoFactor = new TwoFactorService({
      db: t.database,
      clock,
      limiter,
      secret: 'a test secret of at least thirty-two characters',
      cache,
    });
    passkeys = new PasskeyService({
      db: t.database,
      clock,
      limiter,
      cache,
      twoFactor,
      relyingParty: () => ({ id: 'localhost', name: 'Minefleet', origins: [ORIGIN] }),
    });
    const [user] = await t.database.system(async (tx) =>
      tx
        .insert(users)
        .values({
          email: `passkeys-${Date.now()}@example.com`,
          passwordHash: await hashPassword(PASSWORD),
          displayName: 'P',
        })
        .returning(),
    );
    actor = { userId: user!.id, tenantId: user!.id, role: 'owner' };
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a registration challenge older than 5 minutes, and accepts a fresh one', async () => {
    const device = new SoftAuthenticator(ORIGIN);
    const old = await passkeys.registrationOptions(actor, PASSWORD);
    now += 5 * 60_000 + 1;
    const late = passkeys.register(actor, {
      challengeId: old.challengeId,
      response: device.register(old.options) as never,
    });
    expect(await codeOf(late)).toBe('PASSKEY_CHALLENGE_INVALID');
    const fresh = await passkeys.registrationOptions(actor, PASSWORD);
    now += 4 * 60_000;
    const added = await passkeys.register(actor, {
      challengeId: fresh.challengeId,
      response: device.register(fresh.options) as never,
    });
    expect(added.recoveryCodes).toHaveLength(10);
    expect((await passkeys.list(actor)).map((p) => p.id)).toEqual([added.passkey.id]);
  });

  it('refuses an answer made for another origin', async () => {
    const phished = new SoftAuthenticator('https://minefleet.example.net');
    const begun = await passkeys.registrationOptions(actor, PASSWORD);
    const answer = passkeys.register(actor, {
      challengeId: begun.challengeId,
      response: phished.register(begun.options) as never,
    });
    expect(await codeOf(answer)).toBe('PASSKEY_REJECTED');
    expect(await passkeys.list(actor)).toHaveLength(1);
  });
});
