import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { healthRoutes, type HealthCheck } from './health.js';

async function appWith(checks: HealthCheck[]) {
  const app = Fastify();
  await app.register(healthRoutes({ version: 't', startedAt: Date.now(), checks }));
  return app;
}

describe('GET /health', () => {
  it('reuses a cached probe within cacheMs and asks an uncached one every time', async () => {
    let cached = 0;
    let live = 0;
    const app = await appWith([
      { name: 'store', critical: false, cacheMs: 60_000, run: async () => ({ status: 'ok', n: ++cached }) },
      { name: 'database', critical: true, run: async () => ({ status: 'ok', n: ++live }) },
    ]);
    for (let i = 0; i < 3; i++) await app.inject('/health');
    expect(cached).toBe(1);
    expect(live).toBe(3);
  });

  it('shares one run of an uncached check among requests that arrive while it runs', async () => {
    let runs = 0;
    let release!: () => void;
    const app = await appWith([
      {
        name: 'database',
        critical: true,
        run: async () => {
          runs++;
          await new Promise<void>((resolve) => (release = resolve));
          return { status: 'ok', n: runs };
        },
      },
    ]);
    const first = app.inject('/health');
    const second = app.inject('/health');
    await new Promise((r) => setTimeout(r, 20));
    release();
    const answers = await Promise.all([first, second]);
    expect(runs).toBe(1);
    expect(answers.map((a) => a.json().checks.database.n)).toEqual([1, 1]);
    // The next request after that run asks again.
    const third = app.inject('/health');
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect((await third).json().checks.database.n).toBe(2);
  });

  it('is 503 when a critical check is down, degraded when another is', async () => {
    const down = await appWith([
      { name: 'database', critical: true, run: async () => Promise.reject(new Error('gone')) },
    ]);
    const res = await down.inject('/health');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'down',
      checks: { database: { status: 'down', error: 'gone' } },
    });
    const degraded = await appWith([
      { name: 'database', critical: true, run: async () => ({ status: 'ok' }) },
      { name: 'store', critical: false, run: async () => ({ status: 'down' }) },
    ]);
    const answer = await degraded.inject('/health');
    expect(answer.statusCode).toBe(200);
    expect(answer.json().status).toBe('degraded');
  });
});
