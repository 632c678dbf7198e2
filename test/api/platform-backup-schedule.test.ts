import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPlatformBackup } from '@minefleet/server/platform-backup';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { assertCliBuilt, cliEnv, runCli } from '@minefleet/testkit/cli';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { testBackends } from '@minefleet/testkit/databases';

/**
 * The scheduled platform backup: with MINEFLEET_PLATFORM_BACKUP_HOURS set, the (sole, so leading)
 * control plane stores one at start in the backup store; more taken on demand keep the newest
 * MINEFLEET_PLATFORM_BACKUP_KEEP; a stored one downloads as an archive `admin verify` calls sound; only
 * platform administrators see any of it; /metrics says when the newest was taken. The CLI lists and
 * fetches them.
 */
describe.each(testBackends())('scheduled platform backups on %s', (backend) => {
  const adminEmail = `platform-admin-${backend}-${process.pid}@example.com`;
  const password = 'a long test passphrase';
  let cp: RunningControlPlane;
  let api: TestApi;
  let admin: string;
  let owner: SignedUp;
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'minefleet-platform-schedule-'));
    cp = await startControlPlane(backend, {
      env: {
        MINEFLEET_PLATFORM_ADMINS: adminEmail,
        MINEFLEET_PLATFORM_BACKUP_HOURS: '24',
        MINEFLEET_PLATFORM_BACKUP_KEEP: '2',
      },
    });
    api = cp.api;
    expect((await api.post('/auth/signup', { email: adminEmail, password })).status).toBe(202);
    await api.verifyEmail(adminEmail);
    admin = (await api.post('/auth/login', { email: adminEmail, password })).body.token as string;
    owner = await api.signup('platform-schedule');
  });
  afterAll(async () => {
    await cp?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('stores one at start, keeps the newest KEEP, serves them to platform administrators only', async () => {
    // The first is due at once (none in the store): taken once the control plane leads (at start alone;
    // on PostgreSQL once it holds the leader's lease).
    let list = { body: { backups: [] as { name: string; size_bytes: number; created_at: string }[] } };
    for (let i = 0; i < 300 && list.body.backups.length === 0; i++) {
      list = await api.get('/admin/platform-backups', admin);
      if (list.body.backups.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(list.body).toMatchObject({ schedule: { interval_hours: 24, keep: 2 } });
    expect(list.body.backups).toHaveLength(1);
    const first = list.body.backups[0]!;
    expect(first.name).toMatch(/^minefleet-platform-\d{4}-\d{2}-\d{2}T[\d-]+Z\.tar\.gz$/);

    // Two more on demand: the oldest goes, newest first.
    const second = await api.post('/admin/platform-backups', {}, admin);
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    await new Promise((r) => setTimeout(r, 5));
    const third = await api.post('/admin/platform-backups', {}, admin);
    expect(third.status).toBe(201);
    list = await api.get('/admin/platform-backups', admin);
    expect(list.body.backups.map((b) => b.name)).toEqual([third.body.name, second.body.name]);

    // A stored one is the archive `admin restore` takes.
    const download = await fetch(`${cp.url}/api/v1/admin/platform-backups/${third.body.name}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(download.status).toBe(200);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect(bytes.length).toBe(third.body.size_bytes);
    const file = path.join(work, 'stored.tar.gz');
    await writeFile(file, bytes);
    const manifest = await verifyPlatformBackup(file);
    expect(manifest.database).toBe(backend === 'postgres' ? 'postgres' : 'pglite');

    // Nobody else sees them; bad and unknown names are told apart.
    expect((await api.get('/admin/platform-backups', owner.token)).status).toBe(403);
    expect((await api.post('/admin/platform-backups', {}, owner.token)).status).toBe(403);
    expect((await api.get(`/admin/platform-backups/${third.body.name}`, owner.token)).status).toBe(403);
    expect((await api.get('/admin/platform-backups/..%2Fjwt-secret', admin)).status).toBe(400);
    const unknown = await api.get(
      '/admin/platform-backups/minefleet-platform-2000-01-01T00-00-00-000Z.tar.gz',
      admin,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('PLATFORM_BACKUP_NOT_FOUND');

    const metrics = await (
      await fetch(`${cp.url}/metrics`, { headers: { authorization: `Bearer ${cp.metricsToken}` } })
    ).text();
    expect(metrics).toMatch(/^minefleet_platform_backup_interval_seconds 86400$/m);
    const last = Number(
      /^minefleet_platform_backup_last_success_timestamp_seconds (\S+)$/m.exec(metrics)?.[1],
    );
    expect(last * 1000).toBe(Date.parse(third.body.created_at));
  }, 60_000);

  it('the CLI lists and fetches them', async () => {
    assertCliBuilt();
    const env = cliEnv(path.join(work, 'cli'), { MINEFLEET_URL: cp.url, MINEFLEET_TOKEN: admin });
    const listed = await runCli(['admin', 'backups'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('Scheduled every 24 h, the newest 2 kept.');
    const names = [...listed.stdout.matchAll(/minefleet-platform-\S+\.tar\.gz/g)].map((m) => m[0]);
    expect(names).toHaveLength(2);
    const output = path.join(work, 'fetched.tar.gz');
    const fetched = await runCli(['admin', 'backups', '--get', names[0]!, '-o', output], { env });
    expect(fetched.code, fetched.stderr).toBe(0);
    expect((await verifyPlatformBackup(output)).database).toBe(
      backend === 'postgres' ? 'postgres' : 'pglite',
    );
    // It never overwrites a file.
    const again = await runCli(['admin', 'backups', '--get', names[0]!, '-o', output], { env });
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('exists already');
  }, 60_000);
});
