import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
// The built module: the test database is made by the testkit from the built package too.
import {
  SERVER_LIST_VERSION,
  installServerListVersions,
  serverListVersionOf,
  watchServerChanges,
} from '@minefleet/db/server-changes';

/** A tenant, by name; answers its id. */
async function newTenant(t: TestDatabase, name: string): Promise<string> {
  const rows = await t.database.system((tx) =>
    tx.execute(sql`insert into tenants (name) values (${name}) returning id`),
  );
  return (rows as { rows: { id: string }[] }).rows[0]!.id;
}

/** A plan the servers below are made from. */
async function newSku(t: TestDatabase, id: string): Promise<void> {
  await t.database.system((tx) =>
    tx.execute(sql`insert into skus (id, name, description, cpu_millicores, memory_mb, storage_mb, max_players,
      monthly_price_cents, default_properties, backup_storage_bytes)
      values (${id}, ${id}, '', 1000, 1024, 1024, 10, 0, '{}'::jsonb, 0)
      on conflict do nothing`),
  );
}

describe.each(testBackends())('server change notices on %s', (backend) => {
  let t: TestDatabase;
  const seen: string[] = [];
  let stop: (() => Promise<void>) | undefined;
  let tenant: string;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    stop = await watchServerChanges(t.database, (tenantId) => seen.push(tenantId));
    tenant = await newTenant(t, 'notices');
    await newSku(t, 'notice');
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
    // Once per statement, per tenant it touched: a statement that changes no row says nothing; one
    // that writes rows of two tenants names both.
    await t.database.system((tx) => tx.execute(sql`update servers set name = 'none' where false`));
    expect(seen).toEqual([tenant, tenant]);
    const other = await newTenant(t, 'notices-other');
    await t.database.system((tx) =>
      tx.execute(sql`insert into servers (tenant_id, name, sku_id, distribution, minecraft_version,
        cpu_millicores, memory_mb, storage_mb, max_players, server_properties)
        select x.t, x.n, 'notice', 'flying-squid', '1.20.2', 1000, 1024, 1024, 10, '{}'::jsonb
        from (values (${tenant}::uuid, 'two-a'), (${tenant}::uuid, 'two-b'), (${other}::uuid, 'two-c')) x(t, n)`),
    );
    expect(seen.slice(2).sort()).toEqual([tenant, other].sort());
    seen.length = 2;
    await t.database.system((tx) => tx.execute(sql`delete from servers where name = 'two-c'`));
    expect(seen).toEqual([tenant, tenant, other]);
    await t.database.system((tx) => tx.execute(sql`truncate servers cascade`));
    expect(seen).toEqual([tenant, tenant, other, '*']);
  });
});

