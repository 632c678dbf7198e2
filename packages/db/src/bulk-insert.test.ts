import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { insertAsJson } from '@minefleet/db/bulk-insert';
import { serverRow, type ServerInsert } from '@minefleet/testkit/records';
import { servers, tenants } from '@minefleet/db/schema';

describe.each(testBackends())('insertAsJson on %s', (backend) => {
  let t: TestDatabase;
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    await t.database.system((tx) =>
      tx.execute(sql`insert into skus (id, name, description, cpu_millicores, memory_mb, storage_mb, max_players,
        monthly_price_cents, default_properties, backup_storage_bytes)
        values ('bulk', 'bulk', '', 1000, 1024, 1024, 10, 0, '{}'::jsonb, 0)`),
    );
    const made = await t.database.system((tx) =>
      tx
        .insert(tenants)
        .values([{ name: 'bulk-a' }, { name: 'bulk-b' }])
        .returning(),
    );
    [tenantA, tenantB] = made.map((r) => r.id) as [string, string];
  });
  afterAll(async () => {
    await t?.close();
  });

  const properties = { motd: 'It\'s "quoted" \\ and ünïcode', 'view-distance': 8, pvp: false };
  const server = (tenantId: string, name: string, more: Partial<ServerInsert> = {}) =>
    serverRow({ tenantId, name, skuId: 'bulk', serverProperties: properties, ...more });

  it('writes every row with its values as given (JSON, text, dates) and the defaults for the fields left out', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const ids = await t.database.system((tx) =>
      insertAsJson(tx, servers, [
        server(tenantA, 'bulk-1', { lastCrashAt: at }),
        server(tenantA, "bulk-2'; drop table servers; --", { lastCrashAt: at }),
      ]),
    );
    expect(ids).toHaveLength(2);
    const rows = await t.database.system((tx) =>
      tx.select().from(servers).where(inArray(servers.id, ids)).orderBy(servers.name),
    );
    expect(rows.map((r) => r.name)).toEqual(['bulk-1', "bulk-2'; drop table servers; --"]);
    for (const row of rows) {
      expect(row.serverProperties).toEqual(properties);
      expect(row.lastCrashAt?.toISOString()).toBe(at.toISOString());
      // Left out: the column's default.
      expect(row.status).toBe('deploying');
      expect(row.generation).toBe(0);
      expect(row.createdAt).toBeInstanceOf(Date);
    }
  });

  it('refuses rows of different shapes and unknown fields, writing nothing', async () => {
    await expect(
      t.database.system((tx) =>
        insertAsJson(tx, servers, [server(tenantA, 'shape-1'), server(tenantA, 'shape-2', { port: 25_565 })]),
      ),
    ).rejects.toThrow('every row must give the same fields');
    await expect(
      t.database.system((tx) =>
        insertAsJson(tx, servers, [{ ...server(tenantA, 'shape-3'), nonsense: 1 } as never]),
      ),
    ).rejects.toThrow('has no field nonsense');
    const left = await t.database.system((tx) =>
      tx.select().from(servers).where(eq(servers.tenantId, tenantA)),
    );
    expect(left.map((r) => r.name).filter((n) => n.startsWith('shape'))).toEqual([]);
    expect(await t.database.system((tx) => insertAsJson(tx, servers, []))).toEqual([]);
  });

  it('stays under row-level security: a tenant cannot insert rows of another tenant', async () => {
    await expect(
      t.database.tenant({ tenantId: tenantA }, (tx) =>
        insertAsJson(tx, servers, [server(tenantA, 'mine'), server(tenantB, 'theirs')]),
      ),
    ).rejects.toThrow();
    const ids = await t.database.tenant({ tenantId: tenantA }, (tx) =>
      insertAsJson(tx, servers, [server(tenantA, 'mine')]),
    );
    expect(ids).toHaveLength(1);
    const theirs = await t.database.system((tx) =>
      tx.select().from(servers).where(eq(servers.tenantId, tenantB)),
    );
    expect(theirs).toEqual([]);
  });
});
