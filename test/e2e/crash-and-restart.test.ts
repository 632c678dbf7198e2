import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDatabase, primaryBackend, type TestDatabase } from '@minefleet/testkit/databases';
import { startControlPlane } from '@minefleet/testkit/control-plane';
import {
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { endGameProcesses, gameProcesses } from '@minefleet/testkit/processes';
import { freePort, freePortRange } from '@minefleet/testkit/ports';
import { BOT_TEST_VERSION, pingOnce } from '@minefleet/testkit/minecraft';

describe('crashes', () => {
  it('SIGKILL of the game process → crashed → restarted → running; repeated crashes → failed with the reason', async () => {
    const cp = await startControlPlane(primaryBackend(), {
      lifecycle: {
        reconcileIntervalMs: 60_000,
        crashPolicy: { maxCrashes: 2, windowMs: 60_000, baseBackoffMs: 300, maxBackoffMs: 1_000 },
      },
    });
    try {
      const { api } = cp;
      const user = await api.signup('crash');
      const created = await api.post(
        '/servers',
        { name: 'crashy', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
        user.token,
      );
      const id = created.body.id;
      await api.waitForStatus(id, user.token, 'running', 30_000);

      const killGame = async () => {
        const seen = await cp.controlPlane.runtime.inspect(id);
        if (seen.state !== 'alive') throw new Error(`no live process: ${seen.state}`);
        process.kill(seen.pid, 'SIGKILL');
        return seen.pid;
      };

      const firstPid = await killGame();
      const crashed = await api.waitForStatus(id, user.token, 'crashed', 10_000);
      expect(crashed.status_reason).toMatch(/SIGKILL|restarting/);
      const back = await api.waitForStatus(id, user.token, 'running', 30_000);
      expect(back.status).toBe('running');
      const second = await cp.controlPlane.runtime.inspect(id);
      expect(second.state === 'alive' && second.pid !== firstPid).toBe(true);
      await pingOnce(created.body.address, BOT_TEST_VERSION);

      await killGame();
      await api.waitForStatus(id, user.token, 'crashed', 10_000);
      await api.waitForStatus(id, user.token, 'running', 30_000);
      await killGame();
      const failed = await api.waitForStatus(id, user.token, 'failed', 15_000);
      expect(failed.status_reason).toMatch(/Crashed 3 times/);
      expect(failed.desired_state).toBe('stopped');
      expect((await cp.controlPlane.runtime.inspect(id)).state).not.toBe('alive');

      // A failed server can be started again by hand.
      expect((await api.post(`/servers/${id}/start`, {}, user.token)).status).toBe(202);
      await api.waitForStatus(id, user.token, 'running', 30_000);
    } finally {
      await cp.close();
    }
  });
});

describe('control-plane restart', () => {
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

  it('SIGKILL of the control plane while two servers run: the next one adopts both, no strays, no shared port', async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-restart-'));
    const backend = primaryBackend();
    db = backend === 'postgres' ? await createTestDatabase('postgres') : undefined;
    const port = await freePort();
    const range = await freePortRange(5);
    const env = loopbackEnv({ port, dataDir, portRange: range, databaseUrl: db?.url });
    const launch = () => spawnControlPlane(env);

    const first = await launch();
    plane = first;
    const user = await first.api.signup('restart');
    const ids: string[] = [];
    const ports: number[] = [];
    for (const name of ['keep-one', 'keep-two']) {
      const res = await first.api.post(
        '/servers',
        { name, sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
        user.token,
      );
      expect(res.status).toBe(202);
      ids.push(res.body.id);
      ports.push(res.body.address.port);
    }
    expect(new Set(ports).size).toBe(2);
    for (const id of ids) await first.api.waitForStatus(id, user.token, 'running', 30_000);
    const before = await gameProcesses(dataDir);
    expect(before).toHaveLength(2);

    first.proc.kill('SIGKILL');
    await new Promise((resolve) => first.proc.once('exit', resolve));
    // The game servers keep serving players while no control plane runs.
    for (const p of ports) await pingOnce({ host: '127.0.0.1', port: p }, BOT_TEST_VERSION);

    const second = await launch();
    plane = second;
    for (const id of ids) {
      const server = await second.api.waitForStatus(id, user.token, 'running', 30_000);
      expect(ports).toContain(server.address.port);
    }
    const after = await gameProcesses(dataDir);
    expect(after).toHaveLength(2);
    expect(after.map((p) => p.pid).sort()).toEqual(before.map((p) => p.pid).sort());

    // The console works again through the new control plane, and a third server started gets a new port
    // (the adopted servers' ports are still held).
    expect(
      (await second.api.post(`/servers/${ids[0]}/commands`, { command: 'say adopted' }, user.token)).status,
    ).toBe(202);
    const third = await second.api.post(
      '/servers',
      { name: 'keep-three', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
      user.token,
    );
    expect(third.status).toBe(202);
    expect(ports).not.toContain(third.body.address.port);
    ids.push(third.body.id);
    await second.api.waitForStatus(third.body.id, user.token, 'running', 30_000);

    for (const id of ids) await second.api.post(`/servers/${id}/stop`, {}, user.token);
    for (const id of ids) await second.api.waitForStatus(id, user.token, 'stopped', 30_000);
    expect(await gameProcesses(dataDir)).toHaveLength(0);
    second.proc.kill('SIGTERM');
    await new Promise((resolve) => second.proc.once('exit', resolve));
  }, 180_000); // two control planes and three servers (the third proves a new port) on a shared machine
});
