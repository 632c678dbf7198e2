import { and, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { auditEvents } from '@minefleet/db/schema';
import type { AuditOutcome } from '@minefleet/domain/enums';
import { requireRole, scopeOf, type Actor } from './actor.js';

export interface AuditEntry {
  tenantId?: string | null;
  actorUserId?: string | null;
  actorApiKeyId?: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  serverId?: string | null;
  outcome: AuditOutcome;
  statusCode?: number | null;
  requestId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown> | null;
}

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

  /** The tenant's audit trail, newest first (admins and owners). */
  async query(actor: Actor, query: AuditQuery): Promise<{ items: AuditRecord[]; total: number }> {
    requireRole(actor, 'admin');
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
