import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { linkIn, tokenOf } from '@minefleet/testkit/mailbox';
import type { TestApi } from '@minefleet/testkit/api';

/** Password reset and change, email change, and the session list, through a real SMTP server. */
describe.each(testBackends())('email proof and sessions on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;

  beforeAll(async () => {
    cp = await startControlPlane(backend, {
      env: {
        MINEFLEET_LOGIN_RATE_LIMIT_PER_ADDRESS: '6',
        MINEFLEET_LOGIN_RATE_LIMIT_PER_ACCOUNT: '4',
        // The test is the proxy: its X-Forwarded-For names the client.
        MINEFLEET_TRUSTED_PROXIES: '127.0.0.1/32,::1',
      },
    });
    api = cp.api;
  });
  afterAll(async () => {
    await cp?.close();
  });

  let address = 0;
  /** A sign-in from its own client address (through the trusted proxy) unless one is given. */
  const login = (email: string, password: string, agent = 'test-agent', from?: string) =>
    api.request('POST', '/api/v1/auth/login', {
      body: { email, password },
      headers: { 'user-agent': agent, 'x-forwarded-for': from ?? `198.51.100.${++address % 250}` },
    });

  it('resets a password by the mailed link: once, and every session ends', async () => {
    const user = await api.signup('reset');
    const laptop = await login(user.email, user.password, 'laptop');
    expect(laptop.status).toBe(200);
    expect((await api.post('/auth/password-reset', { email: user.email })).status).toBe(202);
    // An unknown address gets the same answer, and no mail.
    expect((await api.post('/auth/password-reset', { email: 'nobody@example.com' })).status).toBe(202);
    const mail = await cp.mailbox!.waitFor(user.email, /reset/i);
    const link = linkIn(mail);
    expect(link.pathname).toBe('/reset-password');
    const token = tokenOf(link);
    const weak = await api.post('/auth/password-reset/confirm', { token, password: 'short' });
    expect(weak.body.error.code).toBe('WEAK_PASSWORD');
    // A weak password does not use the link up.
    const second = token;
    const done = await api.post('/auth/password-reset/confirm', {
      token: second,
      password: 'a new long passphrase',
    });
    expect(done.status).toBe(204);
    expect(
      (await api.post('/auth/password-reset/confirm', { token: second, password: 'another long one!' })).body
        .error.code,
    ).toBe('LINK_INVALID');
    for (const old of [user.token, laptop.body.token]) {
      const me = await api.get('/me', old);
      expect(me.status).toBe(401);
      expect(me.body.error.code).toBe('UNAUTHENTICATED');
    }
    expect((await login(user.email, user.password)).status).toBe(401);
    expect((await login(user.email, 'a new long passphrase')).status).toBe(200);
    expect(cp.mailbox!.messages.filter((m) => m.to.includes('nobody@example.com'))).toHaveLength(0);
  });

  it('changes the password only with the current one, ending the other sessions', async () => {
    const user = await api.signup('change');
    const other = await login(user.email, user.password, 'phone');
    const wrong = await api.post(
      '/me/password',
      { current_password: 'not my password', new_password: 'a brand new passphrase' },
      user.token,
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
    const ok = await api.post(
      '/me/password',
      { current_password: user.password, new_password: 'a brand new passphrase' },
      user.token,
    );
    expect(ok.status).toBe(204);
    expect((await api.get('/me', user.token)).status).toBe(200);
    expect((await api.get('/me', other.body.token)).status).toBe(401);
    expect((await login(user.email, 'a brand new passphrase')).status).toBe(200);
  });

  it('changes the email once the new address is proven', async () => {
    const user = await api.signup('email-change');
    const newEmail = `moved-${process.pid}-${Date.now()}@example.com`;
    const asked = await api.post('/me/email', { email: newEmail, password: user.password }, user.token);
    expect(asked.status).toBe(202);
    // Until the link is followed, nothing changed.
    expect((await api.get('/me', user.token)).body.user.email).toBe(user.email);
    const mail = await cp.mailbox!.waitFor(newEmail, /confirm/i);
    const verified = await api.post('/auth/verify-email', { token: tokenOf(linkIn(mail)) });
    expect(verified.status).toBe(200);
    expect(verified.body.email).toBe(newEmail);
    expect((await api.get('/me', user.token)).body.user).toMatchObject({
      email: newEmail,
      email_verified: true,
    });
    expect((await login(newEmail, user.password)).status).toBe(200);
    expect((await login(user.email, user.password)).status).toBe(401);
    const taken = await api.post('/me/email', { email: newEmail, password: user.password }, user.token);
    expect(taken.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('lists sessions with device and address, revokes one, refreshes, and signs out everywhere', async () => {
    const user = await api.signup('sessions');
    const a = await login(user.email, user.password, 'Browser A');
    const b = await login(user.email, user.password, 'Browser B');
    const list = await api.get('/me/sessions', a.body.token);
    expect(list.status).toBe(200);
    const devices = list.body.sessions.map((s: { device: string }) => s.device);
    expect(devices).toEqual(expect.arrayContaining(['Browser A', 'Browser B']));
    const mine = list.body.sessions.find((s: { current: boolean }) => s.current);
    expect(mine.device).toBe('Browser A');
    expect(mine.ip).toMatch(/^198\.51\.100\.\d+$/);
    const bId = list.body.sessions.find((s: { device: string }) => s.device === 'Browser B').id;
    expect((await api.delete(`/me/sessions/${bId}`, a.body.token)).status).toBe(204);
    expect((await api.get('/me', b.body.token)).status).toBe(401);
    expect((await api.delete(`/me/sessions/${bId}`, a.body.token)).body.error.code).toBe('SESSION_NOT_FOUND');
    // Refresh: a new token of the same session, no password.
    const refreshed = await api.post('/auth/refresh', {}, a.body.token);
    expect(refreshed.status).toBe(200);
    expect((await api.get('/me', refreshed.body.token)).status).toBe(200);
    const everywhere = await api.delete('/me/sessions', refreshed.body.token);
    expect(everywhere.status).toBe(200);
    expect(everywhere.body.revoked).toBeGreaterThanOrEqual(2);
    for (const t of [a.body.token, refreshed.body.token, user.token])
      expect((await api.get('/me', t)).status).toBe(401);
  });

  it('limits sign-in per client address (from the trusted proxy) whatever the email', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push(
        (await login(`spray-${i}-${process.pid}@example.com`, 'wrong password here', 'x', '203.0.113.7'))
          .status,
      );
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]);
    // Another address is not affected.
    expect(
      (await login(`spray-x-${process.pid}@example.com`, 'wrong password here', 'x', '203.0.113.8')).status,
    ).toBe(401);
  });

  it('limits sign-in per account across addresses, with the same answer for an unknown account', async () => {
    // Without the sign-in api.signup makes, which would count against the account.
    const user = await api.createAccount('per-account');
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(user.email, 'wrong password here')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 429]);
    const right = await login(user.email, user.password);
    expect(right.status).toBe(429);
    expect(right.body.error.code).toBe('RATE_LIMITED');
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    const ghost: number[] = [];
    for (let i = 0; i < 5; i++)
      ghost.push((await login(`ghost-${process.pid}@example.com`, 'wrong password here')).status);
    expect(ghost).toEqual([401, 401, 401, 401, 429]);
  });
});
