import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

/** Named permissions on API keys: a key holds a subset of its creator's, and gets 403 elsewhere. */
describe.each(testBackends())('permissions on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;

  beforeAll(async () => {
    cp = await startControlPlane(backend);
    api = cp.api;
    owner = await api.signup('perm-owner');
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('a key limited to server.read reads servers and gets 403 everywhere else', async () => {
    const created = await api.post(
      '/api-keys',
      { name: 'read-only', permissions: ['server.read'] },
      owner.token,
    );
    expect(created.status).toBe(201);
    expect(created.body.permissions).toEqual(['server.read']);
    const key = created.body.key as string;
    expect((await api.get('/servers', key)).status).toBe(200);
    const me = await api.get('/me', key);
    expect(me.status).toBe(200);
    expect(me.body.permissions).toEqual(['server.read']);
    const refused = [
      await api.get('/members', key),
      await api.get('/audit', key),
      await api.get('/api-keys', key),
      await api.post('/api-keys', { name: 'more' }, key),
      await api.post('/servers', { name: 'nope', sku: 'small' }, key),
      await api.get('/backups', key),
    ];
    for (const res of refused) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    expect(refused[0]!.body.error.details).toMatchObject({ required: 'member.read' });
  });

  it('no key carries a permission its creator lacks, nor one its creating key lacks', async () => {
    const viewer = await api.signup('perm-viewer');
    expect((await api.post('/members', { email: viewer.email, role: 'viewer' }, owner.token)).status).toBe(
      201,
    );
    const login = await api.post('/auth/login', {
      email: viewer.email,
      password: viewer.password,
      tenant_id: owner.tenantId,
    });
    const asViewer = login.body.token as string;
    const denied = await api.post(
      '/api-keys',
      { name: 'escalate', permissions: ['server.create'] },
      asViewer,
    );
    expect(denied.status).toBe(403);
    expect(denied.body.error.details).toMatchObject({ required: 'server.create' });
    const unknown = await api.post(
      '/api-keys',
      { name: 'typo', permissions: ['server.everything'] },
      asViewer,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('VALIDATION_FAILED');
    // A key that may create keys cannot hand out more than it holds itself.
    const narrow = await api.post(
      '/api-keys',
      { name: 'narrow', permissions: ['apikey.create', 'server.read'] },
      owner.token,
    );
    const wider = await api.post(
      '/api-keys',
      { name: 'wider', permissions: ['member.read'] },
      narrow.body.key,
    );
    expect(wider.status).toBe(403);
    const same = await api.post('/api-keys', { name: 'same', permissions: ['server.read'] }, narrow.body.key);
    expect(same.status).toBe(201);
  });

  it('a key loses what its user loses: demoted, the key no longer creates servers', async () => {
    const admin = await api.signup('perm-admin');
    expect((await api.post('/members', { email: admin.email, role: 'admin' }, owner.token)).status).toBe(201);
    const login = await api.post('/auth/login', {
      email: admin.email,
      password: admin.password,
      tenant_id: owner.tenantId,
    });
    const key = await api.post(
      '/api-keys',
      { name: 'deploy', permissions: ['server.create', 'server.read'] },
      login.body.token,
    );
    expect(key.status).toBe(201);
    expect((await api.get('/me', key.body.key)).body.permissions).toEqual(['server.create', 'server.read']);
    const demoted = await api.request('PATCH', `/api/v1/members/${admin.userId}`, {
      token: owner.token,
      body: { role: 'viewer' },
    });
    expect(demoted.status).toBe(200);
    expect((await api.get('/me', key.body.key)).body.permissions).toEqual(['server.read']);
    const create = await api.post('/servers', { name: 'after-demotion', sku: 'small' }, key.body.key);
    expect(create.status).toBe(403);
    expect(create.body.error.details).toMatchObject({ required: 'server.create' });
  });
});
