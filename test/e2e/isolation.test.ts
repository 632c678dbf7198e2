import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { freePort, freePortRange } from '@minefleet/testkit/ports';
import { endGameProcesses } from '@minefleet/testkit/processes';
import { BOT_TEST_VERSION, pingOnce } from '@minefleet/testkit/minecraft';
import type { SignedUp } from '@minefleet/testkit/api';

const PROBE = new URL('./fixtures/escape-probe-plugin.js', import.meta.url);

/**
 * A game process cannot reach the control plane or its neighbours: the built control plane (as its own
 * process, with its embedded database in the data folder, as in production) runs two servers; one has a
 * hostile plugin that tries to read the JWT secret, the metrics token, the database files and the other
 * server's world, to read the control plane's environment, and to write outside its folder.
 * Run `npx tsc -b` first.
 */
describe('game process isolation', () => {
  let dataDir: string;
  let cp: ControlPlaneProcess | undefined;
  let user: SignedUp;

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-isolation-'));
    const range = await freePortRange(4);
    cp = await spawnControlPlane(
      loopbackEnv({
        port: await freePort(),
        dataDir,
        portRange: range,
        extra: { MINEFLEET_ISOLATION: 'require' },
      }),
      { timeoutMs: 180_000 },
    );
    user = await cp.api.signup('isolation');
  }, 200_000);
  afterAll(async () => {
    if (cp) {
      const list = await cp.api.get('/servers', user?.token).catch(() => undefined);
      for (const s of list?.body?.servers ?? [])
        await cp.api.post(`/servers/${s.id}/stop`, {}, user.token).catch(() => {});
      for (const s of list?.body?.servers ?? [])
        await cp.api.waitForStatus(s.id, user.token, 'stopped').catch(() => {});
      await cp.stop();
    }
    // Whatever did not stop through the API (game processes outlive their control plane by design).
    if (dataDir) await endGameProcesses(dataDir);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 120_000);

  const create = async (name: string) => {
    const res = await cp!.api.post(
      '/servers',
      { name, sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      user.token,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await cp!.api.waitForStatus(res.body.id, user.token, 'stopped', 60_000);
    return res.body as { id: string };
  };

  it('/health says how game processes are contained', async () => {
    const health = await cp!.api.get('/health');
    expect(health.body.checks.isolation).toMatchObject({
      status: 'ok',
      level: process.getuid?.() === 0 ? 'sandbox-user' : 'sandbox',
    });
  });

  it('a hostile plugin reads nothing of the control plane or its neighbour, and writes only its own folder', async () => {
    const neighbour = await create('neighbour');
    const neighbourWorld = path.join(dataDir, 'servers', neighbour.id, 'world');
    await mkdir(neighbourWorld, { recursive: true });
    await writeFile(path.join(neighbourWorld, 'secret-build.txt'), 'the neighbour’s world');
    const hostile = await create('hostile');
    const root = path.join(dataDir, 'servers', hostile.id);
    const probeData = path.join(root, 'plugins', 'escape-probe');
    await mkdir(probeData, { recursive: true });
    await copyFile(PROBE, path.join(root, 'plugins', 'escape-probe.js'));
    await writeFile(
      path.join(probeData, 'targets.json'),
      JSON.stringify({
        read: {
          jwtSecret: path.join(dataDir, 'jwt-secret'),
          metricsToken: path.join(dataDir, 'metrics-token'),
          database: path.join(dataDir, 'pglite', 'PG_VERSION'),
          neighbourWorld: path.join(neighbourWorld, 'secret-build.txt'),
          neighbourSpec: path.join(dataDir, 'servers', neighbour.id, '.minefleet', 'spec.json'),
          controlPlaneEnv: `/proc/${cp!.proc.pid}/environ`,
        },
        list: {
          dataFolder: dataDir,
          database: path.join(dataDir, 'pglite'),
          servers: path.join(dataDir, 'servers'),
          neighbour: path.join(dataDir, 'servers', neighbour.id),
        },
        write: {
          dataFolder: path.join(dataDir, 'planted.txt'),
          neighbour: path.join(neighbourWorld, 'planted.txt'),
        },
      }),
    );
    expect((await cp!.api.post(`/servers/${hostile.id}/start`, {}, user.token)).status).toBe(202);
    const running = await cp!.api.waitForStatus(hostile.id, user.token, 'running', 90_000);
    // The sandboxed server still works: it answers players' pings.
    await pingOnce({ host: '127.0.0.1', port: running.address.port }, BOT_TEST_VERSION, 10_000);

    const results = JSON.parse(await readFile(path.join(probeData, 'results.json'), 'utf8')) as {
      read: Record<string, string>;
      list: Record<string, string>;
      write: Record<string, string>;
      own: string;
      uid: number;
    };
    // Everything outside its folder is missing or refused; nothing was read, listed or written.
    for (const [kind, outcomes] of Object.entries({
      read: results.read,
      list: results.list,
      write: results.write,
    })) {
      for (const [name, outcome] of Object.entries(outcomes)) {
        expect(outcome, `${kind} ${name}`).toMatch(/^(ENOENT|EACCES|EPERM|EROFS)$/);
      }
    }
    expect(results.own).toBe('written');
    if (process.getuid?.() === 0) expect(results.uid).toBeGreaterThanOrEqual(1000);
    // And the files really are untouched on the host.
    await expect(readFile(path.join(dataDir, 'planted.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(readFile(path.join(neighbourWorld, 'planted.txt'))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  }, 240_000);
});
