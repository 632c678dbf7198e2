import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { BOT_TEST_VERSION, pingOnce } from '@minefleet/testkit/minecraft';

/**
 * Game ports are taken at start and freed at stop (docs/runtime.md, "Game ports and admission"), and a
 * start is admitted only while the host's memory share and the tenant's running-server cap allow it.
 * Real control planes, real flying-squid servers.
 */
describe('game ports from start to stop', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  const ids: string[] = [];

  beforeAll(async () => {
    // A pool of two ports, shared by everyone on this host.
    cp = await startControlPlane(primaryBackend(), { ports: 2 });
    api = cp.api;
    user = await api.signup('ports');
  });
  afterAll(async () => {
    await cp?.close();
  });

  const start = (id: string) => api.post(`/servers/${id}/start`, {}, user.token);
  const stop = async (id: string) => {
    expect((await api.post(`/servers/${id}/stop`, {}, user.token)).status).toBe(202);
    return api.waitForStatus(id, user.token, 'stopped', 30_000);
  };

  it('more stopped servers than the pool holds can be created: a stopped server holds no port', async () => {
    for (const name of ['pool-one', 'pool-two', 'pool-three', 'pool-four']) {
      const res = await api.post(
        '/servers',
        { name, sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
        user.token,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      expect(res.body.address).toBeNull();
      ids.push(res.body.id);
    }
    for (const id of ids) expect((await api.waitForStatus(id, user.token, 'stopped')).address).toBeNull();
  });

  it('starts as many as the pool holds; one more is refused with NO_PORT_AVAILABLE and left as it was', async () => {
    const ports: number[] = [];
    for (const id of ids.slice(0, 2)) {
      const res = await start(id);
      expect(res.status).toBe(202);
      ports.push(res.body.address.port);
      const running = await api.waitForStatus(id, user.token, 'running', 30_000);
      await pingOnce(running.address, BOT_TEST_VERSION);
    }
    expect(ports.sort()).toEqual([cp.portRange.from, cp.portRange.to]);
    const refused = await start(ids[2]!);
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('NO_PORT_AVAILABLE');
    const third = (await api.get(`/servers/${ids[2]}`, user.token)).body;
    expect(third).toMatchObject({ status: 'stopped', desired_state: 'stopped', address: null });
    expect(third.status_reason).toMatch(/^Not started: Every game port/);
  });

  it('a stop frees the port; a start takes its last port again when it is free', async () => {
    const first = (await api.get(`/servers/${ids[0]}`, user.token)).body.address.port as number;
    const second = (await api.get(`/servers/${ids[1]}`, user.token)).body.address.port as number;
    expect((await stop(ids[0]!)).address).toBeNull();
    // The freed port goes to the server that was refused.
    const third = await start(ids[2]!);
    expect(third.status).toBe(202);
    expect(third.body.address.port).toBe(first);
    await api.waitForStatus(ids[2]!, user.token, 'running', 30_000);
    // Both stop: the lowest free port is `first`, but the second server gets its own back.
    await stop(ids[2]!);
    await stop(ids[1]!);
    const again = await start(ids[1]!);
    expect(again.status).toBe(202);
    expect(again.body.address.port).toBe(second);
    const running = await api.waitForStatus(ids[1]!, user.token, 'running', 30_000);
    await pingOnce(running.address, BOT_TEST_VERSION);
    expect((await start(ids[0]!)).body.address.port).toBe(first);
    await api.waitForStatus(ids[0]!, user.token, 'running', 30_000);
    await stop(ids[1]!);
    // The third server last held `first`, which the first server holds now: it gets the free one.
    const moved = await start(ids[2]!);
    expect(moved.body.address.port).toBe(second);
    await api.waitForStatus(ids[2]!, user.token, 'running', 30_000);
    await stop(ids[0]!);
    await stop(ids[2]!);
  });
});

describe('host admission: memory share and running servers per tenant', () => {
  let cp: RunningControlPlane;
  let api: TestApi;

  beforeAll(async () => {
    // Room for two starter servers (1024 MB each) and not three, whatever this machine's memory.
    const percent = ((2 * 1024 + 512) / (os.totalmem() / 1024 ** 2)) * 100;
    cp = await startControlPlane(primaryBackend(), {
      ports: 6,
      env: { MINEFLEET_HOST_MEMORY_PERCENT: percent.toFixed(6), MINEFLEET_MAX_RUNNING_PER_TENANT: '1' },
    });
    api = cp.api;
  });
  afterAll(async () => {
    await cp?.close();
  });

  const create = async (user: SignedUp, name: string, start = false) =>
    api.post('/servers', { name, sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start }, user.token);

  it('refuses a start past the tenant cap (QUOTA_EXCEEDED) and past the host memory (HOST_CAPACITY)', async () => {
    const [a, b, c] = [await api.signup('adm-a'), await api.signup('adm-b'), await api.signup('adm-c')];
    const a1 = await create(a, 'a-one', true);
    expect(a1.status).toBe(202);
    expect(a1.body.address).not.toBeNull();
    const a2 = (await create(a, 'a-two')).body.id as string;
    await api.waitForStatus(a1.body.id, a.token, 'running', 30_000);
    await api.waitForStatus(a2, a.token, 'stopped');

    const capped = await api.post(`/servers/${a2}/start`, {}, a.token);
    expect(capped.status).toBe(403);
    expect(capped.body.error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { quota: 'running_servers', used: 1, limit: 1 },
    });

    const b1 = await create(b, 'b-one', true);
    expect(b1.status).toBe(202);
    await api.waitForStatus(b1.body.id, b.token, 'running', 30_000);

    // Two starters run: a third does not fit the host's share, neither started nor created to start.
    const c1 = (await create(c, 'c-one')).body.id as string;
    await api.waitForStatus(c1, c.token, 'stopped');
    const full = await api.post(`/servers/${c1}/start`, {}, c.token);
    expect(full.status).toBe(503);
    expect(full.body.error.code).toBe('HOST_CAPACITY');
    expect(full.body.error.details).toMatchObject({ used_mb: 2048, requested_mb: 1024 });
    expect((await api.get(`/servers/${c1}`, c.token)).body).toMatchObject({
      status: 'stopped',
      address: null,
    });
    const createdToStart = await create(c, 'c-two', true);
    expect(createdToStart.status).toBe(503);
    expect(createdToStart.body.error.code).toBe('HOST_CAPACITY');
    expect((await api.get('/servers', c.token)).body.servers).toHaveLength(1);

    // A stop makes room again.
    await api.post(`/servers/${b1.body.id}/stop`, {}, b.token);
    await api.waitForStatus(b1.body.id, b.token, 'stopped', 30_000);
    expect((await api.post(`/servers/${c1}/start`, {}, c.token)).status).toBe(202);
    await api.waitForStatus(c1, c.token, 'running', 30_000);
    for (const [id, token] of [
      [a1.body.id as string, a.token],
      [c1, c.token],
    ] as const) {
      await api.post(`/servers/${id}/stop`, {}, token);
      await api.waitForStatus(id, token, 'stopped', 30_000);
    }
  });
});
