import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
// The built module: the test database is made by the testkit from the built package too.
import { watchServerChanges } from '@minefleet/db/server-changes';

describe.each(testBackends())('server change notices on %s', (backend) => {
  let t: TestDatabase;
  const seen: string[] = [];
  let stop: (() => Promise<void>) | undefined;
  let tenant: string;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    stop = await watchServerChanges(t.database, (tenantId) => seen.push(tenantId));
    const rows = await t.database.system((tx) =>
      tx.execute(sql`insert into tenants (name) values ('notices') returning id`),
    );
    tenant = (rows as { rows: { id: string }[] }).rows[0]!.id;
    await t.database.system((tx) =>
      tx.execute(sql`insert into skus (id, name, description, cpu_millicores, memory_mb, storage_mb, max_players,
        monthly_price_cents, default_properties, backup_storage_bytes)
        values ('notice', 'N', '', 1000, 1024, 1024, 10, 0, '{}'::jsonb, 0)
        on conflict do nothing`),
    );
  });
  afterAll(async () => {
    await stop?.();
    await t?.close();
  });

  it('announces a committed write before the commit returns, and nothing for a rolled-back one', async () => {
    if (backend === 'postgres') {
      // Other replicas write to PostgreSQL: nothing would be told of their writes, so nothing listens.
      expect(stop).toBeUndefined();
      return;
    }
    expect(stop).toBeTypeOf('function');
    const insert = sql`insert into servers (tenant_id, name, sku_id, distribution, minecraft_version,
      cpu_millicores, memory_mb, storage_mb, max_players, server_properties)
      values (${tenant}, 'noticed', 'notice', 'flying-squid', '1.20.2', 1000, 1024, 1024, 10, '{}'::jsonb)`;
    await t.database.system((tx) => tx.execute(insert));
    expect(seen).toEqual([tenant]);
    await expect(
      t.database.system(async (tx) => {
        await tx.execute(sql`update servers set name = 'undone' where tenant_id = ${tenant}`);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    // A microtask later still nothing: PostgreSQL drops the notices of a rolled-back transaction.
    await Promise.resolve();
    expect(seen).toEqual([tenant]);
    // As the tenant's role under row-level security too (tenant transactions run as minefleet_app).
    await t.database.tenant({ tenantId: tenant }, (tx) =>
      tx.execute(sql`update servers set status = 'stopped' where tenant_id = ${tenant}`),
    );
    expect(seen).toEqual([tenant, tenant]);
    await t.database.system((tx) => tx.execute(sql`truncate servers cascade`));
    expect(seen).toEqual([tenant, tenant, '*']);
  });
});
