// A quiet control plane gives memory back (MINEFLEET_IDLE_GC_SECONDS; apps/server/src/idle-memory.ts):
// once after the start, and again only after a busier window, never while requests keep coming.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';

describe('idle memory', () => {
  let cp: RunningControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane('pglite', { env: { MINEFLEET_IDLE_GC_SECONDS: '1' } });
  });
  afterAll(async () => {
    await cp?.close();
  });

  const collections = async () => {
    const res = await cp.api.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${cp.metricsToken}` },
    });
    expect(res.status).toBe(200);
    const count = /^minefleet_idle_collections_seconds_count (\d+)$/m.exec(String(res.body));
    expect(count, 'the collections histogram is exported').not.toBeNull();
    return Number(count![1]);
  };
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Asks every 1.5 s (at most one request in a 1 s window: quiet) until the count reaches `n`. */
  const reaches = async (n: number) => {
    const deadline = Date.now() + 15_000;
    let seen = await collections();
    while (seen < n && Date.now() < deadline) {
      await sleep(1_500);
      seen = await collections();
    }
    return seen;
  };

  it('collects once when quiet, not during load, and again after it', { timeout: 60_000 }, async () => {
    expect(await reaches(1)).toBe(1);
    await sleep(2_500);
    const afterStart = await collections();
    expect(afterStart).toBe(1); // one per quiet spell
    // Three seconds of ~100 requests a second: every window is busy.
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      expect((await cp.api.get('/health')).status).toBe(200);
      await sleep(10);
    }
    expect(await collections()).toBe(afterStart);
    expect(await reaches(afterStart + 1)).toBe(afterStart + 1);
  });
});
