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
