import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  memberships,
  portAllocations,
  serverConfigRevisions,
  servers,
  tenants,
  users,
} from '@minefleet/db/schema';
import { systemClock } from '@minefleet/domain/clock';
import { DomainError } from '@minefleet/domain/errors';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import type { Actor } from './actor.js';
import { PortAllocator } from './port-allocator.js';
import { ServerService, type CreateServerInput } from './servers.js';
import { SkuService, seedSkus } from './skus.js';

/**
 * Creates and port claims that arrive together are written together (coalesce.ts): these calls are made
 * in one turn of the event loop, so each burst is one batch, and each call must still get the answer it
 * would get alone.
 */
describe.each(testBackends())('a burst of creates and port claims on %s', (backend) => {
  let db: TestDatabase;
  let actor: Actor;
  let service: ServerService;
  let ports: PortAllocator;

  beforeAll(async () => {
    db = await createTestDatabase(backend);
    await seedSkus(db.database);
    const [tenant] = await db.database.system((tx) =>
      tx.insert(tenants).values({ name: 'burst', maxServers: 6 }).returning(),
    );
    const [user] = await db.database.system((tx) =>
      tx
        .insert(users)
        .values({ email: 'burst@example.com', passwordHash: 'x', displayName: 'B' })
        .returning(),
    );
    await db.database.system((tx) =>
      tx.insert(memberships).values({ tenantId: tenant!.id, userId: user!.id, role: 'owner' }),
    );
    actor = { userId: user!.id, tenantId: tenant!.id, role: 'owner' };
    // Room for 5 servers of 1 GB at once: the sixth claim of a burst is refused.
    ports = new PortAllocator(
      db.database,
      { from: 30_000, to: 30_100 },
      { hostMemoryMb: 5 * 1024, maxRunningPerTenant: null },
    );
    service = new ServerService({
      db: db.database,
      clock: systemClock,
      skus: new SkuService(db.database),
      ports,
      catalogue: async () => [
        { distribution: 'flying-squid', versions: ['1.20.2'], available: true } as never,
      ],
      quotas: { maxServers: 100, maxMemoryMb: 1_000_000 },
      hooks: { created: () => {} },
    });
  });
  afterAll(async () => {
    await db?.close();
  });

  const input = (name: string, more: Partial<CreateServerInput> = {}): CreateServerInput => ({
    name,
    skuId: 'starter',
    minecraftVersion: '1.20.2',
    ...more,
  });
  const codeOf = (r: PromiseSettledResult<{ name: string }>) =>
    r.status === 'fulfilled'
      ? r.value.name
      : r.reason instanceof DomainError
        ? r.reason.code
        : String(r.reason);

  it('writes one burst in one transaction, each create checked in order as if alone', async () => {
    await service.create(actor, input('taken'));
    const results = await Promise.allSettled([
      service.create(actor, input('one')),
      service.create(actor, input('taken')),
      service.create(actor, input('one')),
      service.create(actor, input('no-plan', { skuId: 'no-such-plan' })),
      service.create(actor, input('crowded', { maxPlayers: 10_000 })),
      service.create(actor, input('two')),
      service.create(actor, input('three')),
      service.create(actor, input('four')),
      service.create(actor, input('five')),
      service.create(actor, input('six')),
    ]);
    expect(results.map(codeOf)).toEqual([
      'one',
      'SERVER_NAME_TAKEN',
      'SERVER_NAME_TAKEN',
      'INVALID_SKU',
      'VALIDATION_FAILED',
      'two',
      'three',
      'four',
      'five',
      // The quota (6) counts the ones before it in the burst: 'taken' and five more.
      'QUOTA_EXCEEDED',
    ]);
    const rows = await db.database.system((tx) =>
      tx.select().from(servers).where(eq(servers.tenantId, actor.tenantId)),
    );
    const burst = rows.filter((r) => r.name !== 'taken');
    expect(burst.map((r) => r.name).sort()).toEqual(['five', 'four', 'one', 'three', 'two']);
    // One transaction: now() is the same for every row it wrote.
    expect(new Set(burst.map((r) => r.createdAt.getTime())).size).toBe(1);
    // Each has revision 1, recorded as its first configuration revision.
    expect(burst.every((r) => r.configRevision === 1)).toBe(true);
    const revisions = await db.database.system((tx) =>
      tx
        .select({ serverId: serverConfigRevisions.serverId, revision: serverConfigRevisions.revision })
        .from(serverConfigRevisions)
        .where(eq(serverConfigRevisions.tenantId, actor.tenantId)),
    );
    expect(revisions.filter((r) => burst.some((b) => b.id === r.serverId))).toHaveLength(5);
    expect(revisions.every((r) => r.revision === 1)).toBe(true);
  });

  it('claims ports for a burst at once: distinct ports, the host limit in order, a repeated claim its own port', async () => {
    const rows = await db.database.system((tx) =>
      tx.select().from(servers).where(eq(servers.tenantId, actor.tenantId)).orderBy(servers.name),
    );
    expect(rows).toHaveLength(6);
    const claim = (i: number) => ({
      id: rows[i]!.id,
      tenantId: actor.tenantId,
      memoryMb: 1024,
      lastPort: null,
    });
    const held = await ports.allocate(claim(0));
    const results = await Promise.allSettled([
      ports.allocate(claim(1)),
      ports.allocate(claim(0)), // holds one already
      ports.allocate(claim(2)),
      ports.allocate(claim(1)), // twice in the burst
      ports.allocate(claim(3)),
      ports.allocate(claim(4)),
      ports.allocate(claim(5)), // the sixth GB: over the host's share
    ]);
    const value = (r: PromiseSettledResult<number>) =>
      r.status === 'fulfilled' ? r.value : (r.reason as DomainError).code;
    const answers = results.map(value);
    expect(answers[1]).toBe(held);
    expect(answers[3]).toBe(answers[0]);
    expect(answers[6]).toBe('HOST_CAPACITY');
    const given = [held, answers[0], answers[2], answers[4], answers[5]];
    expect(new Set(given).size).toBe(5);
    for (const port of given) expect(port).toEqual(expect.any(Number));
    // What the database holds agrees: one allocation per admitted server, its record says so.
    const allocations = await db.database.system((tx) => tx.select().from(portAllocations));
    expect(allocations.map((a) => a.port).sort()).toEqual([...given].sort());
    // The burst's new claims were one transaction: now() is the same for each.
    const burst = allocations.filter((a) => a.port !== held);
    expect(burst).toHaveLength(4);
    expect(new Set(burst.map((a) => a.allocatedAt.getTime())).size).toBe(1);
    const after = await db.database.system((tx) =>
      tx.select().from(servers).where(eq(servers.tenantId, actor.tenantId)).orderBy(servers.name),
    );
    for (let i = 0; i < 5; i++)
      expect(after[i]!.port).toBe(allocations.find((a) => a.serverId === after[i]!.id)?.port);
    expect(after[5]!.port).toBeNull();
    expect(after.filter((r) => r.lastPort !== null)).toHaveLength(5);
    await db.database.system((tx) => tx.execute(sql`delete from port_allocations`));
  });
});
