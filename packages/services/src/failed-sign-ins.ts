import { sql } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { auditEvents } from '@minefleet/db/schema';
import type { AuditEntry } from './audit-entry.js';

/** Failed sign-ins of one kind from one address within this many seconds share one audit row. */
export const FAILED_SIGN_IN_WINDOW_SECONDS = 60;

/**
 * Records a failed sign-in (anyone on the network can cause one) without one row per attempt: a failure
 * like a recent one — same action, address, account and details, under a minute since that row was
 * written — adds one to its `details.count` instead of inserting. So a flood from one address at one
 * email writes at most about one row a minute, and the counts still add up to the attempts. Two
 * failures racing may both insert (each row still counts its own).
 */
export async function recordFailedSignIn(db: Database, entry: AuditEntry): Promise<void> {
  const details = entry.details ?? {};
  await db.system(async (tx) => {
    const updated = await tx
      .update(auditEvents)
      .set({
        details: sql`jsonb_set(coalesce(${auditEvents.details}, '{}'::jsonb), '{count}',
          to_jsonb(coalesce((${auditEvents.details}->>'count')::int, 1) + 1))`,
        // The row names the latest of the requests it counts.
        requestId: entry.requestId ?? null,
      })
      .where(
        sql`${auditEvents.id} = (
          select id from audit_events
          where tenant_id is null and action = ${entry.action} and outcome = 'failure'
            and ip is not distinct from ${entry.ip ?? null}
            and actor_user_id is not distinct from ${entry.actorUserId ?? null}::uuid
            and coalesce(details, '{}'::jsonb) - 'count' = ${JSON.stringify(details)}::jsonb
            and created_at > now() - make_interval(secs => ${FAILED_SIGN_IN_WINDOW_SECONDS})
          order by created_at desc limit 1)`,
      )
      .returning({ id: auditEvents.id });
    if (updated.length > 0) return;
    await tx.insert(auditEvents).values({
      tenantId: null,
      actorUserId: entry.actorUserId ?? null,
      action: entry.action,
      outcome: 'failure',
      statusCode: entry.statusCode ?? null,
      requestId: entry.requestId ?? null,
      ip: entry.ip ?? null,
      details: { ...details, count: 1 },
    });
  });
}
