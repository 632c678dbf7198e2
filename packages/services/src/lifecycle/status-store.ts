import { and, eq, inArray } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { servers } from '@minefleet/db/schema';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import { canTransition, SERVER_STATUSES, type ServerStatus } from '@minefleet/domain/server-state';
import type { Clock } from '@minefleet/domain/clock';
import { releasePort } from '../port-allocator.js';
import type { ServerRecord } from '../servers.js';

export type ServerPatch = Partial<Omit<typeof servers.$inferInsert, 'id' | 'tenantId' | 'status'>>;

/** Statuses without a process: reaching one frees the server's game port (docs/runtime.md, "Game ports"). */
const PORTLESS: ReadonlySet<ServerStatus> = new Set(['stopped', 'failed', 'sleeping']);

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
    const row = await this.db.system(async (tx) => {
      const [updated] = await tx
        .update(servers)
        .set({ ...options.patch, status: to, updatedAt: new Date(this.clock.now()) })
        .where(
          and(
            eq(servers.id, serverId),
            inArray(servers.status, from.length > 0 ? from : ['__none__' as ServerStatus]),
            options.generation !== undefined ? eq(servers.generation, options.generation) : undefined,
          ),
        )
        .returning();
      // The stop and the freed port are one change: no window where a stopped server holds a port. A
      // server stopped on its way to running (deployed, or found gone) keeps it for the start that follows.
      const keeps = to === 'stopped' && updated?.desiredState === 'running';
      if (updated && PORTLESS.has(to) && updated.port !== null && !keeps) {
        await releasePort(tx, serverId);
        return { ...updated, port: null };
      }
      return updated;
    });
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

  /**
   * Resolves with the server's record once `done` holds for it, or with its latest record after
   * `timeoutMs` (undefined once it is deleted). Woken by the server's status events, so a change made
   * by any replica is seen when it happens.
   */
  async waitFor(
    serverId: string,
    done: (server: ServerRecord) => boolean,
    timeoutMs: number,
  ): Promise<ServerRecord | undefined> {
    let changed = false;
    let wake = () => {};
    // Subscribed before the first read, so a change between the read and the wait is not missed.
    const subscription = await this.events.subscribe({ serverId, types: ['status'] }, () => {
      changed = true;
      wake();
    });
    const deadline = this.clock.now() + timeoutMs;
    try {
      for (;;) {
        changed = false;
        const server = await this.load(serverId);
        const left = deadline - this.clock.now();
        if (!server || done(server) || left <= 0) return server;
        if (changed) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      await subscription.unsubscribe().catch(() => {});
    }
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
