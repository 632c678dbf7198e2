import { randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, primaryBackend, type TestDatabase } from '@minefleet/testkit/databases';
import {
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { endGameProcesses, gameProcesses } from '@minefleet/testkit/processes';
import { freePort, freePortRange } from '@minefleet/testkit/ports';
import { BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';

/**
 * The built control plane, SIGKILLed in the middle of a hot backup of a running server (a world of
 * 48 MiB of incompressible files, gzip: over a second of work). The game outlives it with saving
 * paused; the next control plane marks the backup failed, resumes saving, and nothing stays locked: a
 * new backup and a stop go through. Run `npx tsc -b` first: the control plane runs from dist/.
 */
describe('a control plane killed or stopped during a backup', () => {
  let plane: ControlPlaneProcess | undefined;
  let db: TestDatabase | undefined;
  let dataDir: string | undefined;

  afterAll(async () => {
    await plane?.stop('SIGKILL');
    // Game servers outlive control planes by design: end this test's.
    if (dataDir) await endGameProcesses(dataDir);
    await db?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('fails the backup on restart, resumes saving, and leaves nothing locked', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-backup-crash-'));
    const backend = primaryBackend();
    db = backend === 'postgres' ? await createTestDatabase('postgres') : undefined;
    const port = await freePort();
    const range = await freePortRange(3);
    const env = loopbackEnv({
      port,
      dataDir,
      portRange: range,
      databaseUrl: db?.url,
      extra: {
        MINEFLEET_PLUGIN_SOURCES: 'local',
        // With PostgreSQL, a dead worker is known by its expired lease: keep that short here.
        MINEFLEET_LEASE_TTL_SECONDS: '2',
        MINEFLEET_BACKUP_SWEEP_SECONDS: '0.5',
      },
    });
    const launch = () => spawnControlPlane(env);

    const first = await launch();
    plane = first;
    const user = await first.api.signup('backup-crash');
    const created = await first.api.post(
      '/servers',
      { name: 'big-world', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
      user.token,
    );
    const id = created.body.id as string;
    await first.api.waitForStatus(id, user.token, 'running', 60_000);
    const filler = path.join(dataDir, 'servers', id, 'world', 'filler');
    await mkdir(filler, { recursive: true });
    for (let i = 0; i < 48; i++) await writeFile(path.join(filler, `${i}.bin`), randomBytes(1024 * 1024));

    const started = await first.api.post(
      `/servers/${id}/backups`,
      { name: 'doomed', compression: 'gzip' },
      user.token,
    );
    expect(started.status).toBe(202);
    const backupId = started.body.id as string;
    const deadline = Date.now() + 20_000;
    while ((await first.api.get(`/backups/${backupId}`, user.token)).body.status !== 'running') {
      if (Date.now() > deadline) throw new Error('the backup never ran');
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 300)); // saving paused, archive being written
    const killedAt = new Date().toISOString();
    first.proc.kill('SIGKILL');
    await new Promise((resolve) => first.proc.once('exit', resolve));
    expect(await gameProcesses(dataDir)).toHaveLength(1); // the game outlived it

    const second = await launch();
    plane = second;
    const api = second.api;
    const failDeadline = Date.now() + 30_000;
    let backup = (await api.get(`/backups/${backupId}`, user.token)).body;
    while (backup.status !== 'failed' && Date.now() < failDeadline) {
      expect(backup.status).toBe('running'); // never completed: it was cut in the middle
      await new Promise((r) => setTimeout(r, 200));
      backup = (await api.get(`/backups/${backupId}`, user.token)).body;
    }
    expect(backup.status).toBe('failed');
    expect(backup.error).toMatch(/Interrupted/);
    expect(backup.size_bytes).toBe(0);
    // Nothing listed as completed, nothing stored under its key.
    const completed = (await api.get(`/servers/${id}/backups?status=completed`, user.token)).body.backups;
    expect(completed).toEqual([]);
    const keyDir = path.join(dataDir, 'backups', user.tenantId, id);
    const stored = await readdir(keyDir).catch(() => [] as string[]);
    expect(stored.filter((f) => f.startsWith(backupId))).toEqual([]);

    // The game got save-on from the new control plane.
    const server = await api.waitForStatus(id, user.token, 'running', 30_000);
    expect(server.status).toBe('running');
    const resumeDeadline = Date.now() + 15_000;
    let resumed: unknown[] = [];
    while (resumed.length === 0 && Date.now() < resumeDeadline) {
      resumed = (
        await api.get(`/servers/${id}/logs?since=${killedAt}&q=Automatic saving is now enabled`, user.token)
      ).body.logs;
      if (resumed.length === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(resumed.length).toBeGreaterThan(0);

    // Nothing left locked: a new backup runs to the end, and a stop goes through.
    await rm(filler, { recursive: true, force: true });
    const again = await api.post(`/servers/${id}/backups`, { name: 'after-crash' }, user.token);
    expect(again.status).toBe(202);
    const doneDeadline = Date.now() + 30_000;
    let next = again.body;
    while (['pending', 'running'].includes(next.status) && Date.now() < doneDeadline) {
      await new Promise((r) => setTimeout(r, 100));
      next = (await api.get(`/backups/${again.body.id}`, user.token)).body;
    }
    expect(next.status).toBe('completed');
    await access(path.join(keyDir, `${again.body.id}.tar.zst`));

    // A graceful stop (SIGTERM) during a hot backup aborts it at once: failed, and saving resumed by
    // the control plane on its way out (the next one finds nothing left to recover).
    await mkdir(filler, { recursive: true });
    for (let i = 0; i < 48; i++) await writeFile(path.join(filler, `${i}.bin`), randomBytes(1024 * 1024));
    const third = await api.post(
      `/servers/${id}/backups`,
      { name: 'at-shutdown', compression: 'gzip' },
      user.token,
    );
    const thirdDeadline = Date.now() + 20_000;
    while ((await api.get(`/backups/${third.body.id}`, user.token)).body.status !== 'running') {
      if (Date.now() > thirdDeadline) throw new Error('the backup never ran');
      await new Promise((r) => setTimeout(r, 20));
    }
    const stoppedAt = new Date().toISOString();
    const exited = new Promise((resolve) => second.proc.once('exit', resolve));
    second.proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    const last = await launch();
    plane = last;
    const aborted = (await last.api.get(`/backups/${third.body.id}`, user.token)).body;
    expect(aborted.status).toBe('failed');
    expect(aborted.error).toMatch(/shutting down/);
    const savedOn = (
      await last.api.get(
        `/servers/${id}/logs?since=${stoppedAt}&q=Automatic saving is now enabled`,
        user.token,
      )
    ).body.logs;
    expect(savedOn.length).toBeGreaterThan(0);
    await rm(filler, { recursive: true, force: true });

    expect((await last.api.post(`/servers/${id}/stop`, {}, user.token)).status).toBe(202);
    await last.api.waitForStatus(id, user.token, 'stopped', 30_000);
    last.proc.kill('SIGTERM');
    await new Promise((resolve) => last.proc.once('exit', resolve));
  });
});
