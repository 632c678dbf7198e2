import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPglite } from '@minefleet/db/platform-dump';
import { verifyPlatformBackup } from '@minefleet/server/platform-backup';
import { TestApi } from '@minefleet/testkit/api';
import { assertCliBuilt, cliEnv, runCli } from '@minefleet/testkit/cli';
import {
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { pgliteSnapshot } from '@minefleet/testkit/databases';
import { Mailbox } from '@minefleet/testkit/mailbox';
import { BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';
import { freePort, freePortRange } from '@minefleet/testkit/ports';

/**
 * The online platform backup of the embedded database: a control plane on PGlite keeps serving while
 * `minefleet admin backup` has it copy its own database between transactions; the archive restores with
 * `minefleet admin restore` into a new data folder, and a control plane started there has the state.
 */
describe('online platform backup (pglite)', () => {
  const planes: ControlPlaneProcess[] = [];
  const folders: string[] = [];
  let mailbox: Mailbox | undefined;

  afterAll(async () => {
    for (const plane of planes) await plane.stop('SIGKILL');
    await mailbox?.close();
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  it('is taken while the control plane serves, restores into a new folder and starts there', async () => {
    assertCliBuilt();
    const root = await mkdtemp(path.join(os.tmpdir(), 'minefleet-online-backup-'));
    folders.push(root);
    mailbox = await Mailbox.start();
    // From the migrated snapshot the tests share: a first boot of an empty folder costs several seconds.
    const snapshot = path.join(root, 'snapshot.tar.gz');
    await writeFile(snapshot, Buffer.from(await (await pgliteSnapshot()).arrayBuffer()));
    await mkdir(path.join(root, 'a'), { mode: 0o700 });
    await loadPglite(path.join(root, 'a', 'pglite'), snapshot);
    const adminEmail = `platform-admin-${process.pid}@example.com`;
    const env = loopbackEnv({
      port: await freePort(),
      dataDir: path.join(root, 'a'),
      portRange: await freePortRange(2),
      extra: { MINEFLEET_SMTP_URL: mailbox.url, MINEFLEET_PLATFORM_ADMINS: adminEmail },
    });
    const first = await spawnControlPlane(env, { timeoutMs: 120_000 });
    planes.push(first);
    const api = new TestApi(first.url, mailbox);

    const password = 'a long test passphrase';
    expect((await api.post('/auth/signup', { email: adminEmail, password })).status).toBe(202);
    await api.verifyEmail(adminEmail);
    const admin = (await api.post('/auth/login', { email: adminEmail, password })).body.token as string;
    const user = await api.signup('tenant');
    const created = await api.post(
      '/servers',
      { name: 'kept', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      user.token,
    );
    expect(created.status).toBe(202);

    // Only a platform administrator: a tenant owner is refused, and so is nobody.
    const refused = await api.post('/admin/platform-backup', {}, user.token);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('FORBIDDEN');
    expect((await api.post('/admin/platform-backup', {})).status).toBe(401);

    // Requests keep being answered (and written) while the backup runs.
    let serving = true;
    const load = (async () => {
      let answered = 0;
      for (let i = 0; serving; i++) {
        const res = await api.post(
          `/servers`,
          { name: `during-${i}`, sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
          user.token,
        );
        if (res.status !== 202 && res.status !== 403) throw new Error(`during the backup: ${res.status}`);
        expect((await api.get('/servers', user.token)).status).toBe(200);
        answered++;
      }
      return answered;
    })();
    const archive = path.join(root, 'platform.tar.gz');
    const cliDir = path.join(root, 'cli');
    const made = await runCli(['admin', 'backup', '--url', first.url, '--token', admin, '-o', archive], {
      env: cliEnv(cliDir),
      timeoutMs: 60_000,
    });
    serving = false;
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/online\): pglite database at .*pglite\.tar\.gz, jwt-secret/);
    expect(await load).toBeGreaterThan(0);
    const manifest = await verifyPlatformBackup(archive);
    expect(manifest).toMatchObject({ database: 'pglite', format: 'minefleet-platform-backup' });

    // Audited as the administrator's.
    const audit = await api.get('/audit?action=platform.backup', admin);
    expect(audit.body.events[0]).toMatchObject({ action: 'platform.backup', outcome: 'success' });

    // Into a new data folder, with the control plane still running on the old one.
    const restoredDir = path.join(root, 'b');
    const restored = await runCli(['admin', 'restore', archive, '--data-dir', restoredDir], {
      // Into the embedded database of that folder, even where the suite runs with PostgreSQL configured.
      env: cliEnv(cliDir, { DATABASE_URL: '' }),
      timeoutMs: 60_000,
    });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    await first.stop();

    const second = await spawnControlPlane(
      { ...env, PORT: String(await freePort()), MINEFLEET_DATA_DIR: restoredDir },
      { timeoutMs: 120_000 },
    );
    planes.push(second);
    // The session token signed before the backup still works (the secret came with it), and the state is there.
    const servers = await second.api.get('/servers?per_page=100', user.token);
    expect(servers.status).toBe(200);
    expect(servers.body.servers.map((s: { id: string }) => s.id)).toContain(created.body.id);
    const me = await second.api.get('/me', admin);
    expect(me.body.user).toMatchObject({ email: adminEmail, is_platform_admin: true });
    await second.stop();
  }, 240_000);
});
