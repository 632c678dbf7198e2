import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { portAllocations, servers } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { Coalescer, outcomeOf, type Outcome } from './coalesce.js';

/**
 * What may run on this host at once. A server is admitted when it takes a port at start; it stays
 * admitted until it stops (the port is freed with it).
 */
export interface AdmissionLimits {
  /** Memory (MB) the plans of all running servers may add up to; null: no limit. */
  hostMemoryMb: number | null;
  /** Servers one tenant may have running at once; null: no limit. */
  maxRunningPerTenant: number | null;
}

/** The server being started, as admission needs it. */
export interface PortClaim {
  id: string;
  tenantId: string;
  memoryMb: number;
  /** The port it held last: taken again when still free, so its address does not move. */
  lastPort: number | null;
}

/** One key for the whole platform: admissions are decided one at a time (sums stay exact). */
const ADMISSION_LOCK = 0x6d66_706f; // "mfpo"

/**
 * Hands out game ports from a range, platform-wide, at start, and frees them at stop (the status store
 * frees a stopped server's port in the same transaction that records the stop). Taking a port is also
 * admission to run: the host's memory share and the tenant's running-server cap are checked under one
 * transaction-scoped lock. The primary key on `port` stays the last arbiter between control planes.
 */
export class PortAllocator {
  constructor(
    private readonly db: Database,
    private readonly range: { from: number; to: number },
    private readonly limits: AdmissionLimits = { hostMemoryMb: null, maxRunningPerTenant: null },
  ) {}

  /**
   * Claims that arrive together (a burst of creates with `start: true`, starts queued together) are
   * admitted in one transaction, each in arrival order as if alone (coalesce.ts).
   */
  private readonly claims = new Coalescer<PortClaim, number>((_key, claims) => this.allocateBatch(claims), {
    waitForQuiet: false,
  });

  /**
   * The server's port: the one it already holds, else its last one when free, else the lowest free
   * one. Refuses with NO_PORT_AVAILABLE, HOST_CAPACITY or QUOTA_EXCEEDED (quota `running_servers`).
   */
  allocate(server: PortClaim): Promise<number> {
    return this.claims.submit('', server);
  }

  private async allocateBatch(claims: PortClaim[]): Promise<Outcome<number>[]> {
    if (claims.length > 1) {
      try {
        return await this.db.system((tx) => this.allocateIn(tx, claims));
      } catch (error) {
        // Another control plane took one of the ports meanwhile: each claim again, on its own.
        if (!isUniqueViolation(error)) throw error;
      }
    }
    return Promise.all(claims.map((claim) => outcomeOf(() => this.allocateOne(claim))));
  }

