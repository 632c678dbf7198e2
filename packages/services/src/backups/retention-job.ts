import { eq } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { backups, retentionPolicies } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import { DomainError } from '@minefleet/domain/errors';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import { planRetention, type RetentionPlan, type RetentionPolicy } from '@minefleet/domain/retention';
import { scopeOf, type Actor } from '../actor.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { Logger } from '../logger.js';
import { deleteBackup } from './backup-deletion.js';
import type { BackupRecord } from './backup-input.js';

export interface RetentionPolicyInput {
  keepLast: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
}

export const RETENTION_TIER_MAX = 1000;

/**
 * Retention: the per-server policy (API) and the periodic job that applies it with planRetention
 * (packages/domain/src/retention.ts: locked and in-progress backups are never deleted; `expires_at`
 * decides alone for backups that have one; failed ones go after 7 days; the rest follow keep-last /
 * daily / weekly). A deleted server's policy goes with it, so its backups live until their expiry.
 *
 * Each deletion marks the backup `deleting` in a short transaction, with the plan's verdict re-checked
 * on the locked row (a backup locked a moment ago is not touched), then deletes the archive outside any
 * transaction, then the row (backup-deletion.ts). A store failure leaves the backup `deleting`; the plan
 * deletes every `deleting` backup, so each run also finishes deletions a store failure or a crash left
 * (from the API, a server delete or an earlier run).
 */
export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly deps: {
      db: Database;
      store: BackupStore;
      clock: Clock;
      logger: Logger;
      lifecycle: LifecycleService;
      /** Whether this replica runs platform-wide jobs (one replica applies retention). */
      leads: () => boolean;
    },
  ) {}

  // ─── Policy (API) ───────────────────────────────────────────────────────────────────────────

  async getPolicy(
    actor: Actor,
    serverId: string,
  ): Promise<{ policy: RetentionPolicyInput; plan: RetentionPlan }> {
    await this.deps.lifecycle.authorize(actor, serverId, 'backup.read');
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const policy = await policyOf(tx, serverId);
      const rows = await tx.select().from(backups).where(eq(backups.serverId, serverId));
      return {
        policy: policy ?? { keepLast: null, keepDaily: null, keepWeekly: null },
        plan: planRetention(rows, policy, new Date(this.deps.clock.now())),
      };
    });
  }

  /** Sets the policy (backup.delete: it decides which backups are deleted). Applied at the next run. */
  async setPolicy(
    actor: Actor,
    serverId: string,
    input: RetentionPolicyInput,
  ): Promise<RetentionPolicyInput> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'backup.delete');
    for (const [field, value] of Object.entries({
      keep_last: input.keepLast,
      keep_daily: input.keepDaily,
      keep_weekly: input.keepWeekly,
    })) {
      if (value !== null && (!Number.isInteger(value) || value < 0 || value > RETENTION_TIER_MAX)) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `${field} is null or a whole number from 0 to ${RETENTION_TIER_MAX}.`,
          {
            field,
          },
        );
      }
    }
    const values = { ...input, updatedAt: new Date(this.deps.clock.now()) };
    await this.deps.db.tenant(scopeOf(actor), (tx) =>
      tx
        .insert(retentionPolicies)
        .values({ serverId, tenantId: server.tenantId, ...values })
        .onConflictDoUpdate({ target: retentionPolicies.serverId, set: values }),
    );
    return input;
  }

  // ─── The job ────────────────────────────────────────────────────────────────────────────────

  start(intervalMs: number): void {
    const tick = () => {
      this.running = this.runOnce()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'retention run failed'))
        .finally(() => {
          this.running = undefined;
          if (this.timer) this.timer = setTimeout(tick, intervalMs).unref();
        });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  /** One pass over every server's backups (deleted servers' included). Returns what was deleted. */
  async runOnce(): Promise<{ id: string; reason: string }[]> {
    if (!this.deps.leads()) return [];
    const { db, store, logger } = this.deps;
    const now = new Date(this.deps.clock.now());
    const [all, policies] = await db.system(
      async (tx) => [await tx.select().from(backups), await tx.select().from(retentionPolicies)] as const,
    );
    const byServer = new Map<string, BackupRecord[]>();
    for (const row of all) byServer.set(row.serverId, [...(byServer.get(row.serverId) ?? []), row]);
    const policyOf = new Map(policies.map((p) => [p.serverId, p]));
    const deleted: { id: string; reason: string }[] = [];
    for (const [serverId, rows] of byServer) {
      const policy = policyOf.get(serverId) ?? null;
      const plan = planRetention(rows, policy, now);
      for (const { id, reason } of plan.delete) {
        try {
          const gone = await deleteBackup(db, store, id, (locked) => {
            // Decided again on the locked row: the verdict of the plan must still hold for it.
            const fresh = rows.map((r) => (r.id === id ? locked : r));
            return planRetention(fresh, policy, now).delete.some((d) => d.id === id);
          });
          if (gone) {
            deleted.push({ id, reason });
            logger.info({ backupId: id, serverId, reason }, 'backup removed by retention');
          }
        } catch (error) {
          logger.warn(
            { err: error, backupId: id, serverId },
            'retention could not remove a backup; will retry',
          );
        }
      }
    }
    return deleted;
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }
}

async function policyOf(tx: Tx, serverId: string): Promise<RetentionPolicy | null> {
  const [row] = await tx.select().from(retentionPolicies).where(eq(retentionPolicies.serverId, serverId));
  return row ? { keepLast: row.keepLast, keepDaily: row.keepDaily, keepWeekly: row.keepWeekly } : null;
}
