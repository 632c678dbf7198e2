import { and, eq, gt, sql } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { leases } from '@minefleet/db/schema';

/** A lease as the database recorded it. `expiresAt` is on the database's clock. */
export interface LeaseGrant {
  name: string;
  holder: string;
  expiresAt: Date;
}

/** Lease names and holders are plain identifiers; TTLs are whole milliseconds. */
const MAX_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Leases: which control-plane replica owns a piece of background work (the reconcile loop, the
 * scheduler, one server's schedules) so that with several replicas each piece runs exactly once.
 *
 * Every operation is one atomic SQL statement; the row's primary key and the conditional upsert are
 * the whole protocol. No advisory locks and no LISTEN/NOTIFY, so it runs unchanged on PGlite,
 * PostgreSQL and CockroachDB.
 *
 * Time: expiry is decided by the DATABASE clock (`now()` inside each statement), never by a replica's
 * clock, so replicas with skewed clocks still agree on who holds a lease. A replica that must know
 * locally how long it may keep working measures that with its own monotonic clock from the moment it
 * sent the request (see LeaseKeeper), which errs on the side of stopping early.
 */
export class Leases {
  constructor(private readonly db: Database) {}

  /**
   * Takes the lease if it is free or expired, or extends it if `holder` already has it. Returns the
   * grant, or null when another holder has an unexpired lease. Of any number of concurrent callers
   * exactly one wins: the insert conflicts on the primary key, and the conflicting update runs on the
   * locked, committed row with the expiry condition re-checked.
   */
  async acquire(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    checkArgs(name, holder, ttlMs);
    const expiresAt = expiryIn(ttlMs);
    const [row] = await this.db.system((tx) =>
      tx
        .insert(leases)
        .values({ name, holder, expiresAt })
        .onConflictDoUpdate({
          target: leases.name,
          set: { holder, expiresAt },
          setWhere: sql`${leases.expiresAt} <= now() or ${leases.holder} = ${holder}`,
        })
        .returning(),
    );
    return row ?? null;
  }

  /**
   * Extends a lease `holder` holds and that has not expired. Null means the lease was lost (expired,
   * released, or taken by another holder): the caller must stop the work it guarded. An expired lease
   * is not revived here even if nobody took it, because its holder was already meant to have stopped;
   * it can `acquire` again.
   */
  async renew(name: string, holder: string, ttlMs: number): Promise<LeaseGrant | null> {
    checkArgs(name, holder, ttlMs);
    const [row] = await this.db.system((tx) =>
      tx
        .update(leases)
        .set({ expiresAt: expiryIn(ttlMs) })
        .where(and(eq(leases.name, name), eq(leases.holder, holder), gt(leases.expiresAt, sql`now()`)))
        .returning(),
    );
    return row ?? null;
  }

  /** Gives the lease up so another replica can take it at once. False if `holder` did not hold it. */
  async release(name: string, holder: string): Promise<boolean> {
    checkArgs(name, holder, 1);
    const rows = await this.db.system((tx) =>
      tx
        .delete(leases)
        .where(and(eq(leases.name, name), eq(leases.holder, holder)))
        .returning({ name: leases.name }),
    );
    return rows.length > 0;
  }

  /**
   * Every lease whose name starts with `prefix`, expired ones included, with `expired` decided by the
   * database clock (to tell a lease released by a live holder, which is gone, from one whose holder
   * stopped renewing, which is still there but expired).
   */
  async list(prefix: string): Promise<(LeaseGrant & { expired: boolean })[]> {
    const pattern = `${prefix.replace(/[%_\\]/g, '\\$&')}%`;
    const rows = await this.db.system((tx) =>
      tx
        .select({
          name: leases.name,
          holder: leases.holder,
          expiresAt: leases.expiresAt,
          expired: sql<boolean>`${leases.expiresAt} <= now()`,
        })
        .from(leases)
        .where(sql`${leases.name} like ${pattern}`),
    );
    return rows.map((r) => ({ ...r, expired: r.expired === true || String(r.expired) === 't' }));
  }

  /** The current unexpired grant of a lease, if any (for status pages and tests). */
  async current(name: string): Promise<LeaseGrant | null> {
    const [row] = await this.db.system((tx) =>
      tx
        .select()
        .from(leases)
        .where(and(eq(leases.name, name), gt(leases.expiresAt, sql`now()`))),
    );
    return row ?? null;
  }
}

/** `now() + ttl` on the database's clock. `int * interval` is valid on PostgreSQL and CockroachDB. */
function expiryIn(ttlMs: number) {
  return sql<Date>`now() + ${ttlMs}::int * interval '1 millisecond'`;
}

function checkArgs(name: string, holder: string, ttlMs: number): void {
  if (name.length === 0 || name.length > 200) throw new RangeError('Lease name must be 1..200 characters.');
  if (holder.length === 0 || holder.length > 200) {
    throw new RangeError('Lease holder must be 1..200 characters.');
  }
  if (!Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TTL_MS) {
    throw new RangeError(`Lease TTL must be a whole number of milliseconds in 1..${MAX_TTL_MS}.`);
  }
}
