import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { TestApi } from '@minefleet/testkit/api';

describe.each(testBackends())('accounts API on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;

  beforeAll(async () => {
    cp = await startControlPlane(backend, { env: { MINEFLEET_LOGIN_RATE_LIMIT: '5' } });
    api = cp.api;
  });
  afterAll(async () => {
    await cp?.close();
  });

  describe('signup', () => {
    it('creates a user and a tenant they own; signing in with the password opens a session', async () => {
      const res = await api.post('/auth/signup', {
        email: 'Owner@Example.com',
        password: 'a long passphrase 1',
        display_name: 'Ann',
      });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({
        email: 'owner@example.com',
        message: expect.stringMatching(/check your email/i),
      });
      expect(res.body.token).toBeUndefined();
      const login = await api.post('/auth/login', {
        email: 'owner@example.com',
        password: 'a long passphrase 1',
      });
      expect(login.status).toBe(200);
      expect(login.body.user).toMatchObject({
        email: 'owner@example.com',
        display_name: 'Ann',
        is_platform_admin: false,
        email_verified: false,
      });
      expect(login.body.tenant.id).toMatch(/^[0-9a-f-]{36}$/);
      const me = await api.get('/me', login.body.token);
      expect(me.status).toBe(200);
      expect(me.body).toMatchObject({
        role: 'owner',
        tenant: { id: login.body.tenant.id },
        auth: { method: 'session' },
      });
      expect(me.body.quota.servers).toEqual({ used: 0, limit: 10 });
      expect((await cp.mailbox!.waitFor('owner@example.com', /verify/i)).text).toContain(
        '/verify-email#token=',
      );
    });

    it('answers a taken address (in any case) exactly like a new one, creates nothing and mails its owner', async () => {
      const owner = await api.signup('taken');
      const fresh = `fresh-${process.pid}-${Date.now()}@example.com`;
      const started = Date.now();
      const taken = await api.post('/auth/signup', {
        email: owner.email.toUpperCase(),
        password: 'another passphrase',
        tenant_name: 'Intruders',
      });
      const takenMs = Date.now() - started;
      const created = await api.post('/auth/signup', {
        email: fresh.toUpperCase(),
        password: 'another passphrase',
      });
      const createdMs = Date.now() - started - takenMs;
      console.log(`[signup] taken address ${takenMs} ms, new address ${createdMs} ms`);
      // Same status, same body but for the address the caller typed (as read: trimmed, lower case).
      expect(taken.status).toBe(202);
      expect(created.status).toBe(taken.status);
      expect(taken.body).toEqual({ ...created.body, email: owner.email });
      expect(created.body.email).toBe(fresh);
      // The owner is told, with the way back in; the new address gets its verification link.
      const notice = await cp.mailbox!.waitFor(owner.email, /tried to sign up/i);
      expect(notice.text).toContain('/login');
      expect(notice.text).toContain('/forgot-password');
      expect(notice.text).not.toMatch(/token=/);
      await cp.mailbox!.waitFor(fresh, /verify/i);
      // Nothing changed on the account: the old password works, the new one does not, no tenant was added.
      expect(
        (await api.post('/auth/login', { email: owner.email, password: 'another passphrase' })).status,
      ).toBe(401);
      const me = await api.get('/me', owner.token);
      expect(me.body.tenants).toHaveLength(1);
      expect(me.body.tenants[0].tenant.name).not.toBe('Intruders');
    });

    it.each([
      ['short', 'WEAK_PASSWORD'],
      ['aaaaaaaaaaaaaa', 'WEAK_PASSWORD'],
      ['password123', 'WEAK_PASSWORD'],
    ])('refuses the weak password %j', async (password, code) => {
      const res = await api.post('/auth/signup', { email: `weak-${Math.random()}@example.com`, password });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe(code);
    });

    it.each(['not-an-email', 'a@b', 'spaces in@example.com', ''])(
      'refuses the bad email %j',
      async (email) => {
        const res = await api.post('/auth/signup', { email, password: 'a long passphrase 1' });
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('INVALID_EMAIL');
      },
    );

    it('validates the body shape', async () => {
      const res = await api.post('/auth/signup', { email: 'x@example.com' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      const extra = await api.post('/auth/signup', {
        email: 'x@example.com',
        password: 'a long passphrase 1',
        admin: true,
      });
      expect(extra.status).toBe(400);
      expect(extra.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('answers INVALID_JSON for a malformed body', async () => {
      const res = await api.request('POST', '/api/v1/auth/signup', {
        body: '{"email": ',
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_JSON');
    });
  });

  describe('login', () => {
    it('returns a session with an expiry for the right password', async () => {
      const user = await api.signup('login');
      const res = await api.post('/auth/login', { email: user.email, password: user.password });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        user: { id: user.userId },
        tenant: { id: user.tenantId },
        role: 'owner',
      });
      expect(new Date(res.body.expires_at).getTime()).toBeGreaterThan(Date.now() + 3600_000);
      expect((await api.get('/me', res.body.token)).status).toBe(200);
    });

    it('gives the same 401 for a wrong password and an unknown email', async () => {
      const user = await api.signup('login');
      const wrong = await api.post('/auth/login', { email: user.email, password: 'not the password' });
      const unknown = await api.post('/auth/login', {
        email: `nobody-${Date.now()}@example.com`,
        password: 'not the password',
      });
      expect(wrong.status).toBe(401);
      expect(unknown.status).toBe(401);
      expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');
      expect(unknown.body.error.code).toBe('INVALID_CREDENTIALS');
      expect(wrong.body.error.message).toBe(unknown.body.error.message);
    });

    it('is rate-limited per address and email with 429 RATE_LIMITED', async () => {
      // Without api.signup's sign-in, which would count against the limit.
      const user = await api.createAccount('limited');
      const answers: number[] = [];
      for (let i = 0; i < 7; i++) {
        answers.push(
          (await api.post('/auth/login', { email: user.email, password: 'wrong password here' })).status,
        );
      }
      expect(answers.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      const limited = await api.post('/auth/login', { email: user.email, password: user.password });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('RATE_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('records sign-ins, failed and successful, in the audit log', async () => {
      const user = await api.signup('audited');
      await api.post('/auth/login', { email: user.email, password: 'wrong password here' });
      await api.post('/auth/login', { email: user.email, password: user.password });
      const rows = await cp.db.database.system((tx) =>
        tx.query.auditEvents.findMany({ where: (a, { eq }) => eq(a.actorUserId, user.userId) }),
      );
      const logins = rows
        .filter((r) => r.action === 'auth.login')
        .map((r) => r.outcome)
        .sort();
      // The sign-in api.signup makes, then the two above.
      expect(logins).toEqual(['failure', 'success', 'success']);
    });
  });

  describe('authentication', () => {
    it('needs a token on protected routes', async () => {
      const res = await api.get('/me');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
      const bad = await api.get('/me', 'not-a-token');
      expect(bad.status).toBe(401);
      expect(bad.body.error.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a token signed with another secret', async () => {
      const forged =
        'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiLCJ0aWQiOiIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAiLCJleHAiOjQxMDI0NDQ4MDAsImlzcyI6Im1pbmVmbGVldCJ9.c2lnbmF0dXJl';
      const res = await api.get('/me', forged);
      expect(res.status).toBe(401);
    });
  });

  describe('API keys', () => {
    it('creates a key shown once, authenticates with it, lists it without the secret, and revokes it', async () => {
      const user = await api.signup('keys');
      const created = await api.post('/api-keys', { name: 'ci' }, user.token);
      expect(created.status).toBe(201);
      expect(created.body.key).toMatch(/^mf_[A-Za-z0-9_-]{43}$/);
      expect(created.body.key.startsWith(created.body.prefix)).toBe(true);

      const me = await api.get('/me', created.body.key);
      expect(me.status).toBe(200);
      expect(me.body.auth).toEqual({ method: 'api_key', api_key_id: created.body.id });

      const list = await api.get('/api-keys', user.token);
      expect(list.status).toBe(200);
      expect(list.body.api_keys).toHaveLength(1);
      expect(JSON.stringify(list.body)).not.toContain(created.body.key);
      expect(list.body.pagination).toEqual({ page: 1, per_page: 20, total: 1 });

      // Stored hashed: the database never holds the key itself.
      const stored = await cp.db.database.system((tx) =>
        tx.query.apiKeys.findFirst({ where: (k, { eq }) => eq(k.id, created.body.id) }),
      );
      expect(stored!.keyHash).not.toContain(created.body.key.slice(3));
      expect(stored!.keyHash).toMatch(/^[0-9a-f]{64}$/);

      const revoked = await api.delete(`/api-keys/${created.body.id}`, user.token);
      expect(revoked.status).toBe(204);
      const after = await api.get('/me', created.body.key);
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('UNAUTHENTICATED');
      expect((await api.delete(`/api-keys/${created.body.id}`, user.token)).body.error.code).toBe(
        'API_KEY_NOT_FOUND',
      );

      const audit = await cp.db.database.system((tx) =>
        tx.query.auditEvents.findMany({ where: (a, { eq }) => eq(a.actorUserId, user.userId) }),
      );
      expect(audit.map((a) => a.action)).toEqual(
        expect.arrayContaining(['api_key.create', 'api_key.revoke']),
      );
    });

    it('refuses an expired key with TOKEN_EXPIRED, and an expiry in the past at creation', async () => {
      const user = await api.signup('expiring');
      const past = await api.post(
        '/api-keys',
        { name: 'old', expires_at: '2001-01-01T00:00:00Z' },
        user.token,
      );
      expect(past.status).toBe(400);
      const soon = await api.post(
        '/api-keys',
        { name: 'soon', expires_at: new Date(Date.now() + 1500).toISOString() },
        user.token,
      );
      expect(soon.status).toBe(201);
      expect((await api.get('/me', soon.body.key)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 1600));
      const expired = await api.get('/me', soon.body.key);
      expect(expired.status).toBe(401);
      expect(expired.body.error.code).toBe('TOKEN_EXPIRED');
    });

    it('malformed id → 400 INVALID_ID; another tenant’s key → 404', async () => {
      const a = await api.signup('keys-a');
      const b = await api.signup('keys-b');
      const key = await api.post('/api-keys', { name: 'a' }, a.token);
      expect((await api.delete('/api-keys/nope', a.token)).body.error.code).toBe('INVALID_ID');
      const cross = await api.delete(`/api-keys/${key.body.id}`, b.token);
      expect(cross.status).toBe(404);
      expect(cross.body.error.code).toBe('API_KEY_NOT_FOUND');
    });
  });

  describe('members and roles', () => {
    it('owners add, change and remove members; roles gate what members can do', async () => {
      const owner = await api.signup('owner');
      const viewer = await api.signup('viewer');
      const operator = await api.signup('operator');

      const added = await api.post('/members', { email: viewer.email, role: 'viewer' }, owner.token);
      expect(added.status).toBe(201);
      expect(added.body).toMatchObject({ user_id: viewer.userId, role: 'viewer' });
      expect(
        (await api.post('/members', { email: viewer.email, role: 'viewer' }, owner.token)).body.error.code,
      ).toBe('MEMBER_EXISTS');
      expect(
        (await api.post('/members', { email: 'ghost@example.com', role: 'viewer' }, owner.token)).body.error
          .code,
      ).toBe('USER_NOT_FOUND');
      await api.post('/members', { email: operator.email, role: 'operator' }, owner.token);

      // The viewer signs in to the owner's tenant.
      const viewerSession = await api.post('/auth/login', {
        email: viewer.email,
        password: viewer.password,
        tenant_id: owner.tenantId,
      });
      expect(viewerSession.status).toBe(200);
      expect(viewerSession.body.role).toBe('viewer');
      const vt = viewerSession.body.token;

      const list = await api.get('/members', vt);
      expect(list.status).toBe(200);
      expect(list.body.members.map((m: { role: string }) => m.role).sort()).toEqual([
        'operator',
        'owner',
        'viewer',
      ]);

      // A viewer reads but cannot create servers or manage members.
      expect((await api.get('/servers', vt)).status).toBe(200);
      const create = await api.post(
        '/servers',
        { name: 'nope', sku_id: 'starter', minecraft_version: '1.20.2' },
        vt,
      );
      expect(create.status).toBe(403);
      expect(create.body.error.code).toBe('FORBIDDEN');
      expect((await api.post('/members', { email: operator.email, role: 'admin' }, vt)).status).toBe(403);

      // Promote the viewer to admin: now it can create servers.
      const promoted = await api.request('PATCH', `/api/v1/members/${viewer.userId}`, {
        token: owner.token,
        body: { role: 'admin' },
      });
      expect(promoted.status).toBe(200);
      expect(promoted.body.role).toBe('admin');
      const created = await api.post(
        '/servers',
        { name: 'by-admin', sku_id: 'starter', minecraft_version: '1.20.2' },
        vt,
      );
      expect(created.status).toBe(202);

      // Switch tenants: the viewer's own tenant and the owner's.
      const me = await api.get('/me', vt);
      expect(me.body.tenants).toHaveLength(2);
      const switched = await api.post('/auth/switch-tenant', { tenant_id: viewer.tenantId }, vt);
      expect(switched.status).toBe(200);
      expect(switched.body.role).toBe('owner');
      expect(
        (await api.post('/auth/switch-tenant', { tenant_id: '00000000-0000-4000-8000-000000000000' }, vt))
          .status,
      ).toBe(404);

      // Removing a member cuts their access at once, whatever their token says.
      expect((await api.delete(`/members/${viewer.userId}`, owner.token)).status).toBe(204);
      const cut = await api.get('/servers', vt);
      expect(cut.status).toBe(401);
    });

    it('keeps at least one owner', async () => {
      const owner = await api.signup('lonely');
      const demote = await api.request('PATCH', `/api/v1/members/${owner.userId}`, {
        token: owner.token,
        body: { role: 'admin' },
      });
      expect(demote.status).toBe(409);
      expect(demote.body.error.code).toBe('LAST_OWNER');
      const leave = await api.delete(`/members/${owner.userId}`, owner.token);
      expect(leave.body.error.code).toBe('LAST_OWNER');
    });
  });
});
