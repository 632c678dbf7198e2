import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricsSamples, servers, skus, tenants } from '@minefleet/db/schema';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { serverRow } from '@minefleet/testkit/records';
import { seedSkus } from '../skus.js';
import { MetricsStore, type MetricSampleRow } from './metrics-store.js';
import { PlayerSessions } from './player-sessions.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe.each(testBackends())('metrics store on %s', (backend) => {
  let t: TestDatabase;
  let store: MetricsStore;
  let sessions: PlayerSessions;
  let tenantId: string;
  let serverId: string;
  let skuId: string;
  const row = (name: string, status: 'running' | 'stopped') => serverRow({ tenantId, name, skuId, status });

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    store = new MetricsStore(t.database);
    sessions = new PlayerSessions(t.database);
    await seedSkus(t.database);
    await t.database.system(async (tx) => {
      const [tenant] = await tx.insert(tenants).values({ name: 'metrics' }).returning();
      tenantId = tenant!.id;
      const [sku] = await tx.select().from(skus).limit(1);
      skuId = sku!.id;
      const [server] = await tx.insert(servers).values(row('sampled', 'running')).returning();
      serverId = server!.id;
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  const sample = (at: number, players: number, cpu: number | null): MetricSampleRow => ({
    tenantId,
    serverId,
    resolution: 'raw',
    ts: new Date(at),
    playersOnline: players,
    maxPlayers: 10,
    cpuPercent: cpu,
    memoryBytes: 100_000_000 + players,
    diskBytes: 5_000,
    tps: cpu === null ? null : 20,
    mspt: null,
    pingMs: 4,
    uptimeSeconds: 60,
  });

  it('sets the player counts of a round in one go, only on servers still running', async () => {
    const [stopped] = await t.database.system((tx) =>
      tx.insert(servers).values(row('stopped-meanwhile', 'stopped')).returning(),
    );
    await store.setPlayers([
      { serverId, players: 4 },
      { serverId: stopped!.id, players: 2 },
    ]);
    const counts = async () =>
      Object.fromEntries(
        (
          await t.database.system((tx) =>
            tx.select({ id: servers.id, players: servers.playersOnline }).from(servers),
          )
        ).map((r) => [r.id, r.players]),
      );
    expect(await counts()).toEqual({ [serverId]: 4, [stopped!.id]: null });
    await store.setPlayers([{ serverId, players: 0 }]);
    expect((await counts())[serverId]).toBe(0);
    await t.database.system((tx) => tx.delete(servers).where(eq(servers.id, stopped!.id)));
  });

  it('rolls raw samples up into 1-minute and 1-hour rows (max of counts, mean of loads), idempotently', async () => {
    const base = Math.floor(Date.now() / HOUR) * HOUR - HOUR; // the previous whole hour
    await store.insertRaw([
      sample(base + 0, 0, 10),
      sample(base + 10_000, 3, 20),
      sample(base + 20_000, 1, null),
      sample(base + MINUTE + 5_000, 2, 40),
    ]);
    await store.downsample(new Date(base), new Date(base));
    await store.downsample(new Date(base), new Date(base)); // again: same rows, no duplicates
    const read = (resolution: '1m' | '1h') =>
      store.read(
        { tenantId },
        {
          serverId,
          resolution,
          from: new Date(base),
          to: new Date(base + HOUR),
          names: ['players_online', 'cpu_percent', 'tps'],
        },
      );
    const minutes = await read('1m');
    expect(minutes.map((r) => r.ts.getTime())).toEqual([base, base + MINUTE]);
    expect(minutes[0]!.values).toEqual({ players_online: 3, cpu_percent: 15, tps: 20 });
    expect(minutes[1]!.values).toEqual({ players_online: 2, cpu_percent: 40, tps: 20 });
    const hours = await read('1h');
    expect(hours).toHaveLength(1);
    expect(hours[0]!.values).toEqual({ players_online: 3, cpu_percent: 27.5, tps: 20 });
  });

  it('reads only the caller’s tenant (row-level security)', async () => {
    const other = await store.read(
      { tenantId: '00000000-0000-4000-8000-000000000000' },
      { serverId, resolution: 'raw', from: new Date(0), to: new Date(), names: ['players_online'] },
    );
    expect(other).toEqual([]);
  });

  it('deletes each resolution past its retention', async () => {
    const now = Date.now();
    await store.insertRaw([sample(now - 30 * HOUR, 1, 1), sample(now - 1_000, 1, 1)]);
    await store.prune(now, { rawMs: 24 * HOUR, minuteMs: 7 * 24 * HOUR, hourMs: 90 * 24 * HOUR });
    const raw = await t.database.system((tx) =>
      tx
        .select({ ts: metricsSamples.ts })
        .from(metricsSamples)
        .where(and(eq(metricsSamples.serverId, serverId), eq(metricsSamples.resolution, 'raw'))),
    );
    expect(raw.every((r) => r.ts.getTime() >= now - 24 * HOUR)).toBe(true);
    expect(raw.some((r) => r.ts.getTime() === now - 1_000)).toBe(true);
  });

  it('records sessions: a missed leave is closed by the next join, and all close when the server stops', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    await sessions.join(tenantId, serverId, 'alex', at(0));
    await sessions.join(tenantId, serverId, 'alex', at(10)); // the leave line was missed
    await sessions.join(tenantId, serverId, 'sam', at(20));
    await sessions.leave(serverId, 'sam', at(30));
    expect(await sessions.closeAll(serverId, at(40))).toBe(1);
    const { items, total } = await sessions.list({ tenantId }, { serverId, page: 1, perPage: 10 });
    expect(total).toBe(3);
    const byStart = items.map((s) => [s.playerName, s.joinedAt.getTime(), s.leftAt?.getTime()]);
    expect(byStart).toEqual([
      ['sam', at(20).getTime(), at(30).getTime()],
      ['alex', at(10).getTime(), at(40).getTime()],
      ['alex', at(0).getTime(), at(10).getTime()],
    ]);
    const online = await sessions.list({ tenantId }, { serverId, online: true, page: 1, perPage: 10 });
    expect(online.total).toBe(0);
  });

  it('a player count taken while a player was still logging in does not close the session it just opened', async () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 2, 0, 0, s));
    await sessions.join(tenantId, serverId, 'early', at(0));
    await sessions.join(tenantId, serverId, 'newcomer', at(55));
    // A count of 0 at 0:56, which does not see players who joined in the 10 s before it.
    expect(await sessions.closeAll(serverId, at(56), at(46))).toBe(1);
    const online = await sessions.list({ tenantId }, { serverId, online: true, page: 1, perPage: 10 });
    expect(online.items.map((s) => s.playerName)).toEqual(['newcomer']);
    expect(await sessions.closeAll(serverId, at(70))).toBe(1);
  });
});
