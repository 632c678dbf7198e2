import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

const VERSION = '1.20.2';

describe.each(testBackends())('servers API on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let a: SignedUp;
  let b: SignedUp;

  beforeAll(async () => {
    cp = await startControlPlane(backend, { env: { MINEFLEET_QUOTA_MAX_SERVERS: '6' }, ports: 40 });
    api = cp.api;
    a = await api.signup('tenant-a');
    b = await api.signup('tenant-b');
    // Tenant A makes many servers across these tests; the platform default (6 here) is for the quota test.
    await cp.db.database.system((tx) =>
      tx.execute(sql`update tenants set max_servers = 50 where id = ${a.tenantId}`),
    );
  });
  afterAll(async () => {
    await cp?.close();
  });

  const create = (token: string, body: Record<string, unknown>) =>
    api.post('/servers', { sku_id: 'starter', minecraft_version: VERSION, ...body }, token);

  it('lists the seeded plans and the distributions this host runs', async () => {
    const skus = await api.get('/skus', a.token);
    expect(skus.status).toBe(200);
    expect(skus.body.skus.map((s: { id: string }) => s.id)).toEqual(['starter', 'standard', 'performance']);
    for (const sku of skus.body.skus) {
      expect(sku).toMatchObject({
        cpu_millicores: expect.any(Number),
        memory_mb: expect.any(Number),
        monthly_price_cents: expect.any(Number),
        available: true,
      });
    }
    const dists = await api.get('/distributions', a.token);
    const squid = dists.body.distributions.find(
      (d: { distribution: string }) => d.distribution === 'flying-squid',
    );
    expect(squid.available).toBe(true);
    expect(squid.versions).toContain('1.20.2');
    expect(squid.versions).toContain('1.21.4');
  });

  it('creates a server: 202 deploying, no game port until it starts, then stopped as the runtime reports', async () => {
    const res = await create(a.token, {
      name: 'survival-1',
      server_properties: { motd: 'Hello', difficulty: 'hard' },
      max_players: 5,
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      name: 'survival-1',
      sku_id: 'starter',
      distribution: 'flying-squid',
      minecraft_version: VERSION,
      region: 'local',
      status: 'deploying',
      desired_state: 'stopped',
      max_players: 5,
      config_revision: 1,
      resources: { cpu_millicores: 1000, memory_mb: 1024 },
    });
    expect(res.body.server_properties).toMatchObject({
      motd: 'Hello',
      difficulty: 'hard',
      'view-distance': 8,
    });
    // A port is taken at start (docs/runtime.md, "Game ports and admission"): a stopped server has none.
    expect(res.body.address).toBeNull();
    const stopped = await api.waitForStatus(res.body.id, a.token, 'stopped');
    expect(stopped.players_online).toBeNull();
    expect(stopped.address).toBeNull();
  });

  it.each([
    [{ name: 'ab' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'Has-Caps' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'ends-with-' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'x'.repeat(41) }, 400, 'VALIDATION_FAILED'],
    [{ name: 'good-name', sku_id: 'gold' }, 400, 'INVALID_SKU'],
    [{ name: 'good-name', minecraft_version: '0.9' }, 400, 'UNSUPPORTED_VERSION'],
    [{ name: 'good-name', distribution: 'bukkit' }, 400, 'VALIDATION_FAILED'],
    [{ name: 'good-name', server_properties: { 'server-port': 1 } }, 400, 'INVALID_PROPERTY'],
    [{ name: 'good-name', server_properties: { difficulty: 'insane' } }, 400, 'INVALID_PROPERTY'],
    [{ name: 'good-name', server_properties: { 'view-distance': 'far' } }, 400, 'INVALID_PROPERTY'],
    [{ name: 'good-name', server_properties: { motd: 'line\nserver-port=1' } }, 400, 'INVALID_PROPERTY'],
    [{ name: 'good-name', max_players: 11 }, 400, 'VALIDATION_FAILED'],
  ])('refuses %j with %i %s', async (body, status, code) => {
    const res = await create(a.token, body);
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
  });

  it('keeps names unique per tenant, not across tenants', async () => {
    expect((await create(a.token, { name: 'shared-name' })).status).toBe(202);
    const dup = await create(a.token, { name: 'shared-name' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('SERVER_NAME_TAKEN');
    expect((await create(b.token, { name: 'shared-name' })).status).toBe(202);
  });

  it('lists with pagination, status filter and name search; tenant B never sees tenant A', async () => {
    for (const name of ['page-a', 'page-b', 'page-c'])
      expect((await create(a.token, { name })).status).toBe(202);
    const first = await api.get('/servers?per_page=2&page=1', a.token);
    expect(first.status).toBe(200);
    expect(first.body.servers).toHaveLength(2);
    const total = first.body.pagination.total;
    expect(first.body.pagination).toEqual({ page: 1, per_page: 2, total });
    expect(total).toBeGreaterThanOrEqual(5);
    const beyond = await api.get(`/servers?per_page=2&page=${total + 5}`, a.token);
    expect(beyond.body.servers).toEqual([]);
    expect(beyond.body.pagination.total).toBe(total);

    const search = await api.get('/servers?q=page-', a.token);
    expect(search.body.servers.map((s: { name: string }) => s.name).sort()).toEqual([
      'page-a',
      'page-b',
      'page-c',
    ]);
    const pct = await api.get('/servers?q=%25', a.token);
    expect(pct.body.servers).toEqual([]);

    await api.waitForStatus(first.body.servers[0].id, a.token, 'stopped');
    const stopped = await api.get('/servers?status=stopped', a.token);
    expect(stopped.body.servers.every((s: { status: string }) => s.status === 'stopped')).toBe(true);
    const bad = await api.get('/servers?status=sleepy', a.token);
    expect(bad.status).toBe(400);
    expect((await api.get('/servers?per_page=101', a.token)).status).toBe(400);
    expect((await api.get('/servers?page=0', a.token)).status).toBe(400);

    const listB = await api.get('/servers?per_page=100', b.token);
    const idsA = new Set(
      (await api.get('/servers?per_page=100', a.token)).body.servers.map((s: { id: string }) => s.id),
    );
    expect(listB.body.servers.some((s: { id: string }) => idsA.has(s.id))).toBe(false);
  });

  it('answers 404 SERVER_NOT_FOUND for another tenant’s server on every route, 400 INVALID_ID for a malformed id', async () => {
    const mine = await create(a.token, { name: 'private-one' });
    const id = mine.body.id;
    await api.waitForStatus(id, a.token, 'stopped');
    const attempts = [
      api.get(`/servers/${id}`, b.token),
      api.patch(`/servers/${id}`, { name: 'stolen' }, b.token),
      api.delete(`/servers/${id}`, b.token),
      api.post(`/servers/${id}/start`, {}, b.token),
      api.post(`/servers/${id}/stop`, {}, b.token),
      api.post(`/servers/${id}/commands`, { command: 'say hi' }, b.token),
      api.get(`/servers/${id}/logs`, b.token),
      api.get(`/servers/${id}/config/revisions`, b.token),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('SERVER_NOT_FOUND');
    }
    for (const include of ['backups', 'plugins', 'logs', 'performance']) {
      const res = await api.get(`/servers/${id}?include=${include}`, b.token);
      expect(res.status, include).toBe(404);
    }
    const detailed = await api.get(`/servers/${id}?include=backups,plugins,performance`, a.token);
    expect(detailed.status).toBe(200);
    expect(detailed.body).toMatchObject({ name: 'private-one', backups: [], plugins: [], performance: null });
    expect((await api.get(`/servers/${id}?include=secrets`, a.token)).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
    const missing = await api.get('/servers/00000000-0000-4000-8000-000000000000', a.token);
    expect(missing.body.error.code).toBe('SERVER_NOT_FOUND');
    const malformed = await api.get('/servers/123', a.token);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('INVALID_ID');
    expect((await api.get(`/servers/${id}`, a.token)).body.name).toBe('private-one');
  });

  it('changes settings as numbered revisions with a diff, and rolls back', async () => {
    const created = await create(a.token, { name: 'configurable', server_properties: { motd: 'First' } });
    const id = created.body.id;
    await api.waitForStatus(id, a.token, 'stopped');
    const change = await api.patch(
      `/servers/${id}`,
      { server_properties: { motd: 'Second', pvp: false }, max_players: 8 },
      a.token,
    );
    expect(change.status).toBe(200);
    expect(change.body.revision).toBe(2);
    expect(change.body.applied).toBe('on_restart');
    expect(change.body.changes).toEqual(
      expect.arrayContaining([
        { field: 'server_properties.motd', from: 'First', to: 'Second' },
        { field: 'server_properties.pvp', from: null, to: false },
        { field: 'max_players', from: 10, to: 8 },
      ]),
    );
    const put = await api.request('PUT', `/api/v1/servers/${id}`, {
      token: a.token,
      body: { name: 'renamed' },
    });
    expect(put.status).toBe(200);
    expect(put.body.revision).toBe(3);
    expect(put.body.server.name).toBe('renamed');
    expect(put.body.server.server_properties.motd).toBe('Second');

    const invalid = await api.patch(
      `/servers/${id}`,
      { server_properties: { 'rcon.password': 'x' } },
      a.token,
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('INVALID_PROPERTY');

    const revisions = await api.get(`/servers/${id}/config/revisions`, a.token);
    expect(revisions.body.revisions.map((r: { revision: number }) => r.revision)).toEqual([3, 2, 1]);
    expect(revisions.body.revisions[2].snapshot.server_properties.motd).toBe('First');
    expect(revisions.body.revisions[0].actor_user_id).toBe(a.userId);

    const rollback = await api.post(`/servers/${id}/config/revisions/1/rollback`, {}, a.token);
    expect(rollback.status).toBe(200);
    expect(rollback.body.revision).toBe(4);
    expect(rollback.body.server).toMatchObject({ name: 'configurable', max_players: 10 });
    expect(rollback.body.server.server_properties.motd).toBe('First');
    expect(rollback.body.server.server_properties.pvp).toBeUndefined();
    const missing = await api.post(`/servers/${id}/config/revisions/99/rollback`, {}, a.token);
    expect(missing.body.error.code).toBe('REVISION_NOT_FOUND');
  });

  it('enforces the tenant’s server quota with 403 QUOTA_EXCEEDED', async () => {
    const tenant = await api.signup('quota');
    const results: number[] = [];
    for (let i = 0; i < 7; i++) results.push((await create(tenant.token, { name: `quota-${i}` })).status);
    expect(results).toEqual([202, 202, 202, 202, 202, 202, 403]);
    const over = await create(tenant.token, { name: 'quota-over' });
    expect(over.body.error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { quota: 'servers', limit: 6 },
    });
  });

  it('answers each create of a burst on its own: names taken, the quota, an unknown plan; the rest created', async () => {
    const tenant = await api.signup('burst');
    expect((await create(tenant.token, { name: 'burst-existing' })).status).toBe(202);
    // Sent together: each must get the answer it would get alone (the quota counts the others).
    const names = [
      'burst-0',
      'burst-existing',
      'burst-1',
      'burst-0',
      'burst-2',
      'burst-3',
      'burst-4',
      'burst-5',
    ];
    const answers = await Promise.all([
      ...names.map((name) => create(tenant.token, { name })),
      create(tenant.token, { name: 'burst-plan', sku_id: 'no-such-plan' }),
    ]);
    const codes = answers.map((a) => (a.status === 202 ? a.body.name : a.body.error.code));
    // A duplicate is refused as taken, or as over the quota when the quota filled first (the order in
    // which the requests were handled decides); never created.
    expect(['SERVER_NAME_TAKEN', 'QUOTA_EXCEEDED']).toContain(codes[1]);
    expect(codes[8]).toBe('INVALID_SKU');
    for (const code of codes)
      expect(String(code)).toMatch(/^(burst-\d|SERVER_NAME_TAKEN|QUOTA_EXCEEDED|INVALID_SKU)$/);
    // The quota (6) holds: the existing server and five of the burst, no name twice.
    const created = answers.filter((a) => a.status === 202);
    expect(created).toHaveLength(5);
    expect(new Set(created.map((a) => a.body.name)).size).toBe(5);
    const list = await api.get('/servers?per_page=50', tenant.token);
    expect(list.body.pagination.total).toBe(6);
    // Each has its first configuration revision.
    for (const answer of created) {
      expect(answer.body.config_revision).toBe(1);
      const revisions = await api.get(`/servers/${answer.body.id}/config/revisions`, tenant.token);
      expect(revisions.status).toBe(200);
      expect(revisions.body.revisions.map((r: { revision: number }) => r.revision)).toEqual([1]);
    }
  });

  it('enforces the memory quota', async () => {
    const tenant = await api.signup('memory');
    await cp.db.database.system((tx) =>
      tx.execute(sql`update tenants set max_memory_mb = 3000 where id = ${tenant.tenantId}`),
    );
    expect((await create(tenant.token, { name: 'mem-1', sku_id: 'standard' })).status).toBe(202);
    const over = await create(tenant.token, { name: 'mem-2', sku_id: 'standard' });
    expect(over.status).toBe(403);
    expect(over.body.error.details.quota).toBe('memory_mb');
  });

  it('deletes a stopped server: 202, then gone, its port free again, and the list total follows', async () => {
    const totalOf = async () =>
      (await api.get('/servers?per_page=1', a.token)).body.pagination.total as number;
    const before = await totalOf(); // the embedded database remembers this total (server-counts.ts)
    const created = await create(a.token, { name: 'doomed' });
    const id = created.body.id;
    expect(await totalOf()).toBe(before + 1);
    await api.waitForStatus(id, a.token, 'stopped');
    const del = await api.delete(`/servers/${id}`, a.token);
    expect(del.status).toBe(202);
    expect(del.body.status).toBe('deleting');
    const deadline = Date.now() + 10_000;
    while ((await api.get(`/servers/${id}`, a.token)).status !== 404) {
      if (Date.now() > deadline) throw new Error('server was not deleted');
      await new Promise((r) => setTimeout(r, 100));
    }
    const ports = await cp.db.database.system((tx) => tx.query.portAllocations.findMany());
    expect(ports.some((p) => p.serverId === id)).toBe(false);
    expect(await totalOf()).toBe(before);
  });
});
