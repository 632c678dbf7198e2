import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { servers } from '@minefleet/db/schema';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';

/**
 * Found by the chaos run (two replicas, a fault during a restore): a server ended up `failed` in the
 * database while its game process kept running, and every start after that was refused ("A process for
 * this server is already running"): the reconcile loop only looked for processes of servers meant to
 * have one. Now it stops a live process it finds under a `stopped`, `crashed` or `failed` server, and
 * the server can be started again.
 */
describe('a game process left running under a failed server', () => {
  let cp: RunningControlPlane | undefined;
  afterAll(async () => {
    await cp?.close();
  });

  it('is stopped by the reconcile loop; the next start works', async () => {
    cp = await startControlPlane(primaryBackend());
    const user = await cp.api.signup('orphan');
    const created = await cp.api.post(
      '/servers',
      { name: 'orphan', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      user.token,
    );
    const id = created.body.id as string;
    await cp.api.waitForStatus(id, user.token, 'stopped', 60_000);
    expect((await cp.api.post(`/servers/${id}/start`, {}, user.token)).status).toBe(202);
    await cp.api.waitForStatus(id, user.token, 'running', 60_000);
    const { runtime, database, lifecycle } = cp.controlPlane;
    const orphan = await runtime.inspect(id);
    expect(orphan.state).toBe('alive');

    // What the race left behind: the record says failed while the process runs.
    await database.system((tx) =>
      tx
        .update(servers)
        .set({ status: 'failed', desiredState: 'stopped', statusReason: 'Start failed: lost a race' })
        .where(eq(servers.id, id)),
    );
    await lifecycle.reconcile(false);
    const deadline = Date.now() + 20_000;
    while ((await runtime.inspect(id)).state === 'alive' && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect((await runtime.inspect(id)).state).not.toBe('alive');
    // The record stays what it was; only the process was made to match it.
    expect((await cp.api.get(`/servers/${id}`, user.token)).body.status).toBe('failed');

    expect((await cp.api.post(`/servers/${id}/start`, {}, user.token)).status).toBe(202);
    const running = await cp.api.waitForStatus(id, user.token, 'running', 60_000);
    expect(running.status_reason).toBeNull();
    const fresh = await runtime.inspect(id);
    expect(fresh.state).toBe('alive');
    if (orphan.state === 'alive' && fresh.state === 'alive') expect(fresh.pid).not.toBe(orphan.pid);
  }, 150_000);
});

/**
 * Found by the chaos run (two replicas): the owner's reconcile pass saw a server another replica had
 * just moved to `starting`, found no process (not spawned yet), declared it gone and started it itself;
 * the other replica's process then came up beside it and every later start was refused ("adopt it
 * first"). A `starting` server without a process is now left alone for `startGraceMs` after its record
 * last changed (replicas sharing servers; a sole replica starts everything itself and uses 0).
 */
describe('a server another replica has just moved to starting', () => {
  let cp: RunningControlPlane | undefined;
  afterAll(async () => {
    await cp?.close();
  });

  it('is not started a second time inside the grace period, and is restarted once it is over', async () => {
    cp = await startControlPlane(primaryBackend(), { lifecycle: { startGraceMs: 3_000 } });
    const user = await cp.api.signup('grace');
    const created = await cp.api.post(
      '/servers',
      { name: 'grace', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      user.token,
    );
    const id = created.body.id as string;
    await cp.api.waitForStatus(id, user.token, 'stopped', 60_000);
    const { runtime, database, lifecycle } = cp.controlPlane;

    // What the other replica's start looks like from here: `starting`, no process yet.
    const movedAt = Date.now();
    await database.system((tx) =>
      tx
        .update(servers)
        .set({ status: 'starting', desiredState: 'running', updatedAt: new Date(movedAt) })
        .where(eq(servers.id, id)),
    );
    const generationOf = async () =>
      (await database.system((tx) => tx.select().from(servers).where(eq(servers.id, id))))[0]!.generation;
    const generation = await generationOf();
    await lifecycle.reconcile(false);
    await new Promise((r) => setTimeout(r, 1_500));
    // Left alone: no start of its own (a start takes the next generation), no process.
    expect(await generationOf()).toBe(generation);
    expect((await cp.api.get(`/servers/${id}`, user.token)).body.status).toBe('starting');
    expect((await runtime.inspect(id)).state).not.toBe('alive');

    // Nobody launched it within the grace period: it is gone, and this replica starts it.
    await new Promise((r) => setTimeout(r, Math.max(0, movedAt + 3_000 - Date.now())));
    await lifecycle.reconcile(false);
    await cp.api.waitForStatus(id, user.token, 'running', 60_000);
    expect((await runtime.inspect(id)).state).toBe('alive');
  }, 150_000);
});
