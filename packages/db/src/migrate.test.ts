import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, type TestDatabase } from '@minefleet/testkit/databases';
import { connectPostgres } from './connect.js';
import { APP_ROLE, rowsOf, type Database } from './database.js';
import { migrate } from './migrate.js';

/**
 * Replicas start together on one database (a rollout, the chaos run's boot): each runs `migrate`, and
 * each grants the application role its schema privilege. PostgreSQL refuses the second of two
 * concurrent grants ("tuple concurrently updated"), which ended a replica's start.
 */
describe.skipIf(!process.env.DATABASE_URL)('migrate on PostgreSQL, several replicas at once', () => {
  let t: TestDatabase;
  const pools: Database[] = [];

  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    for (let i = 0; i < 4; i++) pools.push(connectPostgres({ url: t.url!, maxConnections: 2 }));
  });
  afterAll(async () => {
    for (const pool of pools) await pool.close();
    await t?.close();
  });

  it('every replica starts when all of them grant the role at the same moment', async () => {
    const usage = async () =>
      rowsOf<{ usage: boolean }>(
        await t.database.drizzle.execute(
          sql`select has_schema_privilege(${APP_ROLE}, 'public', 'USAGE') as usage`,
        ),
      )[0]!.usage;
    for (let round = 0; round < 8; round++) {
      // Taken away (PUBLIC's too, which PostgreSQL grants on a new database), so every replica finds the
      // grant missing and makes it.
      await t.database.drizzle.execute(sql.raw(`revoke usage on schema public from ${APP_ROLE}, public`));
      expect(await usage()).toBe(false);
      const results = await Promise.allSettled(pools.map((pool) => migrate(pool)));
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      expect(await usage()).toBe(true);
    }
  });
});