describe.each(testBackends())('server list versions on %s', (backend) => {
  let t: TestDatabase;
  let a: string;
  let b: string;
  let installed: boolean;

  const version = async (tenantId: string) =>
    serverListVersionOf((await t.database.tenantRead({ tenantId }, [SERVER_LIST_VERSION]))[0]);
  const insert = (tenantId: string, name: string) =>
    sql`insert into servers (tenant_id, name, sku_id, distribution, minecraft_version,
      cpu_millicores, memory_mb, storage_mb, max_players, server_properties)
      values (${tenantId}, ${name}, 'version', 'flying-squid', '1.20.2', 1000, 1024, 1024, 10, '{}'::jsonb)`;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    // Two replicas starting together install at the same moment: both must succeed.
    const both = await Promise.all([
      installServerListVersions(t.database),
      installServerListVersions(t.database),
    ]);
    installed = both.every(Boolean);
    a = await newTenant(t, 'versions-a');
    b = await newTenant(t, 'versions-b');
    await newSku(t, 'version');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('rises with every committed statement that writes a tenant’s servers, from any role, and only then', async () => {
    if (backend === 'pglite') {
      // The embedded database announces writes instead (above); nothing is installed there.
      expect(installed).toBe(false);
      return;
    }
    expect(installed).toBe(true);
    expect(await version(a)).toBe('0');
    await t.database.system((tx) => tx.execute(insert(a, 'v-1')));
    expect(await version(a)).toBe('1');
    expect(await version(b)).toBe('0');
    // Two rows in one statement: one step.
    await t.database.system(async (tx) => {
      await tx.execute(insert(a, 'v-2'));
      await tx.execute(insert(b, 'v-b'));
    });
    expect([await version(a), await version(b)]).toEqual(['2', '1']);
    // A statement over both tenants raises both; one matching no row raises nothing.
    await t.database.system((tx) => tx.execute(sql`update servers set status = 'stopped'`));
    expect([await version(a), await version(b)]).toEqual(['3', '2']);
    await t.database.system((tx) => tx.execute(sql`update servers set name = 'x' where name = 'nothing'`));
    expect([await version(a), await version(b)]).toEqual(['3', '2']);
    // Moving a server between tenants raises both.
    await t.database.system((tx) => tx.execute(sql`update servers set tenant_id = ${b} where name = 'v-2'`));
    expect([await version(a), await version(b)]).toEqual(['4', '3']);
    // A tenant's own transaction, under row-level security as minefleet_app.
    await t.database.tenant({ tenantId: a }, (tx) => tx.execute(sql`update servers set players_online = 1`));
    expect(await version(a)).toBe('5');
    await t.database.tenant({ tenantId: a }, (tx) => tx.execute(sql`delete from servers`));
    expect(await version(a)).toBe('6');
    // A rolled-back write raises nothing.
    await expect(
      t.database.system(async (tx) => {
        await tx.execute(insert(a, 'undone'));
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await version(a)).toBe('6');
    // A truncate raises every tenant's, also one that never had a server.
    const c = await newTenant(t, 'versions-c');
    await t.database.system((tx) => tx.execute(sql`truncate servers cascade`));
    expect([await version(a), await version(b), await version(c)]).toEqual(['7', '4', '1']);
    // Installing again (a restart) keeps the versions, and rewrites nothing already installed as is.
    const triggers = async () =>
      (
        await t.database.simpleRows(
          `select tgname, oid::text as oid from pg_trigger
           where tgrelid = 'servers'::regclass and tgname like 'minefleet_server_list_%' order by tgname`,
        )
      ).map((r) => `${String(r.tgname)}:${String(r.oid)}`);
    const before = await triggers();
    expect(before).toHaveLength(4);
    expect(await installServerListVersions(t.database)).toBe(true);
    expect(await triggers()).toEqual(before);
    expect(await version(a)).toBe('7');
    // One trigger gone (a hand-edited database): the next start installs them again, and they count.
    await t.database.system((tx) => tx.execute(sql`drop trigger minefleet_server_list_updated on servers`));
    expect(await installServerListVersions(t.database)).toBe(true);
    expect(await triggers()).toHaveLength(4);
    await t.database.system((tx) => tx.execute(insert(b, 'v-again')));
    await t.database.system((tx) =>
      tx.execute(sql`update servers set status = 'stopped' where tenant_id = ${b}`),
    );
    expect(await version(b)).toBe('6');
  });

  it('is each tenant’s own: read under row-level security, written by the triggers only', async () => {
    if (backend === 'pglite') return;
    // Without a tenant setting, the app role sees no row at all.
    const none = await t.database.tenantRead({ tenantId: '00000000-0000-0000-0000-000000000000' }, [
      sql`select count(*)::int as n from server_list_versions`,
    ]);
    expect(none[0]).toEqual([{ n: 0 }]);
    const own = await t.database.tenantRead({ tenantId: a }, [
      sql`select tenant_id from server_list_versions`,
    ]);
    expect(own[0]).toEqual([{ tenant_id: a }]);
    await expect(
      t.database.tenant({ tenantId: a }, (tx) =>
        tx.execute(sql`update server_list_versions set version = 0`),
      ),
    ).rejects.toThrow();
    expect(await version(a)).toBe('7');
  });
});
