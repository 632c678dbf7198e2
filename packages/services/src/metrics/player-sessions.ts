import { and, desc, eq, gte, ilike, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Database, TenantScope } from '@minefleet/db/database';
import { playerSessions, servers } from '@minefleet/db/schema';

export type PlayerSessionRecord = typeof playerSessions.$inferSelect;

export interface SessionQuery {
  serverId: string;
  /** Name prefix, case-insensitive. */
  player?: string | undefined;
  /** Sessions that overlap [from, to]. */
  from?: Date | undefined;
  to?: Date | undefined;
  /** Only sessions still open (true) or closed (false). */
  online?: boolean | undefined;
  page: number;
  perPage: number;
}

/**
 * Player sessions (join and leave times) in `player_sessions`, recorded from the console lines of the
 * servers this replica owns. A session left open by a missed line is closed when the player joins
 * again, when the server reports no players, or when the server stops.
 */
/** The open session(s) of one player on one server. */
function openSession(serverId: string, name: string) {
  return and(
    eq(playerSessions.serverId, serverId),
    eq(playerSessions.playerName, name),
    isNull(playerSessions.leftAt),
  );
}

export class PlayerSessions {
  constructor(private readonly db: Database) {}

  /** A join: closes a session of the same name left open (a missed leave), then opens a new one. */
  async join(tenantId: string, serverId: string, name: string, at: Date): Promise<void> {
    await this.db.system(async (tx) => {
      await tx.update(playerSessions).set({ leftAt: at }).where(openSession(serverId, name));
      await tx.insert(playerSessions).values({ tenantId, serverId, playerName: name, joinedAt: at });
    });
  }

  /** A leave: closes the player's open session(s) on the server. */
  async leave(serverId: string, name: string, at: Date): Promise<void> {
    await this.db.system((tx) =>
      tx.update(playerSessions).set({ leftAt: at }).where(openSession(serverId, name)),
    );
  }

  /**
   * Closes every open session of a server (it stopped, or reports no players). Returns how many.
   * `joinedBefore`: only sessions opened before it (a player count taken while someone was still logging
   * in does not count them yet, so it must not close their session).
   */
  async closeAll(serverId: string, at: Date, joinedBefore?: Date): Promise<number> {
    const rows = await this.db.system((tx) =>
      tx
        .update(playerSessions)
        .set({ leftAt: sql`greatest(${playerSessions.joinedAt}, ${at.toISOString()}::timestamptz)` })
        .where(
          and(
            eq(playerSessions.serverId, serverId),
            isNull(playerSessions.leftAt),
            joinedBefore ? lt(playerSessions.joinedAt, joinedBefore) : undefined,
          ),
        )
        .returning({ id: playerSessions.id }),
    );
    return rows.length;
  }

  /** Backstop: closes open sessions of servers that are not running (or no longer exist). */
  async closeOrphans(at: Date): Promise<void> {
    await this.db.system((tx) =>
      tx
        .update(playerSessions)
        .set({ leftAt: sql`greatest(${playerSessions.joinedAt}, ${at.toISOString()}::timestamptz)` })
        .where(
          and(
            isNull(playerSessions.leftAt),
            sql`not exists (select 1 from ${servers} where ${servers.id} = ${playerSessions.serverId} and ${servers.status} = 'running')`,
          ),
        ),
    );
  }

  /** Deletes sessions that ended before `before`. */
  async prune(before: Date): Promise<void> {
    await this.db.system((tx) => tx.delete(playerSessions).where(lt(playerSessions.leftAt, before)));
  }

  /** Sessions of one server, newest first (tenant scope: row-level security applies). */
  async list(
    scope: TenantScope,
    query: SessionQuery,
  ): Promise<{ items: PlayerSessionRecord[]; total: number }> {
    const filters: (SQL | undefined)[] = [eq(playerSessions.serverId, query.serverId)];
    if (query.player) {
      filters.push(ilike(playerSessions.playerName, `${query.player.replace(/[%_\\]/g, '\\$&')}%`));
    }
    if (query.to) filters.push(lte(playerSessions.joinedAt, query.to));
    if (query.from) filters.push(or(isNull(playerSessions.leftAt), gte(playerSessions.leftAt, query.from)));
    if (query.online === true) filters.push(isNull(playerSessions.leftAt));
    if (query.online === false) filters.push(sql`${playerSessions.leftAt} is not null`);
    const where = and(...filters);
    return this.db.tenant(scope, async (tx) => {
      const rows = await tx
        .select({ session: playerSessions, total: sql<number>`count(*) over ()` })
        .from(playerSessions)
        .where(where)
        .orderBy(desc(playerSessions.joinedAt), desc(playerSessions.id))
        .limit(query.perPage)
        .offset((query.page - 1) * query.perPage);
      if (rows[0]) return { items: rows.map((r) => r.session), total: Number(rows[0].total) };
      const [count] = await tx
        .select({ n: sql<number>`count(*)` })
        .from(playerSessions)
        .where(where);
      return { items: [], total: Number(count?.n ?? 0) };
    });
  }
}
