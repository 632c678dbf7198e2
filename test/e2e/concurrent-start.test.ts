import { afterAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';

/**
 * Found by the chaos run (two replicas, NATS stopped during a restore): two starts of one server from
 * the same reading of it — the owner's crash restart and a user's start on the other replica, or the
 * post-restore start and the other replica's reconcile — both moved it to `starting`; the second then
 * found the first's process and marked the server `failed` while that process ran, and every later
 * start failed with "already running". The start is now a compare-and-set on the generation it read:
 * the second one is refused and the server runs, once.
 */
describe('two starts from the same reading of a server', () => {
  let cp: RunningControlPlane | undefined;
  afterAll(async () => {
    await cp?.close();
  });

  it('the second is refused; the server runs with one process, not failed', async () => {
    cp = await startControlPlane(primaryBackend());
    const user = await cp.api.signup('double-start');
    const created = await cp.api.post(
      '/servers',
      { name: 'double-start', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      user.token,
    );
    const id = created.body.id as string;
    await cp.api.waitForStatus(id, user.token, 'stopped', 60_000);

    // The power sequence both replicas run (white box: one process plays both replicas here).
    const lifecycle = cp.controlPlane.lifecycle as unknown as {
      core: { status: { load(id: string): Promise<{ generation: number; status: string }> } };
      power: { start(server: unknown, options: object): Promise<{ status: string; generation: number }> };
    };
    const stale = await lifecycle.core.status.load(id);
    const first = await lifecycle.power.start(stale, {});
    expect(first.status).toBe('starting');
    expect(first.generation).toBe(stale.generation + 1);
    await expect(lifecycle.power.start(stale, {})).rejects.toThrow(/started meanwhile/);

    const running = await cp.api.waitForStatus(id, user.token, 'running', 60_000);
    expect(running.status_reason).toBeNull();
    const seen = await cp.controlPlane.runtime.inspect(id);
    expect(seen.state).toBe('alive');
    expect((await lifecycle.core.status.load(id)).generation).toBe(stale.generation + 1);
  }, 150_000);
});
