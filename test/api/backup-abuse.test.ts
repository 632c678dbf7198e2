import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

const DAY = 86_400_000;

/**
 * The ways an operator could get rid of backups without the admin role (expiries made due at once) and
 * past the backup quota (restores' safety copies), over stopped flying-squid servers.
 */
describe('backup expiry and safety copies cannot be used to delete or hoard backups', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let operator: string;
  let serverId: string;

  const waitForBackup = async (id: string) => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await api.get(`/backups/${id}`, owner.token);
      if (res.status === 200 && !['pending', 'running', 'restoring'].includes(res.body.status))
        return res.body;
      if (Date.now() > deadline) throw new Error(`backup ${id} still ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const backup = async (body: Record<string, unknown> = {}) => {
    const res = await api.post(`/servers/${serverId}/backups`, body, owner.token);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return waitForBackup(res.body.id);
  };

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      env: { MINEFLEET_RETENTION_INTERVAL_SECONDS: '0.3' },
    });
    api = cp.api;
    owner = await api.signup('abuse-owner');
    const user = await api.signup('abuse-operator');
    await api.post('/members', { email: user.email, role: 'operator' }, owner.token);
    operator = (
      await api.post('/auth/login', { email: user.email, password: user.password, tenant_id: owner.tenantId })
    ).body.token;
    const created = await api.post(
      '/servers',
      { name: 'abused', sku_id: 'starter', minecraft_version: '1.20.2' },
      owner.token,
    );
    serverId = created.body.id;
    await api.waitForStatus(serverId, owner.token, 'stopped');
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('an expiry set on an old backup counts from now, so retention does not delete it at once', async () => {
    const old = await backup({ name: 'forty-days-old' });
    await cp.db.database.system((tx) =>
      tx.execute(sql`update backups set created_at = now() - interval '40 days' where id = ${old.id}`),
    );
    const before = Date.now();
    const patched = await api.patch(`/backups/${old.id}`, { retain_days: 1 }, operator);
    expect(patched.status).toBe(200);
    expect(Date.parse(patched.body.expires_at)).toBeGreaterThanOrEqual(before + DAY - 1000);
    // Several retention rounds (every 0.3 s here) leave it alone.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api.get(`/backups/${old.id}`, owner.token)).status).toBe(200);
  });

  it("a restore's safety copy expires by default, counts, and is refused up front over the quota", async () => {
    const source = await backup({ name: 'to-restore' });
    const restored = await api.post(`/servers/${serverId}/backups/${source.id}/restore`, {}, operator);
    expect(restored.status).toBe(202);
    await api.waitForStatus(serverId, owner.token, 'stopped');
    await waitForBackup(source.id);
    const pre = (await api.get(`/servers/${serverId}/backups?per_page=100`, owner.token)).body.backups.find(
      (b: { type: string }) => b.type === 'pre_restore',
    );
    expect(pre).toMatchObject({ status: 'completed' });
    const expires = Date.parse(pre.expires_at);
    expect(expires).toBeGreaterThan(Date.now() + 6 * DAY);
    expect(expires).toBeLessThan(Date.now() + 8 * DAY);

    // The tenant is now at its backup storage limit: a restore that would add a copy is refused with the
    // reason, the server stays as it was, and no backup is added.
    await cp.db.database.system((tx) =>
      tx.execute(sql`update tenants set backup_storage_bytes = 1 where id = ${owner.tenantId}`),
    );
    const count = async () =>
      (await api.get(`/servers/${serverId}/backups?per_page=100`, owner.token)).body.backups.length as number;
    const before = await count();
    const refused = await api.post(`/servers/${serverId}/backups/${source.id}/restore`, {}, operator);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({
      code: 'QUOTA_EXCEEDED',
      details: { quota: 'backup_storage_bytes' },
    });
    expect(refused.body.error.message).toMatch(/safety copy/);
    expect((await api.get(`/servers/${serverId}`, owner.token)).body.status).toBe('stopped');
    expect(await count()).toBe(before);
    // Without the copy the restore is the user's informed choice and goes ahead.
    const bare = await api.post(
      `/servers/${serverId}/backups/${source.id}/restore`,
      { pre_restore_backup: false },
      operator,
    );
    expect(bare.status).toBe(202);
    await api.waitForStatus(serverId, owner.token, 'stopped');
  });
});
