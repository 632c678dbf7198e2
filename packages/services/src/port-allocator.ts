import { and, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { portAllocations, servers } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';

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
   * The server's port: the one it already holds, else its last one when free, else the lowest free
   * one. Refuses with NO_PORT_AVAILABLE, HOST_CAPACITY or QUOTA_EXCEEDED (quota `running_servers`).
   */
  async allocate(server: PortClaim): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = await this.db
        .system((tx) => this.allocateIn(tx, server))
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) return null;
          throw error;
        });
      if (result !== null) return result;
    }
    throw new DomainError('NO_PORT_AVAILABLE', 'Could not allocate a port (too much contention).');
  }

  private async allocateIn(tx: Tx, server: PortClaim): Promise<number> {
    await tx.execute(sql`select pg_advisory_xact_lock(${ADMISSION_LOCK})`);
    const [held] = await tx.select().from(portAllocations).where(eq(portAllocations.serverId, server.id));
    if (held) {
      await tx.update(servers).set({ port: held.port }).where(eq(servers.id, server.id));
      return held.port;
    }
    const admitted = await tx
      .select({ port: portAllocations.port, tenantId: servers.tenantId, memoryMb: servers.memoryMb })
      .from(portAllocations)
      .leftJoin(servers, eq(servers.id, portAllocations.serverId));
    this.admit(server, admitted);
    const taken = new Set(admitted.map((r) => r.port));
    const port = this.choose(server.lastPort, taken);
    await tx.insert(portAllocations).values({ port, serverId: server.id });
    await tx.update(servers).set({ port, lastPort: port }).where(eq(servers.id, server.id));
    return port;
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
