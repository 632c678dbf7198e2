import { eq, sql } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { portAllocations } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';

/**
 * Hands out game ports from a range, platform-wide. The primary key on `port` is the arbiter: two
 * control planes racing for one port cannot both get it; the loser tries the next free one.
 */
export class PortAllocator {
  constructor(
    private readonly db: Database,
    private readonly range: { from: number; to: number },
  ) {}

  /** The server's port: the one it already holds, else the lowest free one. */
  async allocate(serverId: string): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const result = await this.db
        .system(async (tx) => {
          const [held] = await tx
            .select()
            .from(portAllocations)
            .where(eq(portAllocations.serverId, serverId));
          if (held) return held.port;
          const taken = new Set(
            (
              await tx
                .select({ port: portAllocations.port })
                .from(portAllocations)
                .where(sql`${portAllocations.port} between ${this.range.from} and ${this.range.to}`)
            ).map((r) => r.port),
          );
          for (let port = this.range.from; port <= this.range.to; port++) {
            if (!taken.has(port)) {
              await tx.insert(portAllocations).values({ port, serverId });
              return port;
            }
          }
          throw new DomainError(
            'NO_PORT_AVAILABLE',
            `Every port from ${this.range.from} to ${this.range.to} is in use.`,
          );
        })
        .catch((error: unknown) => {
          if (isUniqueViolation(error)) return null;
          throw error;
        });
      if (result !== null) return result;
    }
    throw new DomainError('NO_PORT_AVAILABLE', 'Could not allocate a port (too much contention).');
  }

  async release(serverId: string): Promise<void> {
    await this.db.system((tx) => tx.delete(portAllocations).where(eq(portAllocations.serverId, serverId)));
  }
}
