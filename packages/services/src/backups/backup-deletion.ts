import { and, eq } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { backups } from '@minefleet/db/schema';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { BackupRecord } from './backup-input.js';

type Transaction = (fn: (tx: Tx) => Promise<BackupRecord | null>) => Promise<BackupRecord | null>;

/**
 * Deleting a backup, in three steps so no transaction waits on the backup store:
 * 1. `markDeleting`: a short transaction locks the row, asks `allowed` on it (a backup locked, restored
 *    from or otherwise changed since the caller looked is not touched) and sets it `deleting`. From then
 *    on it is refused for restore, download and changes, and retention finishes it.
 * 2. The archive is deleted from the store, outside any transaction (a slow or failing store holds no
 *    row lock and no database connection).
 * 3. The row is deleted.
 * A store failure or a crash between the steps leaves the backup `deleting` (its archive, if still
 * there, still counts against the quota); the retention run deletes such backups again (a store delete
 * of a missing archive succeeds), so no row is left without an archive nor an archive without a row.
 */
export async function markDeleting(
  db: Database,
  backupId: string,
  allowed: (row: BackupRecord) => boolean,
  transaction?: Transaction,
): Promise<BackupRecord | null> {
  const run = transaction ?? ((fn: (tx: Tx) => Promise<BackupRecord | null>) => db.system(fn));
  return run(async (tx) => {
    const [row] = await tx.select().from(backups).where(eq(backups.id, backupId)).for('update');
    if (!row || !allowed(row)) return null;
    if (row.status === 'deleting') return row;
    const [marked] = await tx
      .update(backups)
      .set({ status: 'deleting' })
      .where(eq(backups.id, backupId))
      .returning();
    return marked ?? null;
  });
}

/** Steps 2 and 3 for a backup marked `deleting`: throws (leaving it `deleting`) if the store fails. */
export async function finishDeleting(db: Database, store: BackupStore, row: BackupRecord): Promise<void> {
  await store.delete(row.storageKey);
  await db.system((tx) =>
    tx.delete(backups).where(and(eq(backups.id, row.id), eq(backups.status, 'deleting'))),
  );
}

/**
 * All three steps. Resolves with the deleted row, or null when `allowed` said no or the row is gone;
 * rejects with the store's error when the archive could not be deleted (the backup stays `deleting`).
 */
export async function deleteBackup(
  db: Database,
  store: BackupStore,
  backupId: string,
  allowed: (row: BackupRecord) => boolean,
  transaction?: Transaction,
): Promise<BackupRecord | null> {
  const row = await markDeleting(db, backupId, allowed, transaction);
  if (!row) return null;
  await finishDeleting(db, store, row);
  return row;
}
