import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createArchive } from '@minefleet/backups/create-archive';
import { extractArchive } from '@minefleet/backups/extract-archive';
import { verifyPlatformBackup } from '@minefleet/server/platform-backup';
import { assertCliBuilt, cliEnv, runCli } from '@minefleet/testkit/cli';
import {
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { testBackends, withDatabase } from '@minefleet/testkit/databases';
import { BOT_TEST_VERSION, pingOnce } from '@minefleet/testkit/minecraft';
import { freePort, freePortRange } from '@minefleet/testkit/ports';
import { endGameProcesses, gameProcesses } from '@minefleet/testkit/processes';

/**
 * The disaster-recovery drill, through the built control plane and the built `minefleet` executable:
 * state is made (account, server running, a backup, a schedule), the platform is backed up, the control
 * plane stops, its database and secret are destroyed (the game server folders and the running game stay),
 * and the archive is restored for a new control plane, which must find everything and adopt the game.
 */
async function adminDb(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Rewrites an archive with `change` applied to its unpacked files (for the refusal checks). */
async function tampered(archive: string, change: (folder: string) => Promise<void>): Promise<string> {
  const folder = path.join(path.dirname(archive), `unpacked-${randomBytes(4).toString('hex')}`);
  await extractArchive(createReadStream(archive), folder, { compression: 'gzip' });
  await change(folder);
  const out = `${folder}.tar.gz`;
  const packed = createArchive(folder, { compression: 'gzip', exclude: [] });
  await pipeline(packed.stream, createWriteStream(out));
  await packed.summary;
  return out;
}

for (const backend of testBackends()) {
  describe(`platform backup and restore (${backend})`, () => {
    let dataDir: string | undefined;
    const planes: ControlPlaneProcess[] = [];
    const databases: string[] = [];

    afterAll(async () => {
      for (const plane of planes) await plane.stop('SIGKILL');
      // Game servers outlive control planes by design: end this test's.
      if (dataDir) await endGameProcesses(dataDir);
      for (const name of databases) await adminDb(`drop database if exists ${name} with (force)`);
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });

    it('a restored control plane has the accounts, servers, backups and schedules, and adopts the running game', async () => {
      assertCliBuilt();
      dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-dr-'));
      const dbName = (suffix: string) => `mf_dr_${Date.now().toString(36)}_${suffix}`;
      let databaseUrl: string | undefined;
      if (backend === 'postgres') {
        const name = dbName('a');
        databases.push(name);
        await adminDb(`create database ${name}`);
        databaseUrl = withDatabase(process.env.DATABASE_URL!, name);
      }
      const port = await freePort();
      const env = loopbackEnv({ port, dataDir, portRange: await freePortRange(3), databaseUrl });
      const first = await spawnControlPlane(env, { timeoutMs: 180_000 });
      planes.push(first);
      const { api } = first;

      const user = await api.signup('dr');
      const created = await api.post(
        '/servers',
        { name: 'survives', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
        user.token,
      );
      expect(created.status).toBe(202);
      const id: string = created.body.id;
      await api.waitForStatus(id, user.token, 'running', 60_000);
      const backup = await api.post(`/servers/${id}/backups`, { name: 'before-disaster' }, user.token);
      expect(backup.status).toBe(202);
      const deadline = Date.now() + 60_000;
      while ((await api.get(`/backups/${backup.body.id}`, user.token)).body.status !== 'completed') {
        if (Date.now() > deadline) throw new Error('the world backup did not complete');
        await new Promise((r) => setTimeout(r, 200));
      }
      const schedule = await api.post(
        `/servers/${id}/schedules`,
        { name: 'nightly', cron: '0 4 * * *', action: 'backup' },
        user.token,
      );
      expect(schedule.status).toBe(201);
      const [game] = await gameProcesses(dataDir);
      expect(game).toBeDefined();

      const archive = path.join(dataDir, '..', `${path.basename(dataDir)}-platform.tar.gz`);
      const cli = (args: string[]) =>
        runCli(['admin', ...args], {
          env: cliEnv(path.join(dataDir!, 'cli'), { DATABASE_URL: databaseUrl ?? '' }),
          timeoutMs: 120_000,
        });
      const location = ['--data-dir', dataDir, ...(databaseUrl ? ['--database-url', databaseUrl] : [])];
      try {
        if (backend === 'pglite') {
          // The embedded database is backed up with the control plane stopped; open, it is refused.
          const refused = await cli(['backup', ...location, '-o', archive]);
          expect(refused.code).toBe(1);
          expect(refused.stderr).toContain('PLATFORM_DATABASE_IN_USE');
          await first.stop();
        }
        const made = await cli(['backup', ...location, '-o', archive]);
        expect(made.stderr).toBe('');
        expect(made.code).toBe(0);
        expect(made.stdout).toContain('jwt-secret');
        await first.stop();
        // No control plane runs; the game still answers players.
        await pingOnce(created.body.address, BOT_TEST_VERSION);

        const manifest = await verifyPlatformBackup(archive);
        expect(manifest).toMatchObject({ database: backend, format: 'minefleet-platform-backup' });
        expect(manifest.schema_migration).toBeGreaterThanOrEqual(0);
        expect(manifest.files.map((f) => f.name).sort()).toEqual(
          [backend === 'pglite' ? 'pglite.tar.gz' : 'database.pgdump', 'jwt-secret'].sort(),
        );

        // Disaster: the database and the secret are gone; the server folders are not.
        const secret = await readFile(path.join(dataDir, 'jwt-secret'), 'utf8');
        await rm(path.join(dataDir, 'jwt-secret'));
        if (backend === 'pglite') await rm(path.join(dataDir, 'pglite'), { recursive: true });
        else {
          const name = dbName('b');
          databases.push(name);
          await adminDb(`create database ${name}`);
          databaseUrl = withDatabase(process.env.DATABASE_URL!, name);
          location[location.length - 1] = databaseUrl;
        }
        expect(existsSync(path.join(dataDir, 'servers', id))).toBe(true);

        // Refusals: a file that fails its checksum, a schema newer than this release.
        const badSum = await tampered(archive, (f) => writeFile(path.join(f, 'jwt-secret'), 'x'.repeat(64)));
        const corrupt = await cli(['restore', badSum, ...location]);
        expect(corrupt.code).toBe(1);
        expect(corrupt.stderr).toContain('PLATFORM_BACKUP_CORRUPT');
        const newer = await tampered(archive, async (f) => {
          const m = JSON.parse(await readFile(path.join(f, 'manifest.json'), 'utf8'));
          await writeFile(path.join(f, 'manifest.json'), JSON.stringify({ ...m, schema_migration: 9999 }));
        });
        const tooNew = await cli(['restore', newer, ...location]);
        expect(tooNew.code).toBe(1);
        expect(tooNew.stderr).toContain('PLATFORM_BACKUP_NEWER_SCHEMA');
        expect(existsSync(path.join(dataDir, 'jwt-secret'))).toBe(false);

        const restored = await cli(['restore', archive, ...location]);
        expect(restored.stderr).toBe('');
        expect(restored.code).toBe(0);
        expect(await readFile(path.join(dataDir, 'jwt-secret'), 'utf8')).toBe(secret);
        // A second restore over the restored database is refused: only into an empty one.
        const again = await cli(['restore', archive, ...location]);
        expect(again.code).toBe(1);
        expect(again.stderr).toContain('PLATFORM_RESTORE_NOT_EMPTY');
      } finally {
        await rm(archive, { force: true });
      }

      const second = await spawnControlPlane(
        { ...env, DATABASE_URL: databaseUrl ?? '' },
        { timeoutMs: 180_000 },
      );
      planes.push(second);
      // The old session token still works: the JWT secret came back with the database.
      const me = await second.api.get('/me', user.token);
      expect(me.status).toBe(200);
      expect(JSON.stringify(me.body)).toContain(user.userId);
      const login = await second.api.post('/auth/login', { email: user.email, password: user.password });
      expect(login.status).toBe(200);
      const server = await second.api.waitForStatus(id, user.token, 'running', 60_000);
      expect(server.address.port).toBe(created.body.address.port);
      const backups = await second.api.get(`/servers/${id}/backups`, user.token);
      expect(backups.body.backups.map((b: { id: string }) => b.id)).toContain(backup.body.id);
      const schedules = await second.api.get(`/servers/${id}/schedules`, user.token);
      expect(schedules.body.schedules.map((s: { id: string }) => s.id)).toEqual([schedule.body.id]);
      // Adopted, not restarted: the same process answers.
      expect((await gameProcesses(dataDir)).map((p) => p.pid)).toEqual([game!.pid]);
      await pingOnce(created.body.address, BOT_TEST_VERSION);

      await second.api.post(`/servers/${id}/stop`, {}, user.token);
      await second.api.waitForStatus(id, user.token, 'stopped', 30_000);
      await second.stop();
    }, 480_000);
  });
}
