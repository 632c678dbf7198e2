import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { leases } from '@minefleet/db/schema';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { LeaseKeeper, type LeaseLossReason } from './leases-keeper.js';
import { Leases } from './leases.js';

const TTL_MS = 1_000;
const INTERVAL_MS = 100;
/** Generous, so a loaded test machine's late timers still let go before the lease expires. */
const MARGIN_MS = 250;

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe.each(testBackends())('LeaseKeeper on %s', (backend) => {
  let t: TestDatabase;
  let store: Leases;
  const keepers: LeaseKeeper[] = [];

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    store = new Leases(t.database);
  });

  afterEach(async () => {
    await Promise.all(keepers.splice(0).map((k) => k.stop()));
  });

  afterAll(async () => {
    await t?.close();
  });

  function keeper(name: string, holder: string) {
    const events: (LeaseLossReason | 'acquired')[] = [];
    const signals: AbortSignal[] = [];
    const k = new LeaseKeeper({
      leases: store,
      name,
      holder,
      ttlMs: TTL_MS,
      intervalMs: INTERVAL_MS,
      safetyMarginMs: MARGIN_MS,
      onAcquired: (signal) => {
        events.push('acquired');
        signals.push(signal);
      },
      onLost: (reason) => events.push(reason),
    });
    keepers.push(k);
    return { keeper: k, events, signals };
  }

  it('two replicas: exactly one holds at any time, and the other takes over when it stops', async () => {
    const name = `keeper-${randomUUID()}`;
    const a = keeper(name, 'replica-a');
    const b = keeper(name, 'replica-b');
    a.keeper.start();
    b.keeper.start();
    await until(() => a.keeper.held || b.keeper.held, 'a holder');
    // Watch across several renewal rounds: never both, never neither once someone holds.
    const watchUntil = Date.now() + TTL_MS;
    while (Date.now() < watchUntil) {
      expect(Number(a.keeper.held) + Number(b.keeper.held)).toBe(1);
      await new Promise((r) => setTimeout(r, 5));
    }
    const [holder, other] = a.keeper.held ? [a, b] : [b, a];
    expect(holder.events).toEqual(['acquired']);
    expect(other.events).toEqual([]);

    const handedOverAt = Date.now();
    await holder.keeper.stop();
    expect(holder.events).toEqual(['acquired', 'stopped']);
    expect(holder.signals[0]!.aborted).toBe(true);
    expect(holder.signals[0]!.reason).toBe('stopped');
    // Released, not left to expire: the other replica takes it within about one interval.
    await until(() => other.keeper.held, 'the other replica to take over');
    expect(Date.now() - handedOverAt).toBeLessThan(TTL_MS);
    expect((await store.current(name))?.holder).toBe(other === a ? 'replica-a' : 'replica-b');
  });

  it('reports `taken` and aborts its signal when another holder got the lease', async () => {
    const name = `stolen-${randomUUID()}`;
    const a = keeper(name, 'replica-a');
    a.keeper.start();
    await until(() => a.keeper.held, 'the lease');
    // What a long pause (GC, suspended VM) past the expiry looks like from the database's side.
    await t.database.system((tx) =>
      tx
        .update(leases)
        .set({ holder: 'replica-z' })
        .where(sql`${leases.name} = ${name}`),
    );
    await until(() => !a.keeper.held, 'the loss to be noticed', TTL_MS);
    expect(a.events).toEqual(['acquired', 'taken']);
    expect(a.signals[0]!.reason).toBe('taken');
  });

  it('reports `expired` by its local deadline while a renewal hangs in the database', async () => {
    const name = `hung-${randomUUID()}`;
    const a = keeper(name, 'replica-a');
    a.keeper.start();
    await until(() => a.keeper.held, 'the lease');
    // Hold the lease row locked (on PGlite: the whole database) so every renewal hangs unanswered.
    let unlock!: () => void;
    const locked = new Promise<void>((resolve) => (unlock = resolve));
    let lockedAt = 0;
    const holdLock = t.database.system(async (tx) => {
      await tx.execute(sql`select * from leases where name = ${name} for update`);
      lockedAt = performance.now();
      await locked;
    });
    try {
      await until(() => lockedAt > 0, 'the row lock');
      await until(() => !a.keeper.held, 'the deadline', 2 * TTL_MS);
      // The last successful renewal was sent before the lock, so the deadline (sent + ttl - margin)
      // falls within one TTL of it; the keeper did not wait for the hanging call.
      expect(performance.now() - lockedAt).toBeLessThan(TTL_MS);
      expect(a.events).toEqual(['acquired', 'expired']);
      expect(a.signals[0]!.reason).toBe('expired');
    } finally {
      unlock();
      await holdLock;
    }
  });

  it('refuses timings that could never renew in time', () => {
    expect(
      () => new LeaseKeeper({ leases: store, name: 'x', holder: 'a', ttlMs: 100, intervalMs: 95 }),
    ).toThrow(RangeError);
  });
});
