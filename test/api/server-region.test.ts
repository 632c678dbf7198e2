import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@minefleet/server/config';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';

/** A server's region (docs/multi-region.md): the installation's by default, or named at creation. */
describe('server region', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), { env: { MINEFLEET_REGION: 'eu-west-1' } });
    api = cp.api;
    user = await api.signup('regions');
  });
  afterAll(async () => {
    await cp?.close();
  });

  const create = (body: Record<string, unknown>) =>
    api.post('/servers', { sku_id: 'starter', minecraft_version: '1.20.2', ...body }, user.token);

  it('takes MINEFLEET_REGION when none is named, keeps a named one, and answers it on every read', async () => {
    const plain = await create({ name: 'here' });
    expect(plain.status).toBe(202);
    expect(plain.body.region).toBe('eu-west-1');
    // The installation's runtime, shown on every server (the only other sign of it is the address).
    expect(plain.body.runtime).toBe('local');
    const named = await create({ name: 'there', region: 'us-east-2' });
    expect(named.status).toBe(202);
    expect(named.body.region).toBe('us-east-2');
    expect((await api.get(`/servers/${named.body.id}`, user.token)).body.region).toBe('us-east-2');
    const list = await api.get('/servers', user.token);
    expect(
      Object.fromEntries(list.body.servers.map((s: { name: string; region: string }) => [s.name, s.region])),
    ).toEqual({ here: 'eu-west-1', there: 'us-east-2' });
  });

  it('refuses a region that is not 1–32 characters of a-z, 0-9 and "-"', async () => {
    for (const region of ['EU-West', 'eu_west', 'eu west', '', 'a'.repeat(33), 'région']) {
      const res = await create({ name: `bad-${Math.random().toString(36).slice(2, 8)}`, region });
      expect(res.status, region).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.body.error)).toContain('region');
    }
    expect((await create({ name: 'longest', region: 'a'.repeat(32) })).body.region).toBe('a'.repeat(32));
  });

  it('refuses to start with an invalid MINEFLEET_REGION, and defaults to local', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-region-'));
    try {
      await expect(
        loadConfig({ MINEFLEET_DATA_DIR: dataDir, MINEFLEET_REGION: 'Not_A_Region' }),
      ).rejects.toThrow(ConfigError);
      expect((await loadConfig({ MINEFLEET_DATA_DIR: dataDir })).region).toBe('local');
      expect((await loadConfig({ MINEFLEET_DATA_DIR: dataDir, MINEFLEET_REGION: 'ap-south' })).region).toBe(
        'ap-south',
      );
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
