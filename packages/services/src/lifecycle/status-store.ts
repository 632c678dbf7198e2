import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { servers } from '@minefleet/db/schema';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import { canTransition, SERVER_STATUSES, type ServerStatus } from '@minefleet/domain/server-state';
import type { Clock } from '@minefleet/domain/clock';
import type { ServerRecord } from '../servers.js';

export type ServerPatch = Partial<Omit<typeof servers.$inferInsert, 'id' | 'tenantId' | 'status'>>;

/** Statuses from which `to` may be reached, per the transition table of the domain. */
function sourcesOf(to: ServerStatus): ServerStatus[] {
  return SERVER_STATUSES.filter((from) => from !== to && canTransition(from, to));
}

/**
 * Reads and writes a server's observed status. Every write is a conditional UPDATE: the row changes
 * only if its current status may legally become the new one (and, when given, the process generation
 * still matches), so a stale timer or a late exit event can never move a server backwards.
 * Every change is published as a `status` event.
 */
export class StatusStore {
  constructor(
    private readonly db: Database,
    private readonly events: EventBus,
    private readonly clock: Clock,
    private readonly onPublishError: (error: unknown) => void,
  ) {}

  async load(serverId: string): Promise<ServerRecord | undefined> {
    return this.db.system(async (tx) => (await tx.select().from(servers).where(eq(servers.id, serverId)))[0]);
  }

  async all(): Promise<ServerRecord[]> {
    return this.db.system((tx) => tx.select().from(servers));
  }

  /**
   * Moves the server to `to` if allowed; returns the updated row, or undefined when the move did not
   * apply (illegal from the current status, another generation, or `onlyFrom` not matched).
   */
  async transition(
    serverId: string,
    to: ServerStatus,
    options: { generation?: number; onlyFrom?: ServerStatus[]; patch?: ServerPatch } = {},
  ): Promise<ServerRecord | undefined> {
    const from = (options.onlyFrom ?? sourcesOf(to)).filter((s) => s === to || canTransition(s, to));
    const [row] = await this.db.system((tx) =>
      tx
        .update(servers)
        .set({ ...options.patch, status: to, updatedAt: new Date(this.clock.now()) })
        .where(
          and(
            eq(servers.id, serverId),
            inArray(servers.status, from.length > 0 ? from : ['__none__' as ServerStatus]),
            options.generation !== undefined ? eq(servers.generation, options.generation) : undefined,
          ),
        )
        .returning(),
    );
    if (row) this.publish(row);
    return row;
  }

  /** Changes fields other than the status (desired state, counters, players). */
  async patch(serverId: string, patch: ServerPatch, publish = false): Promise<ServerRecord | undefined> {
    const [row] = await this.db.system((tx) =>
      tx
        .update(servers)
        .set({ ...patch, updatedAt: new Date(this.clock.now()) })
        .where(eq(servers.id, serverId))
        .returning(),
    );
    if (row && publish) this.publish(row);
    return row;
  }

  publish(row: ServerRecord): void {
    this.events
      .publish({
        type: 'status',
        tenantId: row.tenantId,
        serverId: row.id,
        ts: new Date(this.clock.now()).toISOString(),
        data: { status: row.status, desired_state: row.desiredState, status_reason: row.statusReason },
      })
      .catch(this.onPublishError);
  }
}
