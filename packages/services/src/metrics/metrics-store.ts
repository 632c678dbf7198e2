import { and, asc, desc, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Database, TenantScope } from '@minefleet/db/database';
import { metricsSamples, servers } from '@minefleet/db/schema';
import { mapRows } from '@minefleet/db/one-trip';
import type { MetricName, MetricResolution } from '@minefleet/domain/enums';
import type { MetricsRetention } from './metrics-query.js';

export type MetricSampleRow = typeof metricsSamples.$inferInsert;
export type StoredSample = typeof metricsSamples.$inferSelect;

const COLUMN_OF = {
  players_online: metricsSamples.playersOnline,
  max_players: metricsSamples.maxPlayers,
  cpu_percent: metricsSamples.cpuPercent,
  memory_bytes: metricsSamples.memoryBytes,
  disk_bytes: metricsSamples.diskBytes,
  tps: metricsSamples.tps,
  mspt: metricsSamples.mspt,
  ping_ms: metricsSamples.pingMs,
  uptime_seconds: metricsSamples.uptimeSeconds,
} as const satisfies Record<MetricName, unknown>;

/**
 * The metrics time series in `metrics_samples`: raw samples written by the collector, 1-minute and
 * 1-hour rows computed from them by `downsample`, old rows removed by `prune`. Every statement touches
 * many servers at once (one insert per collector round, one statement per downsampling step), so the
 * cost does not grow with the number of round trips.
 */
export class MetricsStore {
  constructor(private readonly db: Database) {}

  /** One round of raw samples, one statement. A repeated (server, ts) is ignored. */
  async insertRaw(rows: MetricSampleRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.system((tx) => tx.insert(metricsSamples).values(rows).onConflictDoNothing());
  }

  /**
   * Sets `players_online` of running servers whose count changed. Only while the server is running, so
   * a late sample never writes a count onto a server that has just stopped.
   */
  async setPlayers(changes: { serverId: string; players: number }[]): Promise<void> {
    if (changes.length === 0) return;
    // One statement for the round: on PostgreSQL each statement that writes servers raises the server
    // list version of every tenant it touched, locking them in one order (`@minefleet/db/server-changes`);
    // one update per server, in the collector's order, could deadlock with another replica's round.
    const rows = sql.join(
      changes.map((c) => sql`(${c.serverId}::uuid, ${Math.trunc(c.players)}::integer)`),
      sql`, `,
    );
    await this.db.system((tx) =>
      tx.execute(sql`update ${servers} set ${sql.identifier(servers.playersOnline.name)} = c.players
        from (values ${rows}) as c(id, players)
        where ${servers.id} = c.id and ${servers.status} = 'running'`),
    );
  }

  /**
   * Recomputes the 1-minute rows from raw samples newer than `since`, and the 1-hour rows from 1-minute
   * rows newer than `hourSince` (the current, partial minute and hour included, so the coarse series lag
   * by at most one run). Idempotent: rows are upserted.
   */
  async downsample(since: Date, hourSince: Date): Promise<void> {
    await this.db.system(async (tx) => {
      await tx.execute(rollUp('raw', '1m', 'minute', since));
      await tx.execute(rollUp('1m', '1h', 'hour', hourSince));
    });
  }

  /** Deletes rows past their resolution's retention (one statement per resolution, by the index). */
  async prune(now: number, retention: MetricsRetention): Promise<void> {
    const ages: [MetricResolution, number][] = [
      ['raw', retention.rawMs],
      ['1m', retention.minuteMs],
      ['1h', retention.hourMs],
    ];
    await this.db.system(async (tx) => {
      for (const [resolution, ageMs] of ages) {
        await tx
          .delete(metricsSamples)
          .where(
            and(eq(metricsSamples.resolution, resolution), lt(metricsSamples.ts, new Date(now - ageMs))),
          );
      }
    });
  }

