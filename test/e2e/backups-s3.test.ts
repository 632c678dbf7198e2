import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { startS3rver, type S3rverProcess } from '@minefleet/testkit/s3rver';

/**
 * Backups through the control plane with the S3 store chosen from the environment (MINEFLEET_S3_*),
 * against a real S3 server on loopback: backup, download, restore; then the S3 endpoint dies in the
 * middle of an upload and the backup is failed, never listed as completed.
 */
describe('backups in S3-compatible storage', () => {
  let s3: S3rverProcess;
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  let serverId: string;

  beforeAll(async () => {
    s3 = await startS3rver('minefleet-e2e');
    cp = await startControlPlane(primaryBackend(), {
      env: {
        MINEFLEET_S3_BUCKET: 'minefleet-e2e',
        MINEFLEET_S3_ENDPOINT: s3.endpoint,
        MINEFLEET_S3_ACCESS_KEY_ID: 'S3RVER',
        MINEFLEET_S3_SECRET_ACCESS_KEY: 'S3RVER',
        MINEFLEET_S3_PREFIX: 'e2e',
      },
    });
    api = cp.api;
    user = await api.signup('s3-backups');
    const created = await api.post(
      '/servers',
      { name: 's3-backed', sku_id: 'starter', minecraft_version: '1.20.2' },
      user.token,
    );
    serverId = created.body.id;
    await api.waitForStatus(serverId, user.token, 'stopped');
  });
  afterAll(async () => {
    await cp?.close();
    await s3?.stop();
  });

  const waitForBackup = async (id: string) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const body = (await api.get(`/backups/${id}`, user.token)).body;
      if (!['pending', 'running', 'restoring'].includes(body.status)) return body;
      if (Date.now() > deadline) throw new Error(`backup still ${JSON.stringify(body)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('backs up into S3, downloads and restores from it', async () => {
    const health = await api.get('/health');
    expect(health.body.checks.backup_store).toMatchObject({ status: 'ok', kind: 's3' });
    const marker = path.join(cp.dataDir, 'servers', serverId, 'marker.txt');
    await writeFile(marker, 'stored in S3');
    const started = await api.post(`/servers/${serverId}/backups`, { compression: 'gzip' }, user.token);
    const done = await waitForBackup(started.body.id);
    expect(done.status).toBe('completed');
    const download = await fetch(`${cp.url}/api/v1/backups/${done.id}/download`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(done.size_bytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(done.sha256);

    await writeFile(marker, 'changed');
    const restore = await api.post(`/servers/${serverId}/backups/${done.id}/restore`, {}, user.token);
    expect(restore.status).toBe(202);
    await api.waitForStatus(serverId, user.token, 'stopped', 30_000);
    expect((await waitForBackup(done.id)).error).toBeNull();
    expect(await readFile(marker, 'utf8')).toBe('stored in S3');
  });

  it('an S3 endpoint that dies mid-upload fails the backup; nothing is listed as completed', async () => {
    const filler = path.join(cp.dataDir, 'servers', serverId, 'filler');
    await mkdir(filler, { recursive: true });
    for (let i = 0; i < 64; i++) await writeFile(path.join(filler, `${i}.bin`), randomBytes(1024 * 1024));
    const before = (await api.get(`/servers/${serverId}/backups?status=completed`, user.token)).body.backups
      .length;
    const started = await api.post(`/servers/${serverId}/backups`, { compression: 'none' }, user.token);
    const deadline = Date.now() + 20_000;
    while ((await api.get(`/backups/${started.body.id}`, user.token)).body.status === 'pending') {
      if (Date.now() > deadline) throw new Error('backup never started');
      await new Promise((r) => setTimeout(r, 10));
    }
    s3.process.kill('SIGKILL');
    const failed = await waitForBackup(started.body.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).not.toBeNull();
    expect(failed.size_bytes).toBe(0);
    const after = (await api.get(`/servers/${serverId}/backups?status=completed`, user.token)).body.backups;
    expect(after).toHaveLength(before);
    expect((await api.get('/health')).body.checks.backup_store.status).toBe('down');
    await rm(filler, { recursive: true, force: true });
  });
});
