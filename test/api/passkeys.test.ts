import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '@minefleet/db/schema';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { SoftAuthenticator } from '@minefleet/testkit/webauthn';

/**
 * Passkeys over the API, answered by a software authenticator that signs like a real one: the
 * server's WebAuthn verification, challenge store, counter check and attempt limits are the real ones.
 * RP ID and origin come from the public URL (here http://127.0.0.1:<port>).
 */
describe.each(testBackends())('passkeys on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;

  beforeAll(async () => {
    cp = await startControlPlane(backend);
    api = cp.api;
  });
  afterAll(async () => {
    await cp?.close();
  });

  /** Signs up and registers a passkey on a new authenticator; answers the recovery codes. */
  async function withPasskey(prefix: string) {
    const user = await api.signup(prefix);
    const device = new SoftAuthenticator(cp.url);
    const wrong = await api.post('/me/passkeys/options', { password: 'not the password' }, user.token);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    const begun = await api.post('/me/passkeys/options', { password: user.password }, user.token);
    expect(begun.status).toBe(200);
    expect(begun.body.options.rp.id).toBe('127.0.0.1');
    expect(begun.body.options.authenticatorSelection).toMatchObject({
      residentKey: 'required',
      userVerification: 'required',
    });
    const added = await api.post(
      '/me/passkeys',
      {
        challenge_id: begun.body.challenge_id,
        name: 'Laptop',
        response: device.register(begun.body.options),
      },
      user.token,
    );
    expect(added.status).toBe(201);
    expect(added.body.passkey.name).toBe('Laptop');
    return { user, device, passkeyId: added.body.passkey.id as string, recovery: added.body.recovery_codes };
  }

  async function mfaToken(user: SignedUp): Promise<string> {
    const res = await api.post('/auth/login', { email: user.email, password: user.password });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('MFA_REQUIRED');
    return res.body.error.details.mfa_token as string;
  }

  async function secondStepOptions(token: string) {
    const res = await api.post('/auth/login/mfa/passkey/options', { mfa_token: token });
    expect(res.status).toBe(200);
    return res.body as {
      challenge_id: string;
      options: { challenge: string; allowCredentials: { id: string }[] };
    };
  }

  it('registers a passkey as the first second factor, with recovery codes, and lists and renames it', async () => {
    const { user, passkeyId, recovery } = await withPasskey('pk-register');
    expect(recovery).toHaveLength(10);
    expect((await api.get('/me/2fa', user.token)).body).toEqual({
      totp_enabled: false,
      passkeys: 1,
      recovery_codes_left: 10,
    });
    const renamed = await api.patch(`/me/passkeys/${passkeyId}`, { name: 'Work laptop' }, user.token);
    expect(renamed.status).toBe(200);
    const list = await api.get('/me/passkeys', user.token);
    expect(list.body.passkeys).toEqual([expect.objectContaining({ id: passkeyId, name: 'Work laptop' })]);
    // Another account cannot rename it.
    const other = await api.signup('pk-other');
    const theirs = await api.patch(`/me/passkeys/${passkeyId}`, { name: 'mine now' }, other.token);
    expect(theirs.body.error.code).toBe('PASSKEY_NOT_FOUND');
  });

  it('signs in with password and passkey; a used challenge and a replayed answer are refused', async () => {
    const { user, device } = await withPasskey('pk-second');
    const token = await mfaToken(user);
    const login = await api.post('/auth/login', { email: user.email, password: user.password });
    expect(login.body.error.details.methods).toEqual(['passkey', 'recovery_code']);
    const begun = await secondStepOptions(token);
    const answer = device.authenticate(begun.options);
    const ok = await api.post('/auth/login/mfa/passkey', {
      mfa_token: token,
      challenge_id: begun.challenge_id,
      response: answer,
    });
    expect(ok.status).toBe(200);
    expect((await api.get('/me', ok.body.token)).status).toBe(200);
    // The same answer again: its challenge was used.
    const replayed = await api.post('/auth/login/mfa/passkey', {
      mfa_token: token,
      challenge_id: begun.challenge_id,
      response: answer,
    });
    expect(replayed.status).toBe(400);
    expect(replayed.body.error.code).toBe('PASSKEY_CHALLENGE_INVALID');
    expect(replayed.body.token).toBeUndefined();
    // The old answer to a new challenge: it signed another one.
    const fresh = await secondStepOptions(token);
    const stale = await api.post('/auth/login/mfa/passkey', {
      mfa_token: token,
      challenge_id: fresh.challenge_id,
      response: answer,
    });
    expect(stale.status).toBe(401);
    expect(stale.body.error.code).toBe('PASSKEY_REJECTED');
  });

  it('does not let a passkey of another account complete this account’s second factor', async () => {
    const { user } = await withPasskey('pk-victim');
    const { user: attacker, device: attackerDevice } = await withPasskey('pk-attacker');
    const token = await mfaToken(user);
    const begun = await secondStepOptions(token);
    // The attacker's own passkey signs the victim's challenge: valid signature, wrong account.
    const answer = attackerDevice.authenticate(begun.options);
    const res = await api.post('/auth/login/mfa/passkey', {
      mfa_token: token,
      challenge_id: begun.challenge_id,
      response: answer,
    });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('PASSKEY_REJECTED');
    expect(res.body.token).toBeUndefined();
    // Nor does the attacker's own token take the victim's challenge.
    const theirs = await api.post('/auth/login/mfa/passkey', {
      mfa_token: await mfaToken(attacker),
      challenge_id: (await secondStepOptions(token)).challenge_id,
      response: answer,
    });
    expect(theirs.body.error.code).toBe('PASSKEY_CHALLENGE_INVALID');
  });

  it('signs in without a password, refuses a counter that does not move forward, and a challenge of another ceremony', async () => {
    const { user, device } = await withPasskey('pk-passwordless');
    const begun = await api.post('/auth/passkey/options', {});
    expect(begun.status).toBe(200);
    expect(begun.body.options.userVerification).toBe('required');
    expect(begun.body.options.allowCredentials ?? []).toEqual([]);
    const ok = await api.post('/auth/passkey', {
      challenge_id: begun.body.challenge_id,
      response: device.authenticate(begun.body.options),
    });
    expect(ok.status).toBe(200);
    expect(ok.body.user.id).toBe(user.userId);
    // A cloned authenticator: its counter is where the original's was.
    const [credentialId, credential] = [...device.credentials.entries()][0]!;
    const again = await api.post('/auth/passkey/options', {});
    const cloned = await api.post('/auth/passkey', {
      challenge_id: again.body.challenge_id,
      response: device.authenticate(again.body.options, { credentialId, counter: credential.counter }),
    });
    expect(cloned.status).toBe(401);
    expect(cloned.body.error.code).toBe('PASSKEY_REJECTED');
    // Audited as a failed sign-in, under the request that made it.
    const failures = await cp.db.database.system((tx) =>
      tx
        .select()
        .from(auditEvents)
        .where(eq(auditEvents.requestId, cloned.body.error.request_id as string)),
    );
    expect(failures).toEqual([
      expect.objectContaining({
        action: 'auth.login',
        outcome: 'failure',
        // Failures from one address within a minute are counted into one row (failed-sign-ins.ts).
        details: { method: 'passkey', count: expect.any(Number) },
      }),
    ]);
    // A sign-in challenge does not serve the second step.
    const token = await mfaToken(user);
    const signInChallenge = await api.post('/auth/passkey/options', {});
    const crossed = await api.post('/auth/login/mfa/passkey', {
      mfa_token: token,
      challenge_id: signInChallenge.body.challenge_id,
      response: device.authenticate(signInChallenge.body.options),
    });
    expect(crossed.body.error.code).toBe('PASSKEY_CHALLENGE_INVALID');
  });

  it('counts passkey answers with codes against the second-factor attempt limit', async () => {
    const { user, device } = await withPasskey('pk-limit');
    const token = await mfaToken(user);
    for (let i = 0; i < 3; i++) {
      const wrong = await api.post('/auth/login/mfa', { mfa_token: token, code: 'aaaaaaaa-bbbbbbbb' });
      expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    }
    for (let i = 0; i < 2; i++) {
      const begun = await secondStepOptions(token);
      const bad = await api.post('/auth/login/mfa/passkey', {
        mfa_token: token,
        challenge_id: begun.challenge_id,
        response: device.authenticate({ challenge: 'bm90IHRoZSBjaGFsbGVuZ2U' }),
      });
      expect(bad.body.error.code).toBe('PASSKEY_REJECTED');
    }
    const begun = await secondStepOptions(token);
    const limited = await api.post('/auth/login/mfa/passkey', {
      mfa_token: token,
      challenge_id: begun.challenge_id,
      response: device.authenticate(begun.options),
    });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
  });

  it('counts a passkey for the tenant policy, and deleting the last one takes a recovery code', async () => {
    const { user, passkeyId, recovery } = await withPasskey('pk-policy');
    const policy = await api.request('PUT', '/api/v1/tenant/security', {
      token: user.token,
      body: { require_2fa: true },
    });
    expect(policy.body).toEqual({ require_2fa: true, sso_only: false });
    expect((await api.get('/servers', user.token)).status).toBe(200);
    const noCode = await api.request('DELETE', `/api/v1/me/passkeys/${passkeyId}`, {
      token: user.token,
      body: { password: user.password },
    });
    expect(noCode.status).toBe(400);
    expect(noCode.body.error.code).toBe('VALIDATION_FAILED');
    const deleted = await api.request('DELETE', `/api/v1/me/passkeys/${passkeyId}`, {
      token: user.token,
      body: { password: user.password, code: recovery[0] },
    });
    expect(deleted.status).toBe(204);
    expect((await api.get('/me/2fa', user.token)).body).toEqual({
      totp_enabled: false,
      passkeys: 0,
      recovery_codes_left: 0,
    });
    // Without a second factor the tenant's policy shuts the account out of everything but /me.
    const blocked = await api.get('/servers', user.token);
    expect(blocked.body.error.code).toBe('MFA_ENROLMENT_REQUIRED');
    const login = await api.post('/auth/login', { email: user.email, password: user.password });
    expect(login.status).toBe(200);
  });
});
