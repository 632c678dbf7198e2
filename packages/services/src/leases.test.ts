import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '@minefleet/db/database';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { Leases } from './leases.js';

describe.each(testBackends())('leases on %s', (backend) => {
  let t: TestDatabase;
  let store: Leases;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    store = new Leases(t.database);
  });

  afterAll(async () => {
    await t?.close();
  });

  async function dbNow(): Promise<Date> {
    const [row] = rowsOf<{ now: Date | string }>(await t.database.drizzle.execute(sql`select now() as now`));
    return new Date(row!.now);
  }

  async function untilExpired(name: string): Promise<void> {
    while (await store.current(name)) await new Promise((r) => setTimeout(r, 10));
  }

  it('grants a free lease until the database clock’s now + ttl', async () => {
    const name = `free-${randomUUID()}`;
    const before = await dbNow();
    const grant = await store.acquire(name, 'replica-a', 30_000);
    expect(grant).toMatchObject({ name, holder: 'replica-a' });
    expect(grant!.expiresAt).toBeInstanceOf(Date);
    const ms = grant!.expiresAt.getTime() - before.getTime();
    expect(ms).toBeGreaterThanOrEqual(30_000);
    expect(ms).toBeLessThan(35_000);
    expect(await store.current(name)).toEqual(grant);
  });

  it('of many holders racing for one lease, exactly one wins', async () => {
    const name = `race-${randomUUID()}`;
    const holders = Array.from({ length: 10 }, (_, i) => `replica-${i}`);
    const grants = await Promise.all(holders.map((holder) => store.acquire(name, holder, 30_000)));
    const winners = grants.filter((g) => g !== null);
    expect(winners).toHaveLength(1);
    expect((await store.current(name))?.holder).toBe(winners[0]!.holder);
  });

  it('refuses another holder while held; the holder re-acquiring extends it', async () => {
    const name = `held-${randomUUID()}`;
    const first = await store.acquire(name, 'replica-a', 30_000);
    expect(await store.acquire(name, 'replica-b', 30_000)).toBeNull();
    const again = await store.acquire(name, 'replica-a', 60_000);
    expect(again!.holder).toBe('replica-a');
    expect(again!.expiresAt.getTime()).toBeGreaterThan(first!.expiresAt.getTime());
  });

  it('renews for the holder only; a non-holder’s renew fails and changes nothing', async () => {
    const name = `renew-${randomUUID()}`;
    const grant = await store.acquire(name, 'replica-a', 10_000);
    expect(await store.renew(name, 'replica-b', 60_000)).toBeNull();
    expect(await store.current(name)).toEqual(grant);
    const renewed = await store.renew(name, 'replica-a', 60_000);
    expect(renewed!.holder).toBe('replica-a');
    expect(renewed!.expiresAt.getTime()).toBeGreaterThan(grant!.expiresAt.getTime());
    expect(await store.renew(`missing-${randomUUID()}`, 'replica-a', 1_000)).toBeNull();
  });

  it('hands over on expiry: another holder takes it, the old holder can no longer renew', async () => {
    const name = `expiry-${randomUUID()}`;
    expect(await store.acquire(name, 'replica-a', 150)).not.toBeNull();
    expect(await store.acquire(name, 'replica-b', 30_000)).toBeNull();
    await untilExpired(name);
    const taken = await store.acquire(name, 'replica-b', 30_000);
    expect(taken!.holder).toBe('replica-b');
    expect(await store.renew(name, 'replica-a', 30_000)).toBeNull();
    expect((await store.current(name))?.holder).toBe('replica-b');
  });

  it('does not revive an expired lease by renewing it, even if nobody took it', async () => {
    const name = `lapsed-${randomUUID()}`;
    await store.acquire(name, 'replica-a', 100);
    await untilExpired(name);
    expect(await store.renew(name, 'replica-a', 30_000)).toBeNull();
    expect((await store.acquire(name, 'replica-a', 30_000))?.holder).toBe('replica-a');
  });

  it('release frees the lease at once, but only for its holder', async () => {
    const name = `release-${randomUUID()}`;
    await store.acquire(name, 'replica-a', 60_000);
    expect(await store.release(name, 'replica-b')).toBe(false);
    expect((await store.current(name))?.holder).toBe('replica-a');
    expect(await store.release(name, 'replica-a')).toBe(true);
    expect(await store.current(name)).toBeNull();
    expect((await store.acquire(name, 'replica-b', 60_000))?.holder).toBe('replica-b');
    expect(await store.release(name, 'replica-a')).toBe(false);
  });

  it('rejects empty names and holders and TTLs that are not whole positive milliseconds', async () => {
    await expect(store.acquire('', 'a', 1_000)).rejects.toThrow(RangeError);
    await expect(store.acquire('x', '', 1_000)).rejects.toThrow(RangeError);
    for (const ttl of [0, -1, 1.5, Number.NaN, 25 * 60 * 60 * 1000]) {
      await expect(store.acquire('x', 'a', ttl)).rejects.toThrow(RangeError);
    }
  });
});
