import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { Leases } from '../leases.js';
import { silentLogger } from '../logger.js';
import type { OwnershipChange } from './ownership.js';
import { shardOf } from './shard-of.js';
import { ShardedOwnership } from './sharded-ownership.js';

const SHARDS = 8;
const TTL = 1_500;

/** Leases whose database calls can be made to hang, as for a replica cut off from the database. */
class CuttableLeases extends Leases {
  cut = false;
  private hang<T>(call: () => Promise<T>): Promise<T> {
    return this.cut ? new Promise<T>(() => {}) : call();
  }
  override acquire(...args: Parameters<Leases['acquire']>) {
    return this.hang(() => super.acquire(...args));
  }
  override renew(...args: Parameters<Leases['renew']>) {
    return this.hang(() => super.renew(...args));
  }
  override list(prefix: string) {
    return this.hang(() => super.list(prefix));
  }
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(testBackends())('sharded ownership on %s', (backend) => {
  let t: TestDatabase;
  const servers = Array.from({ length: 64 }, () => randomUUID());

  beforeAll(async () => {
    t = await createTestDatabase(backend);
  });
  afterAll(async () => {
    await t?.close();
  });

  const replica = (id: string, leases = new Leases(t.database)) => {
    const changes: OwnershipChange[] = [];
    const ownership = new ShardedOwnership({
      leases,
      replicaId: id,
      shards: SHARDS,
      ttlMs: TTL,
      intervalMs: 300,
      logger: silentLogger,
    });
    ownership.onChange((c) => changes.push(c));
    return { ownership, changes, leases };
  };

  it('spreads shards over the live replicas, each server owned by exactly one, and hands them back on stop', async () => {
    const a = replica('replica-a');
    await a.ownership.start();
    expect(a.ownership.describe().shards_held).toHaveLength(SHARDS);
    expect(a.ownership.leads()).toBe(true);
    expect(servers.every((s) => a.ownership.owns(s))).toBe(true);

    const b = replica('replica-b');
    await b.ownership.start();
    await until(
      () =>
        a.ownership.describe().shards_held.length === 4 && b.ownership.describe().shards_held.length === 4,
    );
    for (const s of servers) expect(Number(a.ownership.owns(s)) + Number(b.ownership.owns(s))).toBe(1);
    expect(a.ownership.leads()).toBe(true); // shard 0 moves last
    const moved = b.changes.filter((c) => c.kind === 'gained');
    expect(moved.length).toBe(4);
    expect(moved.every((c) => !c.takeover)).toBe(true); // handed over, nothing to recover

    await a.ownership.stop();
    await until(() => b.ownership.describe().shards_held.length === SHARDS);
    expect(b.ownership.leads()).toBe(true);
    expect(servers.every((s) => b.ownership.owns(s))).toBe(true);
    await b.ownership.stop();
  });

  it('a replica cut off from the database stops owning before another takes over (no split brain)', async () => {
    const c = replica('replica-c', new CuttableLeases(t.database));
    await c.ownership.start();
    const d = replica('replica-d');
    await d.ownership.start();
    await until(
      () =>
        c.ownership.describe().shards_held.length === 4 && d.ownership.describe().shards_held.length === 4,
    );

    let overlap = 0;
    const watch = setInterval(() => {
      for (let shard = 0; shard < SHARDS; shard++) {
        const s = servers.find((id) => shardOf(id, SHARDS) === shard);
        if (s && c.ownership.owns(s) && d.ownership.owns(s)) overlap++;
      }
    }, 5);
    (c.leases as CuttableLeases).cut = true;
    await until(() => d.ownership.describe().shards_held.length === SHARDS, 15_000);
    clearInterval(watch);
    expect(overlap).toBe(0);
    expect(c.ownership.describe().shards_held).toEqual([]);
    expect(c.changes.filter((x) => x.kind === 'lost').length).toBeGreaterThanOrEqual(4);
    // d took c's shards after they expired: takeovers, so work c left half-done is resumed.
    expect(d.changes.some((x) => x.kind === 'gained' && x.takeover)).toBe(true);
    await d.ownership.stop();
    // c's database calls hang forever here (a real driver would time out): it is left as it is.
  });

  it('hashes a server to the same shard everywhere', () => {
    for (const s of servers) expect(shardOf(s, SHARDS)).toBe(shardOf(s, SHARDS));
    const counts = new Array(SHARDS).fill(0);
    for (let i = 0; i < 8_000; i++) counts[shardOf(randomUUID(), SHARDS)]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
  });
});
