import { and, desc, eq, gte, isNull, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { auditEvents } from '@minefleet/db/schema';
import { requirePermission, scopeOf, type Actor } from './actor.js';
import type { AuditEntry } from './audit-entry.js';
import { recordFailedSignIn } from './failed-sign-ins.js';

export type { AuditEntry };

export interface AuditQuery {
  actor?: string;
  action?: string;
  serverId?: string;
  from?: Date;
  to?: Date;
  page: number;
  perPage: number;
}

export type AuditRecord = typeof auditEvents.$inferSelect;

/** The audit trail: who did what, when, and how it ended. Writes never fail the caller's request. */
export class AuditLog {
  constructor(
    private readonly db: Database,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /**
   * Deletes events past their retention: a tenant's events after `tenantBefore`, events of no tenant
   * (failed sign-ins, which anyone on the network can cause) after `tenantlessBefore`. Returns how many.
   */
  async prune(tenantBefore: Date, tenantlessBefore: Date): Promise<number> {
    const deleted = await this.db.system((tx) =>
      tx
        .delete(auditEvents)
        .where(
          or(
            lt(auditEvents.createdAt, tenantBefore),
            and(isNull(auditEvents.tenantId), lt(auditEvents.createdAt, tenantlessBefore)),
          ),
        )
        .returning({ id: auditEvents.id }),
    );
    return deleted.length;
  }

  /** Records one event (system transaction: sign-in failures belong to no tenant). */
  async record(entry: AuditEntry): Promise<void> {
    try {
      await this.db.system((tx) =>
        tx.insert(auditEvents).values({
          tenantId: entry.tenantId ?? null,
          actorUserId: entry.actorUserId ?? null,
          actorApiKeyId: entry.actorApiKeyId ?? null,
          action: entry.action,
          targetType: entry.targetType ?? null,
          targetId: entry.targetId ?? null,
          serverId: entry.serverId ?? null,
          outcome: entry.outcome,
          statusCode: entry.statusCode ?? null,
          requestId: entry.requestId ?? null,
          ip: entry.ip ?? null,
          details: entry.details ?? null,
        }),
      );
    } catch (error) {
      this.onError(error);
    }
  }

  /** Records a failed sign-in, counted into a recent like one when there is one (failed-sign-ins.ts). */
  async recordFailedSignIn(entry: Omit<AuditEntry, 'outcome' | 'tenantId'>): Promise<void> {
    try {
      await recordFailedSignIn(this.db, { ...entry, outcome: 'failure' });
    } catch (error) {
      this.onError(error);
    }
  }

  /** The tenant's audit trail, newest first (activity.read). */
  async query(actor: Actor, query: AuditQuery): Promise<{ items: AuditRecord[]; total: number }> {
    requirePermission(actor, 'activity.read');
    const filters: SQL[] = [];
    if (query.actor) filters.push(eq(auditEvents.actorUserId, query.actor));
    if (query.action)
      filters.push(sql`${auditEvents.action} like ${query.action.replace(/[%_\\]/g, '\\$&') + '%'}`);
    if (query.serverId) filters.push(eq(auditEvents.serverId, query.serverId));
    if (query.from) filters.push(gte(auditEvents.createdAt, query.from));
    if (query.to) filters.push(lte(auditEvents.createdAt, query.to));
    const where = filters.length > 0 ? and(...filters) : undefined;
    return this.db.tenant(scopeOf(actor), async (tx) => {
      const rows = await tx
        .select({ event: auditEvents, total: sql<number>`count(*) over ()` })
        .from(auditEvents)
        .where(where)
        .orderBy(desc(auditEvents.createdAt), desc(auditEvents.id))
        .limit(query.perPage)
        .offset((query.page - 1) * query.perPage);
      const total = rows[0] ? Number(rows[0].total) : await countAll(tx, where);
      return { items: rows.map((r) => r.event), total };
    });
  }
}

async function countAll(
  tx: Parameters<Parameters<Database['system']>[0]>[0],
  where: SQL | undefined,
): Promise<number> {
  const [row] = await tx
    .select({ n: sql<number>`count(*)` })
    .from(auditEvents)
    .where(where);
  return Number(row?.n ?? 0);
}
