import { afterAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';

/**
 * The start queue (docs/runtime.md, "The start queue"): with one launch at a time, four starts of one
 * tenant then one of another: the other tenant's server is launched second, not fifth. Real control
 * plane, real flying-squid servers.
 */
describe('start queue fairness across tenants', () => {
  let cp: RunningControlPlane | undefined;
  afterAll(async () => {
    await cp?.close();
  });

  it("a second tenant's start is not behind a first tenant's burst", async () => {
    cp = await startControlPlane(primaryBackend(), { ports: 8, env: { MINEFLEET_START_CONCURRENCY: '1' } });
    const { api } = cp;
    const [a, b] = [await api.signup('queue-a'), await api.signup('queue-b')];
    const create = async (token: string, name: string) => {
      const res = await api.post(
        '/servers',
        { name, sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
        token,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body.id as string;
    };
    const burst = [];
    for (let i = 1; i <= 4; i++) burst.push(await create(a.token, `burst-${i}`));
    const single = await create(b.token, 'single');
    for (const id of burst) await api.waitForStatus(id, a.token, 'stopped');
    await api.waitForStatus(single, b.token, 'stopped');

    const answers = await Promise.all(burst.map((id) => api.post(`/servers/${id}/start`, {}, a.token)));
    const other = await api.post(`/servers/${single}/start`, {}, b.token);
    for (const res of [...answers, other]) expect(res.status, JSON.stringify(res.body)).toBe(202);
    // One launches at once; the rest answer at once, `starting` with the queue as their reason.
    const queued = answers.filter((res) => /^Queued:/.test(res.body.status_reason ?? ''));
    expect(queued).toHaveLength(3);
    expect(answers.every((res) => res.body.status === 'starting')).toBe(true);
    expect(other.body).toMatchObject({
      status: 'starting',
      status_reason: expect.stringMatching(/^Queued:/),
    });

    const b1 = await api.waitForStatus(single, b.token, 'running', 60_000);
    expect(b1.status_reason).toBeNull();
    // Launches are one at a time and each holds its slot until running: started_at is launch order.
    const mine = (await api.get('/servers?per_page=10', a.token)).body.servers as {
      started_at: string | null;
    }[];
    const before = mine.filter((s) => s.started_at !== null && s.started_at < b1.started_at);
    expect(before).toHaveLength(1);
  }, 60_000);
});
