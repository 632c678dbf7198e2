/**
 * The embedded database's share of a server-list request, in CPU ms per read (median of 3 × 200, one
 * process, no HTTP): the page with its count before and after ANALYZE, and the page alone (the total
 * remembered, server-counts.ts). Run: node --import tsx bench/pglite-list.ts
 */
import { connectPglite } from '@minefleet/db/connect';
import { migrate } from '@minefleet/db/migrate';
import { servers, tenants } from '@minefleet/db/schema';
import { seedSkus } from '@minefleet/services/skus';
import { desc, sql } from 'drizzle-orm';
import os from 'node:os';
const { database: db, client } = await connectPglite({});
await migrate(db);
await seedSkus(db);
const [tenant] = await db.system((tx) =>
  tx.insert(tenants).values({ name: 'B', maxServers: 2000, maxMemoryMb: 9e6 }).returning(),
);
await db.system(async (tx) => {
  for (let i = 0; i < 1000; i += 250)
    await tx.insert(servers).values(
      Array.from({ length: 250 }, (_, j) => ({
        tenantId: tenant!.id,
        name: `b-${i + j}`,
        skuId: 'starter',
        distribution: 'flying-squid' as const,
        minecraftVersion: '1.20.2',
        status: 'stopped' as const,
        cpuMillicores: 1000,
        memoryMb: 1024,
        storageMb: 5120,
        maxPlayers: 10,
        serverProperties: { motd: 'x', difficulty: 'easy' },
      })),
    );
});
const scope = { tenantId: tenant!.id, userId: undefined };
const page = db.drizzle
  .select()
  .from(servers)
  .orderBy(desc(servers.createdAt), desc(servers.id))
  .limit(20)
  .offset(0);
const count = db.drizzle.select({ n: sql<number>`count(*)`.as('n') }).from(servers);
async function cpu(fn: () => Promise<unknown>, n: number) {
  const c = process.cpuUsage();
  for (let i = 0; i < n; i++) await fn();
  const d = process.cpuUsage(c);
  return (d.user + d.system) / 1000 / n;
}
const N = 200;
const before: number[] = [];
for (let r = 0; r < 3; r++) before.push(await cpu(() => db.tenantRead(scope, [page, count]), N));
await client.exec('ANALYZE');
const analysed: number[] = [];
const after: number[] = [];
for (let r = 0; r < 3; r++) {
  analysed.push(await cpu(() => db.tenantRead(scope, [page, count]), N));
  after.push(await cpu(() => db.tenantRead(scope, [page]), N));
}
const settingsOnly: number[] = [],
  rawPage: number[] = [],
  select1: number[] = [];
const { inline } = await import('@minefleet/db/one-trip');
const pageText = inline(page);
for (let r = 0; r < 3; r++) {
  settingsOnly.push(await cpu(() => db.tenantRead(scope, []), N));
  rawPage.push(await cpu(() => client.exec('begin; ' + pageText + '; commit'), N));
  select1.push(await cpu(() => client.exec('select 1'), N));
}
const med = (a: number[]) => a.sort((x, y) => x - y)[1]!.toFixed(2);
console.log(
  `load ${os.loadavg()[0]!.toFixed(1)}; CPU ms per list read (median of 3 × ${N}): page+count, no statistics ${med(before)} | page+count after ANALYZE ${med(analysed)} | page only after ANALYZE (count remembered) ${med(after)}`,
);
console.log(
  `settings only ${med(settingsOnly)} | page as owner (no RLS) ${med(rawPage)} | select 1 ${med(select1)}`,
);
await client.close();
