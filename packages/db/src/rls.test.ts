import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { serverRow } from '@minefleet/testkit/records';
import { rowsOf } from './database.js';
import {
  TENANT_TABLES,
  auditEvents,
  customRoles,
  memberships,
  servers,
  skus,
  tenants,
  users,
} from './schema.js';

/** Drizzle wraps driver errors; the SQLSTATE and message are on the cause. */
function isSqlState(code: string, message: RegExp) {
  return (error: unknown): boolean => {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return cause?.code === code && message.test(cause.message ?? '');
  };
}

describe.each(testBackends())('row-level security on %s', (backend) => {
  let t: TestDatabase;
  let tenantA: string;
  let tenantB: string;
  let userA: string;
  let roleB: string;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    await t.database.system(async (tx) => {
      await tx.insert(skus).values({
        id: 'test',
        name: 'Test',
        description: '',
        cpuMillicores: 1000,
        memoryMb: 1024,
        storageMb: 1024,
        maxPlayers: 10,
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
      const [ua, ub] = await tx
        .insert(users)
        .values([
          { email: 'a@example.com', passwordHash: 'x', displayName: 'A' },
          { email: 'b@example.com', passwordHash: 'x', displayName: 'B' },
        ])
        .returning();
      await tx.insert(memberships).values([
        { tenantId: tenantA, userId: ua!.id, role: 'owner' },
        { tenantId: tenantB, userId: ub!.id, role: 'owner' },
      ]);
      userA = ua!.id;
      await tx
        .insert(customRoles)
        .values({ tenantId: tenantA, name: 'a-mods', permissions: ['player.kick'] });
      const [rb] = await tx
        .insert(customRoles)
        .values({ tenantId: tenantB, name: 'b-mods', permissions: ['player.kick'] })
        .returning();
      roleB = rb!.id;
      await tx
        .insert(servers)
        .values([
          serverRow({ skuId: 'test', tenantId: tenantA, name: 'a-one' }),
          serverRow({ skuId: 'test', tenantId: tenantA, name: 'a-two' }),
          serverRow({ skuId: 'test', tenantId: tenantB, name: 'b-one' }),
        ]);
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('a query with no tenant filter returns only the current tenant’s rows', async () => {
    const namesA = await t.database.tenant({ tenantId: tenantA }, (tx) => tx.select().from(servers));
    expect(namesA.map((s) => s.name).sort()).toEqual(['a-one', 'a-two']);
    const namesB = await t.database.tenant({ tenantId: tenantB }, (tx) => tx.select().from(servers));
    expect(namesB.map((s) => s.name)).toEqual(['b-one']);
    // Even naming the other tenant explicitly finds nothing.
    const cross = await t.database.tenant({ tenantId: tenantA }, (tx) =>
      tx.select().from(servers).where(eq(servers.tenantId, tenantB)),
    );
    expect(cross).toEqual([]);
  });

  it('cannot insert a row for another tenant', async () => {
    await expect(
      t.database.tenant({ tenantId: tenantA }, (tx) =>
        tx.insert(servers).values({
          tenantId: tenantB,
          name: 'sneaky',
          skuId: 'test',
          distribution: 'flying-squid',
          minecraftVersion: '1.20.2',
          cpuMillicores: 1,
          memoryMb: 1,
          storageMb: 1,
          maxPlayers: 1,
          serverProperties: {},
        }),
      ),
    ).rejects.toSatisfy(isSqlState('42501', /row-level security/));
    const all = await t.database.system((tx) => tx.select().from(servers).where(eq(servers.name, 'sneaky')));
    expect(all).toEqual([]);
  });

  it('cannot update or delete another tenant’s rows', async () => {
    const updated = await t.database.tenant({ tenantId: tenantA }, (tx) =>
      tx.update(servers).set({ name: 'hijacked' }).where(eq(servers.tenantId, tenantB)).returning(),
    );
    expect(updated).toEqual([]);
    const deleted = await t.database.tenant({ tenantId: tenantA }, (tx) =>
      tx.delete(servers).where(eq(servers.name, 'b-one')).returning(),
    );
    expect(deleted).toEqual([]);
    const still = await t.database.system((tx) => tx.select().from(servers).where(eq(servers.name, 'b-one')));
    expect(still).toHaveLength(1);
  });

  it('sees only its own tenant row and the users who are its members', async () => {
    const visible = await t.database.tenant({ tenantId: tenantA }, async (tx) => ({
      tenants: await tx.select().from(tenants),
      users: await tx.select().from(users),
    }));
    expect(visible.tenants.map((x) => x.id)).toEqual([tenantA]);
    expect(visible.users.map((u) => u.email)).toEqual(['a@example.com']);
  });

  it('without a tenant set, the application role sees nothing', async () => {
    const rows = await t.database.drizzle.transaction(async (tx) => {
      await tx.execute(sql`select set_config('role', 'minefleet_app', true)`);
      return rowsOf(await tx.execute(sql`select * from servers`));
    });
    expect(rows).toEqual([]);
  });

  it('the application role cannot write platform tables or audit rows of another tenant', async () => {
    await expect(
      t.database.tenant({ tenantId: tenantA }, (tx) => tx.update(skus).set({ name: 'x' })),
    ).rejects.toSatisfy(isSqlState('42501', /permission denied/));
    await expect(
      t.database.tenant({ tenantId: tenantA }, (tx) =>
        tx.insert(auditEvents).values({ tenantId: tenantB, action: 'x', outcome: 'success' }),
      ),
    ).rejects.toSatisfy(isSqlState('42501', /row-level security/));
  });

  it('custom roles: each tenant sees, changes and gives only its own', async () => {
    const seen = await t.database.tenant({ tenantId: tenantA }, (tx) => tx.select().from(customRoles));
    expect(seen.map((r) => r.name)).toEqual(['a-mods']);
    const renamed = await t.database.tenant({ tenantId: tenantA }, (tx) =>
      tx.update(customRoles).set({ name: 'hijacked' }).where(eq(customRoles.id, roleB)).returning(),
    );
    expect(renamed).toEqual([]);
    const deleted = await t.database.tenant({ tenantId: tenantA }, (tx) =>
      tx.delete(customRoles).where(eq(customRoles.id, roleB)).returning(),
    );
    expect(deleted).toEqual([]);
    await expect(
      t.database.tenant({ tenantId: tenantA }, (tx) =>
        tx.insert(customRoles).values({ tenantId: tenantB, name: 'sneaky', permissions: ['server.delete'] }),
      ),
    ).rejects.toSatisfy(isSqlState('42501', /row-level security/));
    // A membership can point only at a role of its own tenant, even where row-level security is off.
    await expect(
      t.database.system((tx) =>
        tx.update(memberships).set({ customRoleId: roleB }).where(eq(memberships.userId, userA)),
      ),
    ).rejects.toSatisfy(isSqlState('23503', /memberships_custom_role_fk/));
    const still = await t.database.system((tx) =>
      tx.select().from(customRoles).where(eq(customRoles.id, roleB)),
    );
    expect(still.map((r) => r.name)).toEqual(['b-mods']);
  });

  it('every tenant table has row-level security enabled, forced and the tenant policy', async () => {
    const rows = await t.database.system(async (tx) =>
      rowsOf<{ name: string; enabled: boolean; forced: boolean; policy: boolean }>(
        await tx.execute(sql`
          select c.relname as name, c.relrowsecurity as enabled, c.relforcerowsecurity as forced,
                 exists (select 1 from pg_policies p where p.tablename = c.relname
                         and p.policyname = 'tenant_isolation') as policy
          from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where n.nspname = 'public' and c.relkind = 'r'`),
      ),
    );
    const byName = new Map(rows.map((r) => [String(r.name), r]));
    for (const table of TENANT_TABLES) {
      expect(byName.get(table), table).toMatchObject({ enabled: true, forced: true, policy: true });
    }
  });
});
