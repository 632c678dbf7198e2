import { eq, sql } from 'drizzle-orm';
import type { Tx } from '@minefleet/db/database';
import { backups, tenants } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';

export interface BackupQuota {
  used_bytes: number;
  limit_bytes: number;
}

/**
 * The tenant's backup storage: every stored archive of the tenant counts, those of deleted servers too
 * (they still take space). The limit is the tenant's own (`tenants.backup_storage_bytes`) or the
 * platform default (`MINEFLEET_QUOTA_BACKUP_BYTES`). With `lock`, the tenant row is locked for the rest
 * of the transaction so two concurrent backups cannot both pass the check.
 */
export async function backupQuota(
  tx: Tx,
  tenantId: string,
  defaultLimitBytes: number,
  lock = false,
): Promise<BackupQuota> {
  const query = tx
    .select({ limit: tenants.backupStorageBytes })
    .from(tenants)
    .where(eq(tenants.id, tenantId));
  const [tenant] = lock ? await query.for('update') : await query;
  const [used] = await tx
    .select({ bytes: sql<string>`coalesce(sum(${backups.sizeBytes}), 0)` })
    .from(backups)
    .where(eq(backups.tenantId, tenantId));
  return { used_bytes: Number(used?.bytes ?? 0), limit_bytes: tenant?.limit ?? defaultLimitBytes };
}

/**
 * Refuses a new backup once the stored archives reach the limit. The size of the new archive is not
 * known before it is made, so one backup may end above the limit; the next one is refused.
 */
export function assertBackupQuota(quota: BackupQuota): void {
  if (quota.used_bytes >= quota.limit_bytes) {
    throw new DomainError(
      'QUOTA_EXCEEDED',
      `Backups use ${quota.used_bytes} of the ${quota.limit_bytes} bytes your plan allows; delete some first.`,
      { quota: 'backup_storage_bytes', used: quota.used_bytes, limit: quota.limit_bytes },
    );
  }
}
