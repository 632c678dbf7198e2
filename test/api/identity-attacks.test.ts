import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { linkIn, tokenOf } from '@minefleet/testkit/mailbox';
import type { TestApi } from '@minefleet/testkit/api';

/**
 * The two ways in that existed before sessions and email were proven: becoming a platform
 * administrator by signing up with a listed address, and turning a short-lived API key into a long
 * session in any tenant that survives the key's revocation.
 */
describe.each(testBackends())('identity attacks on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  const adminEmail = `listed-admin-${process.pid}-${Date.now()}@example.com`;
  const PASSWORD = 'a long test passphrase';

  beforeAll(async () => {
    cp = await startControlPlane(backend, { env: { MINEFLEET_PLATFORM_ADMINS: adminEmail } });
    api = cp.api;
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('a sign-up with a listed admin email is not an admin until that email is verified', async () => {
    expect((await api.post('/auth/signup', { email: adminEmail, password: PASSWORD })).status).toBe(202);
    const signedIn = await api.post('/auth/login', { email: adminEmail, password: PASSWORD });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user).toMatchObject({ is_platform_admin: false, email_verified: false });
    const token = signedIn.body.token as string;
    expect((await api.get('/me', token)).body.user.is_platform_admin).toBe(false);
    // The administrator's right is refused, not merely hidden.
    const sync = await api.post('/plugins/sync', {}, token);
    expect(sync.status).toBe(403);
    expect(sync.body.error.code).toBe('FORBIDDEN');
    // Following the link mailed to the address proves it, and only then is the account promoted.
    const mail = await cp.mailbox!.waitFor(adminEmail, /verify/i);
    const verified = await api.post('/auth/verify-email', { token: tokenOf(linkIn(mail)) });
    expect(verified.status).toBe(200);
    const me = await api.get('/me', token);
    expect(me.body.user).toMatchObject({ is_platform_admin: true, email_verified: true });
    expect((await api.post('/plugins/sync', {}, token)).status).toBe(200);
  });

  it('an unverified account cannot create API keys or be invited', async () => {
    const owner = await api.signup('attack-owner');
    const unverified = await api.signup('attack-unverified', { verify: false });
    const key = await api.post('/api-keys', { name: 'ci' }, unverified.token);
    expect(key.status).toBe(403);
    expect(key.body.error.code).toBe('EMAIL_NOT_VERIFIED');
    const invite = await api.post('/members', { email: unverified.email, role: 'viewer' }, owner.token);
    // Answered exactly as an address with no account: an invite does not tell whether someone signed
    // up with an address (only a verified account can be added, and that is the answer that differs).
    const ghost = await api.post(
      '/members',
      { email: `ghost-${Date.now()}@example.com`, role: 'viewer' },
      owner.token,
    );
    expect(invite.status).toBe(404);
    expect(invite.body.error.code).toBe('USER_NOT_FOUND');
    expect(ghost.status).toBe(invite.status);
    const shape = (b: { error: Record<string, unknown> }) => ({ ...b.error, request_id: undefined });
    expect(shape(ghost.body)).toEqual(shape(invite.body));
    // It still signs in and uses its own tenant.
    const login = await api.post('/auth/login', { email: unverified.email, password: unverified.password });
    expect(login.status).toBe(200);
    expect((await api.get('/servers', login.body.token)).status).toBe(200);
    // Once verified, the same requests work.
    await api.verifyEmail(unverified.email);
    expect((await api.post('/api-keys', { name: 'ci' }, unverified.token)).status).toBe(201);
    expect(
      (await api.post('/members', { email: unverified.email, role: 'viewer' }, owner.token)).status,
    ).toBe(201);
  });

  it('ignores X-Forwarded-For from a peer that is not a trusted proxy', async () => {
    const user = await api.signup('spoof');
    const login = await api.request('POST', '/api/v1/auth/login', {
      body: { email: user.email, password: user.password },
      headers: { 'x-forwarded-for': '203.0.113.50', 'user-agent': 'spoofer' },
    });
    expect(login.status).toBe(200);
    const sessions = await api.get('/me/sessions', login.body.token);
    const current = sessions.body.sessions.find((s: { current: boolean }) => s.current);
    expect(current).toMatchObject({ device: 'spoofer', ip: '127.0.0.1' });
  });

  it('a verification link works once', async () => {
    const email = `once-${process.pid}-${Date.now()}@example.com`;
    expect((await api.post('/auth/signup', { email, password: PASSWORD })).status).toBe(202);
    const token = tokenOf(linkIn(await cp.mailbox!.waitFor(email, /verify/i)));
    expect((await api.post('/auth/verify-email', { token })).status).toBe(200);
    const again = await api.post('/auth/verify-email', { token });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('LINK_INVALID');
    const forged = await api.post('/auth/verify-email', { token: 'x'.repeat(43) });
    expect(forged.body.error.code).toBe('LINK_INVALID');
  });

  it('an API key cannot be exchanged for a session: not in its tenant, not in another, not by refresh', async () => {
    const owner = await api.signup('key-owner');
    const other = await api.signup('key-other-tenant');
    // The owner also belongs to a second tenant, the one the key must not reach.
    expect((await api.post('/members', { email: owner.email, role: 'admin' }, other.token)).status).toBe(201);
    const expiresAt = new Date(Date.now() + 90_000).toISOString();
    const key = await api.post('/api-keys', { name: 'short', expires_at: expiresAt }, owner.token);
    expect(key.status).toBe(201);
    const apiKey = key.body.key as string;
    for (const tenantId of [other.tenantId, owner.tenantId]) {
      const switched = await api.post('/auth/switch-tenant', { tenant_id: tenantId }, apiKey);
      expect(switched.status).toBe(403);
      expect(switched.body.error.code).toBe('FORBIDDEN');
      expect(switched.body.token).toBeUndefined();
    }
    const refreshed = await api.post('/auth/refresh', {}, apiKey);
    expect(refreshed.status).toBe(403);
    expect(refreshed.body.error.code).toBe('FORBIDDEN');
    // The key itself still works until it is revoked, then nothing made from it does.
    expect((await api.get('/me', apiKey)).status).toBe(200);
    expect((await api.delete(`/api-keys/${key.body.id}`, owner.token)).status).toBe(204);
    expect((await api.get('/me', apiKey)).status).toBe(401);
  });

  it('a switched-tenant token lives no longer than the token it came from and dies with its session', async () => {
    const owner = await api.signup('switch-owner');
    const other = await api.signup('switch-other');
    expect((await api.post('/members', { email: owner.email, role: 'viewer' }, other.token)).status).toBe(
      201,
    );
    const login = await api.post('/auth/login', { email: owner.email, password: owner.password });
    const switched = await api.post('/auth/switch-tenant', { tenant_id: other.tenantId }, login.body.token);
    expect(switched.status).toBe(200);
    expect(new Date(switched.body.expires_at).getTime()).toBeLessThanOrEqual(
      new Date(login.body.expires_at).getTime(),
    );
    expect((await api.get('/me', switched.body.token)).body.tenant.id).toBe(other.tenantId);
    // Logging out with either token ends both: they are one session.
    expect((await api.post('/auth/logout', {}, login.body.token)).status).toBe(204);
    const after = await api.get('/me', switched.body.token);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('UNAUTHENTICATED');
    expect((await api.get('/me', login.body.token)).status).toBe(401);
  });
});