  /** One claim, tried again while another control plane takes the port it chose meanwhile. */
  private async allocateOne(server: PortClaim): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = await this.db
        .system((tx) => this.allocateIn(tx, [server]))
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) return null;
          throw error;
        });
      if (result === null) continue;
      const [outcome] = result;
      if (!outcome!.ok) throw outcome!.error;
      return outcome!.value;
    }
    throw new DomainError('NO_PORT_AVAILABLE', 'Could not allocate a port (too much contention).');
  }

  /**
   * Admits the claims in order, under the admission lock: a server that holds a port keeps it; any other
   * is checked against what is admitted so far (the claims before it included) and gets its last port
   * when free, else the lowest free one. One read of the held ports, one of all admitted (only if a claim
   * needs it), then the new ports written together.
   */
  private async allocateIn(tx: Tx, claims: PortClaim[]): Promise<Outcome<number>[]> {
    await tx.execute(sql`select pg_advisory_xact_lock(${ADMISSION_LOCK})`);
    const held = await tx
      .select()
      .from(portAllocations)
      .where(
        inArray(
          portAllocations.serverId,
          claims.map((c) => c.id),
        ),
      );
    const heldBy = new Map(held.map((h) => [h.serverId, h.port]));
    const admitted = claims.every((c) => heldBy.has(c.id))
      ? []
      : await tx
          .select({ port: portAllocations.port, tenantId: servers.tenantId, memoryMb: servers.memoryMb })
          .from(portAllocations)
          .leftJoin(servers, eq(servers.id, portAllocations.serverId));
    const taken = new Set(admitted.map((r) => r.port));
    const outcomes: Outcome<number>[] = [];
    const kept: { id: string; port: number }[] = [];
    const fresh: { id: string; port: number }[] = [];
    claims.forEach((claim, index) => {
      const holds = heldBy.get(claim.id);
      if (holds !== undefined) {
        kept.push({ id: claim.id, port: holds });
        outcomes[index] = { ok: true, value: holds };
        return;
      }
      try {
        this.admit(claim, admitted);
        const port = this.choose(claim.lastPort, taken);
        taken.add(port);
        admitted.push({ port, tenantId: claim.tenantId, memoryMb: claim.memoryMb });
        heldBy.set(claim.id, port);
        fresh.push({ id: claim.id, port });
        outcomes[index] = { ok: true, value: port };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcomes[index] = { ok: false, error };
      }
    });
    if (fresh.length > 0) {
      await tx.insert(portAllocations).values(fresh.map((f) => ({ port: f.port, serverId: f.id })));
      await tx.execute(
        sql`update ${servers} set ${sql.identifier(servers.port.name)} = v.port, ${sql.identifier(servers.lastPort.name)} = v.port from (values ${sql.join(
          fresh.map((f) => sql`(${f.id}::uuid, ${f.port}::integer)`),
          sql`, `,
        )}) as v(id, port) where ${servers.id} = v.id`,
      );
    }
    for (const { id, port } of kept) await tx.update(servers).set({ port }).where(eq(servers.id, id));
    return outcomes;
  }

  private admit(server: PortClaim, admitted: { tenantId: string | null; memoryMb: number | null }[]): void {
    const { hostMemoryMb, maxRunningPerTenant } = this.limits;
    if (hostMemoryMb !== null) {
      const used = admitted.reduce((sum, r) => sum + (r.memoryMb ?? 0), 0);
      if (used + server.memoryMb > hostMemoryMb) {
        throw new DomainError(
          'HOST_CAPACITY',
          `This host has ${Math.max(0, hostMemoryMb - used)} MB of its ${hostMemoryMb} MB for game servers left; the server needs ${server.memoryMb} MB. Stop another server first.`,
          { used_mb: used, requested_mb: server.memoryMb, limit_mb: hostMemoryMb },
        );
      }
    }
    if (maxRunningPerTenant !== null) {
      const running = admitted.filter((r) => r.tenantId === server.tenantId).length;
      if (running + 1 > maxRunningPerTenant) {
        throw new DomainError(
          'QUOTA_EXCEEDED',
          `Your plan allows ${maxRunningPerTenant} servers running at once; stop one first.`,
          { quota: 'running_servers', used: running, limit: maxRunningPerTenant },
        );
      }
    }
  }

  private choose(lastPort: number | null, taken: Set<number>): number {
    const { from, to } = this.range;
    if (lastPort !== null && lastPort >= from && lastPort <= to && !taken.has(lastPort)) return lastPort;
    for (let port = from; port <= to; port++) if (!taken.has(port)) return port;
    throw new DomainError(
      'NO_PORT_AVAILABLE',
      `Every game port from ${from} to ${to} is held by a running server. Stop one, or widen MINEFLEET_PORT_RANGE.`,
      { from, to },
    );
  }

  /** Frees the server's port (its record keeps it as `lastPort`). */
  async release(serverId: string): Promise<void> {
    await this.db.system((tx) => releasePort(tx, serverId));
  }
}

/** Frees a server's port inside the caller's transaction (the status store calls it on a stop). */
export async function releasePort(tx: Tx, serverId: string): Promise<void> {
  await tx.delete(portAllocations).where(eq(portAllocations.serverId, serverId));
  await tx
    .update(servers)
    .set({ port: null })
    .where(and(eq(servers.id, serverId), sql`${servers.port} is not null`));
}
