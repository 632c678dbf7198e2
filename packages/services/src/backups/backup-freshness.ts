import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { backups, schedules, servers } from '@minefleet/db/schema';
import { nextRun } from '../schedules/cron.js';

/** One server with at least one enabled backup schedule, for the "backup missed" alert. */
export interface BackupFreshness {
  serverId: string;
  serverName: string;
  tenantId: string;
  /**
   * Epoch ms of the newest completed backup, or of the newest change to one of its enabled backup
   * schedules when that is later (a schedule created or edited a minute ago is not overdue yet).
   */
  lastSuccessAt: number;
  /** Smallest gap between two planned runs of its enabled backup schedules, in ms. */
  intervalMs: number;
}

/**
 * Every server with an enabled backup schedule (all tenants), with when a backup last succeeded and how
 * often one is planned. Two queries: the schedules with their servers, and the newest completed backup
 * of those servers.
 */
export async function backupFreshness(db: Database, now: number): Promise<BackupFreshness[]> {
  return db.system(async (tx) => {
    const planned = await tx
      .select({
        serverId: schedules.serverId,
        serverName: servers.name,
        tenantId: servers.tenantId,
        cron: schedules.cron,
        timezone: schedules.timezone,
        updatedAt: schedules.updatedAt,
      })
      .from(schedules)
      .innerJoin(servers, eq(servers.id, schedules.serverId))
      .where(and(eq(schedules.enabled, true), eq(schedules.action, 'backup')));
    if (planned.length === 0) return [];
    const ids = [...new Set(planned.map((p) => p.serverId))];
    const newest = await tx
      .select({ serverId: backups.serverId, at: sql<string>`max(${backups.completedAt})` })
      .from(backups)
      .where(and(eq(backups.status, 'completed'), inArray(backups.serverId, ids)))
      .groupBy(backups.serverId);
    const completed = new Map(newest.map((n) => [n.serverId, n.at ? new Date(n.at).getTime() : 0]));

    const byServer = new Map<string, BackupFreshness>();
    for (const p of planned) {
      const first = nextRun(p.cron, p.timezone, now);
      const second = first === null ? null : nextRun(p.cron, p.timezone, first);
      if (first === null || second === null) continue;
      const intervalMs = second - first;
      const changedAt = p.updatedAt.getTime();
      const seen = byServer.get(p.serverId);
      if (seen) {
        seen.intervalMs = Math.min(seen.intervalMs, intervalMs);
        seen.lastSuccessAt = Math.max(seen.lastSuccessAt, changedAt);
      } else {
        byServer.set(p.serverId, {
          serverId: p.serverId,
          serverName: p.serverName,
          tenantId: p.tenantId,
          lastSuccessAt: Math.max(completed.get(p.serverId) ?? 0, changedAt),
          intervalMs,
        });
      }
    }
    return [...byServer.values()];
  });
}
