import { authenticator } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

/** A code of the authenticator app for the step `offsetSteps` from now, computed from the enrolled secret. */
const codeAt = (secret: string, offsetSteps = 0) =>
  authenticator.clone({ epoch: Date.now() + offsetSteps * 30_000 }).generate(secret);

describe.each(testBackends())('two-factor sign-in on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;

  beforeAll(async () => {
    cp = await startControlPlane(backend);
    api = cp.api;
  });
  afterAll(async () => {
    await cp?.close();
  });

  /** Signs up and turns TOTP on; answers the secret and the recovery codes. */
  async function enrolled(prefix: string): Promise<{ user: SignedUp; secret: string; recovery: string[] }> {
    const user = await api.signup(prefix);
    const wrong = await api.post('/me/2fa/totp', { password: 'not the password' }, user.token);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    const begun = await api.post('/me/2fa/totp', { password: user.password }, user.token);
    expect(begun.status).toBe(200);
    expect(begun.body.otpauth_url).toMatch(/^otpauth:\/\/totp\/Minefleet:/);
    const secret = begun.body.secret as string;
    const bad = await api.post('/me/2fa/totp/confirm', { code: '000000' }, user.token);
    expect(bad.status).toBe(401);
    // The previous step's code is accepted (±1 step of drift).
    const confirmed = await api.post('/me/2fa/totp/confirm', { code: codeAt(secret, -1) }, user.token);
    expect(confirmed.status).toBe(200);
    const recovery = confirmed.body.recovery_codes as string[];
    expect(recovery).toHaveLength(10);
    expect(new Set(recovery).size).toBe(10);
    return { user, secret, recovery };
  }

  async function passwordStep(user: SignedUp): Promise<string> {
    const res = await api.post('/auth/login', { email: user.email, password: user.password });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('MFA_REQUIRED');
    expect(res.body.token).toBeUndefined();
    return res.body.error.details.mfa_token as string;
  }

  it('asks for a code after the password, accepts each TOTP code once, never two steps away', async () => {
    const { user, secret } = await enrolled('totp');
    expect((await api.get('/me/2fa', user.token)).body).toEqual({
      totp_enabled: true,
      passkeys: 0,
      recovery_codes_left: 10,
    });
    // The enrolment's code was used: not again.
    const reused = await api.post('/auth/login/mfa', {
      mfa_token: await passwordStep(user),
      code: codeAt(secret, -1),
    });
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('INVALID_CREDENTIALS');
    const tooOld = await api.post('/auth/login/mfa', {
      mfa_token: await passwordStep(user),
      code: codeAt(secret, -3),
    });
    expect(tooOld.status).toBe(401);
    const current = codeAt(secret);
    const ok = await api.post('/auth/login/mfa', { mfa_token: await passwordStep(user), code: current });
    expect(ok.status).toBe(200);
    expect((await api.get('/me', ok.body.token)).status).toBe(200);
    const again = await api.post('/auth/login/mfa', { mfa_token: await passwordStep(user), code: current });
    expect(again.status).toBe(401);
    // The password-step token is not a session.
    expect((await api.get('/me', await passwordStep(user))).status).toBe(401);
  });

  it('accepts each recovery code once', async () => {
    const { user, recovery } = await enrolled('recovery');
    const first = await api.post('/auth/login/mfa', {
      mfa_token: await passwordStep(user),
      code: recovery[0],
    });
    expect(first.status).toBe(200);
    const reused = await api.post('/auth/login/mfa', {
      mfa_token: await passwordStep(user),
      code: recovery[0],
    });
    expect(reused.status).toBe(401);
    expect(reused.body.error.code).toBe('INVALID_CREDENTIALS');
    expect((await api.get('/me/2fa', first.body.token)).body.recovery_codes_left).toBe(9);
  });

  it('locks the code step of an account after repeated failures, right code or not', async () => {
    const { user, secret } = await enrolled('lockout');
    const token = await passwordStep(user);
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await api.post('/auth/login/mfa', { mfa_token: token, code: '123456' })).status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    const locked = await api.post('/auth/login/mfa', { mfa_token: token, code: codeAt(secret, 1) });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('RATE_LIMITED');
  });

  it('a tenant that requires two-factor sign-in answers members without it only on account routes', async () => {
    const plain = await api.signup('policy-owner-plain');
    const refused = await api.request('PUT', '/api/v1/tenant/security', {
      token: plain.token,
      body: { require_2fa: true },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('MFA_ENROLMENT_REQUIRED');

    const { user: owner, secret } = await enrolled('policy-owner');
    const member = await api.signup('policy-member');
    expect((await api.post('/members', { email: member.email, role: 'operator' }, owner.token)).status).toBe(
      201,
    );
    const memberLogin = await api.post('/auth/login', {
      email: member.email,
      password: member.password,
      tenant_id: owner.tenantId,
    });
    const memberToken = memberLogin.body.token as string;
    expect((await api.get('/servers', memberToken)).status).toBe(200);
    const set = await api.request('PUT', '/api/v1/tenant/security', {
      token: owner.token,
      body: { require_2fa: true },
    });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ require_2fa: true, sso_only: false });
    const blocked = await api.get('/servers', memberToken);
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.code).toBe('MFA_ENROLMENT_REQUIRED');
    // Account routes still answer, so the member can turn it on.
    expect((await api.get('/me', memberToken)).status).toBe(200);
    const begun = await api.post('/me/2fa/totp', { password: member.password }, memberToken);
    expect(begun.status).toBe(200);
    const confirmed = await api.post(
      '/me/2fa/totp/confirm',
      { code: codeAt(begun.body.secret) },
      memberToken,
    );
    expect(confirmed.status).toBe(200);
    expect((await api.get('/servers', memberToken)).status).toBe(200);
    // The owner (with it on) was never blocked.
    expect((await api.get('/servers', owner.token)).status).toBe(200);
    expect(secret).toBeTruthy();
  });
});
