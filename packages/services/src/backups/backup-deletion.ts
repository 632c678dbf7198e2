import { eq } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { backups } from '@minefleet/db/schema';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { BackupRecord } from './backup-input.js';

/**
 * Deletes a backup: the archive from the store first, then the row, so a row never points at nothing
 * that still counts, and a failing store leaves the row (and its quota use) for a later retry.
 *
 * The row is locked (`FOR UPDATE`) while the archive is removed, and `allowed` is asked on the locked
 * row: a backup locked, restored from or otherwise changed since the caller looked is not touched.
 * Resolves with the deleted row, or null when `allowed` said no or the row is gone.
 */
export async function deleteBackup(
  db: Database,
  store: BackupStore,
  backupId: string,
  allowed: (row: BackupRecord) => boolean,
  transaction?: (fn: (tx: Tx) => Promise<BackupRecord | null>) => Promise<BackupRecord | null>,
): Promise<BackupRecord | null> {
  const run = transaction ?? ((fn: (tx: Tx) => Promise<BackupRecord | null>) => db.system(fn));
  return run(async (tx) => {
    const [row] = await tx.select().from(backups).where(eq(backups.id, backupId)).for('update');
    if (!row || !allowed(row)) return null;
    await store.delete(row.storageKey);
    await tx.delete(backups).where(eq(backups.id, backupId));
    return row;
  });
}
