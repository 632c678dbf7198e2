import Fastify from 'fastify';
import { connectPglite } from '@minefleet/db/connect';
import { describe, expect, it } from 'vitest';
import { databaseCheck, EMBEDDED_PING_REUSE_MS } from './health-checks.js';
import { healthRoutes } from './http/routes/health.js';

describe('the database check on the embedded database', () => {
  it('reuses one ping within its window and shows a closed database once the window has passed', async () => {
    const { database } = await connectPglite();
    const check = databaseCheck(database);
    expect(check.cacheMs).toBe(EMBEDDED_PING_REUSE_MS);
    const app = Fastify();
    await app.register(healthRoutes({ version: 't', startedAt: Date.now(), checks: [check] }));

    const first = (await app.inject('/health')).json();
    expect(first.checks.database).toMatchObject({ status: 'ok', backend: 'pglite' });
    // Asked again at once: the same answer (the same measured latency), not a second ping.
    const again = (await app.inject('/health')).json();
    expect(again.checks.database.latency_ms).toBe(first.checks.database.latency_ms);

    await database.close();
    await new Promise((r) => setTimeout(r, EMBEDDED_PING_REUSE_MS + 50));
    const gone = await app.inject('/health');
    expect(gone.statusCode).toBe(503);
    expect(gone.json().checks.database.status).toBe('down');
    await app.close();
  });
});
