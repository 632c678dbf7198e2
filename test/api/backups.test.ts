import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { access, chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { rowsOf } from '@minefleet/db/database';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

const VERSION = '1.20.2';
const execFileAsync = promisify(execFile);

/**
 * Contract of the backup routes (docs/backups.md, docs/api.md) on every database backend, over
 * stopped flying-squid servers (archived directly; hot backups are in test/e2e/backups.test.ts):
 * status codes, error codes, roles, pagination, sort, filters, quota, tenant isolation, retention,
 * restore, and what a server delete does to its backups.
 */
describe.each(testBackends())('backups API on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let other: SignedUp;
  let viewer: string;
  let operator: string;
  let admin: string;
  let serverId: string;
  let secondId: string;

  const waitForBackup = async (token: string, id: string, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await api.get(`/backups/${id}`, token);
      if (res.status === 200 && !['pending', 'running', 'restoring'].includes(res.body.status))
        return res.body;
      if (Date.now() > deadline) throw new Error(`backup ${id} still ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const createServer = async (token: string, name: string, version = VERSION) => {
    const res = await api.post('/servers', { name, sku_id: 'starter', minecraft_version: version }, token);
    expect(res.status).toBe(202);
    await api.waitForStatus(res.body.id, token, 'stopped');
    return res.body.id as string;
  };
  const backup = async (token: string, server: string, body: Record<string, unknown> = {}) => {
    const res = await api.post(`/servers/${server}/backups`, body, token);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    return waitForBackup(token, res.body.id);
  };
  const serverFolder = (id: string) => path.join(cp.dataDir, 'servers', id);
  const storePath = (key: string) => path.join(cp.dataDir, 'backups', key);
  const session = async (role: string) => {
    const user = await api.signup(role);
    await api.post('/members', { email: user.email, role }, owner.token);
    const login = await api.post('/auth/login', {
      email: user.email,
      password: user.password,
      tenant_id: owner.tenantId,
    });
    return login.body.token as string;
  };

  beforeAll(async () => {
    cp = await startControlPlane(backend, {
      env: { MINEFLEET_RETENTION_INTERVAL_SECONDS: '0.3' },
      ports: 20,
    });
    api = cp.api;
    owner = await api.signup('backup-owner');
    other = await api.signup('backup-other');
    [viewer, operator, admin] = [await session('viewer'), await session('operator'), await session('admin')];
    serverId = await createServer(owner.token, 'backed-up');
    secondId = await createServer(owner.token, 'second');
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('creates a backup: 202 pending, then completed with size, SHA-256 and the archive in the store', async () => {
    const res = await api.post(
      `/servers/${serverId}/backups`,
      { tags: ['first', 'keep'], description: 'Before the update', retain_days: 7 },
      operator,
    );
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      server_id: serverId,
      server_name: 'backed-up',
      server_deleted: false,
      status: 'pending',
      type: 'manual',
      compression: 'zstd',
      tags: ['first', 'keep'],
      description: 'Before the update',
      locked: false,
      distribution: 'flying-squid',
      minecraft_version: VERSION,
    });
    expect(res.body.name).toMatch(/^manual-\d{8}-\d{6}$/);
    const expires = Date.parse(res.body.expires_at) - Date.parse(res.body.created_at);
    expect(expires).toBe(7 * 86_400_000);
    const done = await waitForBackup(operator, res.body.id);
    expect(done.status).toBe('completed');
    expect(done.size_bytes).toBeGreaterThan(0);
    expect(done.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(done.completed_at).not.toBeNull();
    expect(done.error).toBeNull();
    const bytes = await readFile(storePath(await storageKey(done.id)));
    expect(bytes.length).toBe(done.size_bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(done.sha256);
  });

  it('refuses a taken name (409), bad input (400), a viewer (403) and another tenant (404)', async () => {
    await backup(owner.token, serverId, { name: 'nightly', compression: 'gzip' });
    const dup = await api.post(`/servers/${serverId}/backups`, { name: 'nightly' }, owner.token);
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('BACKUP_NAME_TAKEN');
    // Names are unique per server, not per tenant.
    expect((await api.post(`/servers/${secondId}/backups`, { name: 'nightly' }, owner.token)).status).toBe(
      202,
    );
    for (const body of [
      { compression: 'rar' },
      { tags: ['has space'] },
      { retain_days: 0 },
      { name: '' },
      { name: 'a/b' },
      { unknown: true },
    ]) {
      const res = await api.post(`/servers/${serverId}/backups`, body, owner.token);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    const forbidden = await api.post(`/servers/${serverId}/backups`, {}, viewer);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('FORBIDDEN');
    const foreign = await api.post(`/servers/${serverId}/backups`, {}, other.token);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('SERVER_NOT_FOUND');
  });

  it('lists with pagination, sort, status/tag/name filters and the quota; tenant B sees none of it', async () => {
    const all = await api.get(`/servers/${serverId}/backups?per_page=100`, viewer);
    expect(all.status).toBe(200);
    const total = all.body.pagination.total;
    expect(total).toBeGreaterThanOrEqual(2);
    expect(all.body.quota.limit_bytes).toBe(20 * 1024 ** 3);
    expect(all.body.quota.used_bytes).toBeGreaterThan(0);
    const created = all.body.backups.map((b: { created_at: string }) => b.created_at);
    expect(created).toEqual([...created].sort().reverse()); // default: newest first

    const page = await api.get(`/servers/${serverId}/backups?per_page=1&page=2&sort=created_at`, viewer);
    expect(page.body.backups).toHaveLength(1);
    expect(page.body.pagination).toEqual({ page: 2, per_page: 1, total });
    expect(page.body.backups[0].id).toBe(all.body.backups[total - 2].id);
    const beyond = await api.get(`/servers/${serverId}/backups?per_page=10&page=50`, viewer);
    expect(beyond.body.backups).toEqual([]);
    expect(beyond.body.pagination.total).toBe(total);

    const bySize = await api.get(`/servers/${serverId}/backups?sort=size_bytes`, viewer);
    const sizes = bySize.body.backups.map((b: { size_bytes: number }) => b.size_bytes);
    expect(sizes).toEqual([...sizes].sort((x, y) => x - y));

    const tagged = await api.get(`/servers/${serverId}/backups?tag=first`, viewer);
    expect(tagged.body.backups.map((b: { tags: string[] }) => b.tags)).toEqual([['first', 'keep']]);
    const named = await api.get(`/servers/${serverId}/backups?q=night`, viewer);
    expect(named.body.backups.map((b: { name: string }) => b.name)).toEqual(['nightly']);
    const failed = await api.get(`/servers/${serverId}/backups?status=failed`, viewer);
    expect(failed.body.backups).toEqual([]);
    expect((await api.get(`/servers/${serverId}/backups?status=bogus`, viewer)).status).toBe(400);
    expect((await api.get(`/servers/${serverId}/backups?sort=name`, viewer)).status).toBe(400);

    const tenantWide = await api.get(`/backups?server_id=${secondId}`, viewer);
    expect(tenantWide.body.backups.map((b: { name: string }) => b.name)).toEqual(['nightly']);
    const foreign = await api.get(`/servers/${serverId}/backups`, other.token);
    expect(foreign.status).toBe(404);
    const theirs = await api.get('/backups', other.token);
    expect(theirs.body.backups).toEqual([]);
    expect(theirs.body.quota.used_bytes).toBe(0);
  });

  it('gets one backup; another server’s or tenant’s is 404 BACKUP_NOT_FOUND, a malformed id 400', async () => {
    const [first] = (await api.get(`/servers/${serverId}/backups?tag=first`, viewer)).body.backups;
    const got = await api.get(`/servers/${serverId}/backups/${first.id}`, viewer);
    expect(got.status).toBe(200);
    expect(got.body.id).toBe(first.id);
    const wrongServer = await api.get(`/servers/${secondId}/backups/${first.id}`, viewer);
    expect(wrongServer.status).toBe(404);
    expect(wrongServer.body.error.code).toBe('BACKUP_NOT_FOUND');
    const foreign = await api.get(`/backups/${first.id}`, other.token);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe('BACKUP_NOT_FOUND');
    expect((await api.get(`/backups/${first.id}/download`, other.token)).status).toBe(404);
    expect((await api.request('DELETE', `/api/v1/backups/${first.id}`, { token: other.token })).status).toBe(
      404,
    );
    const malformed = await api.get(`/servers/${serverId}/backups/nope`, viewer);
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('INVALID_ID');
  });

  it('downloads the archive streamed, with its length, name and checksum; viewers may not', async () => {
    const [first] = (await api.get(`/servers/${serverId}/backups?tag=first`, viewer)).body.backups;
    const res = await fetch(`${cp.url}/api/v1/servers/${serverId}/backups/${first.id}/download`, {
      headers: { authorization: `Bearer ${operator}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zstd');
    expect(res.headers.get('content-length')).toBe(String(first.size_bytes));
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="backed-up-${first.name}.tar.zst"`,
    );
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(first.sha256);
    const denied = await api.get(`/servers/${serverId}/backups/${first.id}/download`, viewer);
    expect(denied.status).toBe(403);
  });

  it('download links: no header needed, one backup only, never a session, viewers get none', async () => {
    const [first] = (await api.get(`/servers/${serverId}/backups?tag=first`, viewer)).body.backups;
    const [nightly] = (await api.get(`/servers/${secondId}/backups?q=nightly`, viewer)).body.backups;
    const link = await api.post(`/servers/${serverId}/backups/${first.id}/download-link`, {}, operator);
    expect(link.status).toBe(200);
    expect(link.body.url).toMatch(
      new RegExp(`^/api/v1/servers/${serverId}/backups/${first.id}/download\\?token=[^&]+$`),
    );
    const expiresIn = Date.parse(link.body.expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(250_000);
    expect(expiresIn).toBeLessThanOrEqual(300_000);

    // The browser's request: no Authorization header; the same bytes as a download with one.
    const res = await fetch(`${cp.url}${link.body.url}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="backed-up-${first.name}.tar.zst"`,
    );
    const body = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(body).digest('hex')).toBe(first.sha256);

    const token = new URL(link.body.url, cp.url).searchParams.get('token')!;
    // The tenant-wide route of the same backup takes it; another backup, a tampered token, none: 401.
    expect((await fetch(`${cp.url}/api/v1/backups/${first.id}/download?token=${token}`)).status).toBe(200);
    const elsewhere = await fetch(`${cp.url}/api/v1/backups/${nightly.id}/download?token=${token}`);
    expect(elsewhere.status).toBe(401);
    expect(((await elsewhere.json()) as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    const tampered = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    expect((await fetch(`${cp.url}/api/v1/backups/${first.id}/download?token=${tampered}`)).status).toBe(401);
    // A link token is not a session: not as a bearer, and not on any other route.
    expect((await api.get('/me', token)).status).toBe(401);
    expect((await fetch(`${cp.url}/api/v1/backups/${first.id}?token=${token}`)).status).toBe(401);

    const tenantLink = await api.post(`/backups/${nightly.id}/download-link`, {}, operator);
    expect(tenantLink.body.url).toMatch(new RegExp(`^/api/v1/backups/${nightly.id}/download\\?token=`));
    expect((await fetch(`${cp.url}${tenantLink.body.url}`)).status).toBe(200);

    expect(
      (await api.post(`/servers/${serverId}/backups/${first.id}/download-link`, {}, viewer)).status,
    ).toBe(403);
    expect((await api.post(`/backups/${first.id}/download-link`, {}, other.token)).status).toBe(404);
  });

  it('locks and unlocks; a locked backup is not deleted (409); operators may not delete, admins may', async () => {
    const b = await backup(owner.token, serverId, { name: 'to-delete' });
    const locked = await api.patch(
      `/servers/${serverId}/backups/${b.id}`,
      { locked: true, tags: ['x'] },
      operator,
    );
    expect(locked.status).toBe(200);
    expect(locked.body).toMatchObject({ locked: true, tags: ['x'] });
    const refused = await api.delete(`/servers/${serverId}/backups/${b.id}`, admin);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('BACKUP_LOCKED');
    expect((await api.patch(`/backups/${b.id}`, { locked: false }, viewer)).status).toBe(403);
    // Unlocking hands the backup to retention: a deletion in effect, so an admin's call.
    const operatorUnlock = await api.patch(`/backups/${b.id}`, { locked: false }, operator);
    expect(operatorUnlock.status).toBe(403);
    expect(operatorUnlock.body.error).toMatchObject({
      code: 'FORBIDDEN',
      details: { required: 'backup.delete' },
    });
    expect((await api.get(`/backups/${b.id}`, operator)).body.locked).toBe(true);
    expect(
      (await api.patch(`/backups/${b.id}`, { locked: false, retain_days: null }, admin)).body.locked,
    ).toBe(false);
    expect((await api.delete(`/servers/${serverId}/backups/${b.id}`, operator)).status).toBe(403);
    const key = await storageKey(b.id);
    await access(storePath(key));
    const gone = await api.delete(`/servers/${serverId}/backups/${b.id}`, admin);
    expect(gone.status).toBe(204);
    expect((await api.get(`/backups/${b.id}`, admin)).status).toBe(404);
    await expect(access(storePath(key))).rejects.toThrow();
  });

  it('refuses a backup over the tenant’s storage quota with 403 QUOTA_EXCEEDED', async () => {
    const { quota } = (await api.get(`/servers/${serverId}/backups`, owner.token)).body;
    await cp.db.database.system((tx) =>
      tx.execute(
        sql`update tenants set backup_storage_bytes = ${quota.used_bytes} where id = ${owner.tenantId}`,
      ),
    );
    try {
      const res = await api.post(`/servers/${serverId}/backups`, {}, owner.token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('QUOTA_EXCEEDED');
      expect(res.body.error.details).toMatchObject({
        quota: 'backup_storage_bytes',
        limit: quota.used_bytes,
      });
      const list = await api.get(`/servers/${serverId}/backups`, owner.token);
      expect(list.body.quota.limit_bytes).toBe(quota.used_bytes);
    } finally {
      await cp.db.database.system((tx) =>
        tx.execute(sql`update tenants set backup_storage_bytes = null where id = ${owner.tenantId}`),
      );
    }
  });

  it('restores into its server (pre-restore backup first); refuses an incompatible target', async () => {
    const marker = path.join(serverFolder(serverId), 'marker.txt');
    await writeFile(marker, 'before');
    const b = await backup(owner.token, serverId, { name: 'with-marker' });
    await writeFile(marker, 'after');
    const res = await api.post(`/servers/${serverId}/backups/${b.id}/restore`, {}, operator);
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('restoring');
    await api.waitForStatus(serverId, owner.token, 'stopped');
    await waitForBackup(owner.token, b.id);
    expect(await readFile(marker, 'utf8')).toBe('before');
    const pre = (await api.get(`/servers/${serverId}/backups?per_page=100`, owner.token)).body.backups.find(
      (x: { type: string }) => x.type === 'pre_restore',
    );
    expect(pre).toMatchObject({ status: 'completed', tags: ['pre-restore'] });

    expect((await api.post(`/servers/${serverId}/backups/${b.id}/restore`, {}, viewer)).status).toBe(403);
    const wrong = await api.post(`/servers/${secondId}/backups/${b.id}/restore`, {}, operator);
    expect(wrong.status).toBe(404);
    expect(wrong.body.error.code).toBe('BACKUP_NOT_FOUND');
    const newer = await createServer(owner.token, 'newer', '1.21.4');
    const incompatible = await api.post(`/backups/${b.id}/restore`, { server_id: newer }, operator);
    expect(incompatible.status).toBe(409);
    expect(incompatible.body.error.code).toBe('BACKUP_INCOMPATIBLE');
  });

  it('applies retention: expired and policy-dropped backups leave store and database; locked ones stay', async () => {
    const id = await createServer(owner.token, 'retained');
    const oldest = await backup(owner.token, id, { name: 'oldest' });
    const lockedOld = await backup(owner.token, id, { name: 'locked-old' });
    const expiring = await backup(owner.token, id, { name: 'expiring', retain_days: 1 });
    await backup(owner.token, id, { name: 'middle' });
    const newest = await backup(owner.token, id, { name: 'newest' });
    await api.patch(`/backups/${lockedOld.id}`, { locked: true, retain_days: 1 }, operator);
    // Expired yesterday: retention removes it, unless locked.
    await cp.db.database.system((tx) =>
      tx.execute(
        sql`update backups set expires_at = now() - interval '1 day' where id in (${expiring.id}, ${lockedOld.id})`,
      ),
    );
    const expiringKey = await storageKey(expiring.id);
    expect(
      (
        await api.request('PUT', `/api/v1/servers/${id}/backups/retention`, {
          token: operator,
          body: { keep_last: 1, keep_daily: null, keep_weekly: null },
        })
      ).status,
    ).toBe(403);
    const put = await api.request('PUT', `/api/v1/servers/${id}/backups/retention`, {
      token: admin,
      body: { keep_last: 1, keep_daily: 0, keep_weekly: null },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ keep_last: 1, keep_daily: 0, keep_weekly: null });
    const view = await api.get(`/servers/${id}/backups/retention`, viewer);
    expect(view.body.policy).toEqual({ keep_last: 1, keep_daily: 0, keep_weekly: null });

    const deadline = Date.now() + 15_000;
    let names: string[] = [];
    while (Date.now() < deadline) {
      names = (await api.get(`/servers/${id}/backups`, owner.token)).body.backups.map(
        (b: { name: string }) => b.name,
      );
      if (names.length === 2) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(names.sort()).toEqual(['locked-old', 'newest']);
    await expect(access(storePath(expiringKey))).rejects.toThrow();
    expect(newest.id).toBeDefined();
    expect(oldest.id).toBeDefined();
  });

  it('a delete with keep_backups takes a final backup and keeps them restorable into a new server', async () => {
    const id = await createServer(owner.token, 'doomed');
    await writeFile(path.join(serverFolder(id), 'marker.txt'), 'from the deleted server');
    await backup(owner.token, id, { name: 'kept' });
    const del = await api.request('DELETE', `/api/v1/servers/${id}?keep_backups=true`, { token: admin });
    expect(del.status).toBe(202);
    const deadline = Date.now() + 20_000;
    while ((await api.get(`/servers/${id}`, owner.token)).status !== 404) {
      if (Date.now() > deadline) throw new Error('server not deleted');
      await new Promise((r) => setTimeout(r, 100));
    }
    const orphaned = (await api.get('/backups?orphaned=true', viewer)).body.backups.filter(
      (b: { server_id: string }) => b.server_id === id,
    );
    expect(orphaned.map((b: { type: string }) => b.type).sort()).toEqual(['manual', 'pre_delete']);
    for (const b of orphaned) {
      expect(b.server_deleted).toBe(true);
      expect(b.expires_at).not.toBeNull(); // kept for MINEFLEET_BACKUP_ORPHAN_RETAIN_DAYS
    }
    const final = orphaned.find((b: { type: string }) => b.type === 'pre_delete');
    const noTarget = await api.post(`/backups/${final.id}/restore`, {}, operator);
    expect(noTarget.status).toBe(404);
    expect(noTarget.body.error.code).toBe('SERVER_NOT_FOUND');
    const fresh = await createServer(owner.token, 'reborn');
    const restore = await api.post(`/backups/${final.id}/restore`, { server_id: fresh }, operator);
    expect(restore.status).toBe(202);
    expect(restore.body.id).toBe(fresh);
    await api.waitForStatus(fresh, owner.token, 'stopped');
    await waitForBackup(owner.token, final.id);
    expect(await readFile(path.join(serverFolder(fresh), 'marker.txt'), 'utf8')).toBe(
      'from the deleted server',
    );
    // Another tenant cannot restore it into theirs.
    const theirs = await createServer(other.token, 'theirs');
    expect((await api.post(`/backups/${final.id}/restore`, { server_id: theirs }, other.token)).status).toBe(
      404,
    );
  });

  it('a delete without keep_backups removes the server’s backups, except locked ones', async () => {
    const id = await createServer(owner.token, 'gone');
    const plain = await backup(owner.token, id, { name: 'plain' });
    const keep = await backup(owner.token, id, { name: 'locked' });
    await api.patch(`/backups/${keep.id}`, { locked: true }, operator);
    const plainKey = await storageKey(plain.id);
    expect((await api.request('DELETE', `/api/v1/servers/${id}`, { token: admin })).status).toBe(202);
    const deadline = Date.now() + 20_000;
    while ((await api.get(`/servers/${id}`, owner.token)).status !== 404) {
      if (Date.now() > deadline) throw new Error('server not deleted');
      await new Promise((r) => setTimeout(r, 100));
    }
    const left = (await api.get(`/backups?server_id=${id}`, owner.token)).body.backups;
    expect(left.map((b: { name: string }) => b.name)).toEqual(['locked']);
    await expect(access(storePath(plainKey))).rejects.toThrow();
  });

  it('a store that cannot delete leaves backups deleting (not restorable) until retention finishes them', async () => {
    const id = await createServer(owner.token, 'fragile');
    const viaApi = await backup(owner.token, id, { name: 'via-api' });
    const viaRetention = await backup(owner.token, id, { name: 'via-retention' });
    const viaServer = await backup(owner.token, id, { name: 'via-server-delete' });
    const keys = await Promise.all([viaApi, viaRetention, viaServer].map((b) => storageKey(b.id)));
    const folders = [...new Set(keys.map((key) => path.dirname(storePath(key))))];
    const statusOf = async (backupId: string) =>
      rowsOf<{ status: string }>(
        await cp.db.database.system((tx) =>
          tx.execute(sql`select status from backups where id = ${backupId}`),
        ),
      )[0]?.status;
    const until = async (what: string, check: () => Promise<boolean>) => {
      const deadline = Date.now() + 10_000;
      while (!(await check())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await Promise.all(folders.map((folder) => readOnly(folder, true)));
    try {
      // From the API: marked deleting, then the store refuses; the answer says so.
      const del = await api.delete(`/backups/${viaApi.id}`, admin);
      expect(del.status).toBe(503);
      expect(del.body.error).toMatchObject({
        code: 'BACKUP_DELETE_PENDING',
        details: { id: viaApi.id, status: 'deleting' },
      });
      const shown = await api.get(`/backups/${viaApi.id}`, owner.token);
      expect(shown.body.status).toBe('deleting');
      const restore = await api.post(`/backups/${viaApi.id}/restore`, {}, operator);
      expect(restore.status).toBe(409);
      expect(restore.body.error.code).toBe('BACKUP_NOT_READY');
      const download = await api.get(`/backups/${viaApi.id}/download`, owner.token);
      expect(download.status).toBe(409);
      expect(download.body.error.code).toBe('BACKUP_NOT_READY');
      expect((await api.patch(`/backups/${viaApi.id}`, { locked: true }, admin)).status).toBe(409);
      // By retention: an expired backup is marked deleting and stays so while the store refuses.
      await cp.db.database.system((tx) =>
        tx.execute(
          sql`update backups set expires_at = now() - interval '1 day' where id = ${viaRetention.id}`,
        ),
      );
      await until(
        'retention to mark the expired backup',
        async () => (await statusOf(viaRetention.id)) === 'deleting',
      );
      // By a server delete: the server goes, its backup stays deleting.
      expect((await api.request('DELETE', `/api/v1/servers/${id}`, { token: admin })).status).toBe(202);
      await until(
        'the server delete',
        async () => (await api.get(`/servers/${id}`, owner.token)).status === 404,
      );
      expect(await statusOf(viaServer.id)).toBe('deleting');
      // Several retention runs (every 0.3 s) later, nothing is lost: rows and archives are all there.
      await new Promise((r) => setTimeout(r, 700));
      for (const [i, b] of [viaApi, viaRetention, viaServer].entries()) {
        expect(await statusOf(b.id)).toBe('deleting');
        await access(storePath(keys[i]!));
      }
    } finally {
      await Promise.all(folders.map((folder) => readOnly(folder, false)));
    }
    // The store works again: the next retention run finishes all three, archives and rows.
    await until('retention to finish the deletions', async () => {
      const left = await Promise.all([viaApi, viaRetention, viaServer].map((b) => statusOf(b.id)));
      return left.every((status) => status === undefined);
    });
    for (const key of keys) await expect(access(storePath(key))).rejects.toThrow();
    expect((await api.get(`/backups/${viaApi.id}`, owner.token)).status).toBe(404);
  });

  async function storageKey(id: string): Promise<string> {
    const result = await cp.db.database.system((tx) =>
      tx.execute(sql`select storage_key from backups where id = ${id}`),
    );
    return rowsOf<{ storage_key: string }>(result)[0]!.storage_key;
  }
});

/**
 * Makes a folder refuse deletions in it, or undoes that: the immutable attribute as root (permissions
 * do not stop root), read-only permissions otherwise.
 */
async function readOnly(folder: string, on: boolean): Promise<void> {
  if (process.getuid?.() === 0) await execFileAsync('chattr', [on ? '+i' : '-i', folder]);
  else await chmod(folder, on ? 0o555 : 0o755);
}