  /** Rows of one server and resolution in a range, oldest first, only the asked columns (tenant scope). */
  async read(
    scope: TenantScope,
    query: { serverId: string; resolution: MetricResolution; from: Date; to: Date; names: MetricName[] },
  ): Promise<{ ts: Date; values: Partial<Record<MetricName, number | null>> }[]> {
    const columns = Object.fromEntries(query.names.map((name) => [name, COLUMN_OF[name]]));
    const rows = await this.db.tenant(scope, (tx) =>
      tx
        .select({ ts: metricsSamples.ts, ...columns })
        .from(metricsSamples)
        .where(
          and(
            eq(metricsSamples.serverId, query.serverId),
            eq(metricsSamples.resolution, query.resolution),
            gte(metricsSamples.ts, query.from),
            lte(metricsSamples.ts, query.to),
          ),
        )
        .orderBy(asc(metricsSamples.ts)),
    );
    return rows.map((row) => {
      const { ts, ...values } = row as { ts: Date } & Record<string, unknown>;
      const numeric: Partial<Record<MetricName, number | null>> = {};
      for (const name of query.names) {
        const v = values[name];
        numeric[name] = v === null || v === undefined ? null : Number(v);
      }
      return { ts, values: numeric };
    });
  }

  /** Raw samples of some servers (tests and the collector's first look after a takeover). */
  /** The newest raw sample of one server, read as its tenant (row-level security applies). */
  async latest(scope: TenantScope, serverId: string): Promise<StoredSample | undefined> {
    const [rows] = await this.db.tenantRead(scope, [
      this.db.drizzle
        .select()
        .from(metricsSamples)
        .where(and(eq(metricsSamples.serverId, serverId), eq(metricsSamples.resolution, 'raw')))
        .orderBy(desc(metricsSamples.ts))
        .limit(1),
    ]);
    return mapRows(metricsSamples, rows ?? [])[0];
  }

  async latestRaw(serverIds: string[]): Promise<StoredSample[]> {
    if (serverIds.length === 0) return [];
    return this.db.system((tx) =>
      tx
        .select()
        .from(metricsSamples)
        .where(and(inArray(metricsSamples.serverId, serverIds), eq(metricsSamples.resolution, 'raw')))
        .orderBy(asc(metricsSamples.ts)),
    );
  }
}

/**
 * `INSERT … SELECT … GROUP BY date_trunc(unit, ts) ON CONFLICT DO UPDATE`: one resolution rolled up into
 * the next, with the aggregation of METRIC_AGGREGATION (max for counts and sizes, mean for loads).
 * Plain SQL that PostgreSQL, PGlite and CockroachDB all run.
 */
function rollUp(from: MetricResolution, to: MetricResolution, unit: 'minute' | 'hour', since: Date) {
  return sql`
    insert into metrics_samples (tenant_id, server_id, resolution, ts, players_online, max_players,
      cpu_percent, memory_bytes, disk_bytes, tps, mspt, ping_ms, uptime_seconds)
    select tenant_id, server_id, ${to}, date_trunc(${sql.raw(`'${unit}'`)}, ts),
      max(players_online), max(max_players), avg(cpu_percent), round(avg(memory_bytes))::bigint,
      max(disk_bytes), avg(tps), avg(mspt), avg(ping_ms), max(uptime_seconds)
    from metrics_samples
    where resolution = ${from} and ts >= ${since.toISOString()}::timestamptz
    group by tenant_id, server_id, date_trunc(${sql.raw(`'${unit}'`)}, ts)
    on conflict (server_id, resolution, ts) do update set
      players_online = excluded.players_online, max_players = excluded.max_players,
      cpu_percent = excluded.cpu_percent, memory_bytes = excluded.memory_bytes,
      disk_bytes = excluded.disk_bytes, tps = excluded.tps, mspt = excluded.mspt,
      ping_ms = excluded.ping_ms, uptime_seconds = excluded.uptime_seconds`;
}
