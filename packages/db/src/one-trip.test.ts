import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { inline, literal, mapRows } from './one-trip.js';
import { servers, skus, tenants } from './schema.js';

/** Values that must come back exactly as sent, never as SQL. */
const HOSTILE = [
  "'; drop table servers; --",
  "\\'; select 1; --",
  'back\\slash\\\\double',
  "it's",
  '$1 $2 $10',
  "E'\\x00'",
  'line\nbreak\r\ttab',
  'ünïcødé ✓ 𝔐',
  '',
  '"quoted" `ticks`',
];

describe.each(testBackends())('single-round-trip reads on %s', (backend) => {
  let t: TestDatabase;
  let tenantA: string;
  let tenantB: string;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    await t.database.system(async (tx) => {
      await tx.insert(skus).values({
        id: 'trip',
        name: 'Trip',
        description: '',
        cpuMillicores: 1,
        memoryMb: 1,
        storageMb: 1,
        maxPlayers: 1,
        monthlyPriceCents: 0,
        defaultProperties: {},
        backupStorageBytes: 0,
      });
      const [a, b] = await tx
        .insert(tenants)
        .values([{ name: 'A' }, { name: 'B' }])
        .returning();
      tenantA = a!.id;
      tenantB = b!.id;
      const base = {
        skuId: 'trip',
        distribution: 'flying-squid' as const,
        minecraftVersion: '1.20.2',
        cpuMillicores: 1,
        memoryMb: 1,
        storageMb: 1,
        maxPlayers: 1,
      };
      await tx.insert(servers).values([
        {
          ...base,
          tenantId: tenantA,
          name: 'a-one',
          serverProperties: { motd: HOSTILE[0]!, pvp: true, 'view-distance': 8 },
        },
        { ...base, tenantId: tenantB, name: 'b-one', serverProperties: {} },
      ]);
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it.each(HOSTILE)('a literal comes back exactly as it went in: %j', async (value) => {
    const [rows] = await t.database.tenantRead({ tenantId: tenantA }, [sql`select ${value}::text as v`]);
    expect(rows![0]!.v).toBe(value);
    expect(literal(value).startsWith("E'")).toBe(true);
  });

  it('inlines numbers, booleans, null and dates', async () => {
    const when = new Date('2026-11-26T10:00:00.123Z');
    const [rows] = await t.database.tenantRead({ tenantId: tenantA }, [
      sql`select ${42}::int as n, ${true}::boolean as b, ${null}::text as z, ${when} as d`,
    ]);
    expect(rows![0]).toMatchObject({ n: 42, b: true, z: null });
    expect(new Date(rows![0]!.d as string).toISOString()).toBe(when.toISOString());
    expect(() => literal(Number.NaN)).toThrow();
    expect(() => literal('nul\u0000byte')).toThrow();
  });

  it('applies row-level security: no filter, still only the tenant’s rows; typed like drizzle’s select', async () => {
    const [mine, count] = await t.database.tenantRead({ tenantId: tenantA }, [
      t.database.drizzle.select().from(servers),
      t.database.drizzle.select({ n: sql<number>`count(*)`.as('n') }).from(servers),
    ]);
    const typed = mapRows(servers, mine!);
    expect(typed.map((s) => s.name)).toEqual(['a-one']);
    expect(Number(count![0]!.n)).toBe(1);
    expect(typed[0]!.createdAt).toBeInstanceOf(Date);
    expect(typed[0]!.serverProperties).toEqual({ motd: HOSTILE[0], pvp: true, 'view-distance': 8 });
    const viaDrizzle = await t.database.tenant({ tenantId: tenantA }, (tx) => tx.select().from(servers));
    expect(typed).toEqual(viaDrizzle);
    const [cross] = await t.database.tenantRead({ tenantId: tenantA }, [
      t.database.drizzle.select().from(servers).where(eq(servers.tenantId, tenantB)),
    ]);
    expect(cross).toEqual([]);
  });

  it('a value cannot smuggle a second statement or a placeholder', async () => {
    const query = t.database.drizzle
      .select()
      .from(servers)
      .where(eq(servers.name, "x'; delete from servers; --"));
    expect(inline(query)).toContain("E'x''; delete from servers; --'");
    const [rows] = await t.database.tenantRead({ tenantId: tenantA }, [query]);
    expect(rows).toEqual([]);
    const all = await t.database.system((tx) => tx.select().from(servers));
    expect(all).toHaveLength(2);
    const [two] = await t.database.tenantRead({ tenantId: tenantA }, [
      sql`select ${'$2'}::text as a, ${'second'}::text as b`,
    ]);
    expect(two![0]).toEqual({ a: '$2', b: 'second' });
  });
});
