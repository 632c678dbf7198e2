import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { backups, servers } from '@minefleet/db/schema';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';

/**
 * Found by the chaos run (two replicas, a control plane SIGKILLed during a restore): any replica runs a
 * restore (the one the request reached), so the one that died need not be the server's owner, and the
 * owner never changed hands: the server stayed `restoring` and the backup `restoring` for good. A
 * restore now records who runs it (the server's `maintenance_worker`, the backup's `worker_id`); the
 * owner's reconcile ends `restoring` when that replica is gone, and the backup sweep puts the backup
 * back to `completed`. Here the dead replica's leftovers are written as it would have left them.
 */
describe('a restore whose control plane is gone', () => {
  let cp: RunningControlPlane | undefined;
  afterAll(async () => {
    await cp?.close();
  });

  it('ends: the server is stopped again and the backup completed, by the next passes', async () => {
    cp = await startControlPlane(primaryBackend(), { env: { MINEFLEET_BACKUP_SWEEP_SECONDS: '0.5' } });
    const user = await cp.api.signup('abandoned');
    const created = await cp.api.post(
      '/servers',
      { name: 'abandoned', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      user.token,
    );
    const id = created.body.id as string;
    await cp.api.waitForStatus(id, user.token, 'stopped', 60_000);
    const made = await cp.api.post(`/servers/${id}/backups`, {}, user.token);
    expect(made.status).toBe(202);
    const backupId = made.body.id as string;
    const deadline = Date.now() + 60_000;
    while ((await cp.api.get(`/backups/${backupId}`, user.token)).body.status !== 'completed') {
      if (Date.now() > deadline) throw new Error('the backup did not complete');
      await new Promise((r) => setTimeout(r, 200));
    }

    // What a replica SIGKILLed mid-restore leaves behind.
    const { database, lifecycle } = cp.controlPlane;
    await database.system(async (tx) => {
      await tx
        .update(servers)
        .set({ status: 'restoring', statusReason: 'restore in progress', maintenanceWorker: 'replica-gone' })
        .where(eq(servers.id, id));
      await tx
        .update(backups)
        .set({ status: 'restoring', workerId: 'replica-gone' })
        .where(eq(backups.id, backupId));
    });

    // A periodic pass (not the first after a start, which ends every `restoring` anyway).
    await lifecycle.reconcile(false);
    const server = (await cp.api.get(`/servers/${id}`, user.token)).body;
    expect(server.status).toBe('stopped');
    expect(server.status_reason).toBe('A restore was interrupted: the control plane running it stopped.');
    const row = await database.system(
      async (tx) => (await tx.select().from(servers).where(eq(servers.id, id)))[0],
    );
    expect(row?.maintenanceWorker).toBeNull();

    const sweepDeadline = Date.now() + 20_000;
    let status = '';
    while (Date.now() < sweepDeadline) {
      status = (await cp.api.get(`/backups/${backupId}`, user.token)).body.status as string;
      if (status === 'completed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe('completed');

    // The server works again: it starts, and the backup can be restored.
    expect((await cp.api.post(`/servers/${id}/start`, {}, user.token)).status).toBe(202);
    await cp.api.waitForStatus(id, user.token, 'running', 60_000);
  }, 150_000);

  it('is left alone while this replica runs it (it holds the server), whatever the record says', async () => {
    const user = await cp!.api.signup('alive');
    const created = await cp!.api.post(
      '/servers',
      { name: 'held', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      user.token,
    );
    const id = created.body.id as string;
    await cp!.api.waitForStatus(id, user.token, 'stopped', 60_000);
    const { database, lifecycle } = cp!.controlPlane;
    // This replica's own restore in progress: the server's lock is held for as long as it runs.
    let release!: () => void;
    const held = lifecycle.exclusive(id, 'restore', async () => {
      await database.system((tx) =>
        tx
          .update(servers)
          .set({ status: 'restoring', maintenanceWorker: 'replica-gone' })
          .where(eq(servers.id, id)),
      );
      await new Promise<void>((resolve) => (release = resolve));
    });
    while (!release) await new Promise((r) => setTimeout(r, 20));
    await lifecycle.reconcile(false);
    expect((await cp!.api.get(`/servers/${id}`, user.token)).body.status).toBe('restoring');
    release();
    await held;
  }, 120_000);
});
