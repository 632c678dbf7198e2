import { and, eq, inArray, isNull, ne, or } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { backups, servers } from '@minefleet/db/schema';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { ServerArchives } from '@minefleet/domain/ports/server-archives';
import type { Logger } from '../logger.js';
import type { BackupRunner } from './backup-runner.js';

export interface BackupRecoveryDeps {
  db: Database;
  store: BackupStore;
  /** The server's files as the archive engine reaches them (a local folder, or a pod's agent). */
  archives: ServerArchives;
  runtime: RuntimeDriver;
  runner: BackupRunner;
  logger: Logger;
  workerId: string;
  /** Whether the control plane that wrote `worker_id` is still alive (see WorkerPresence). */
  workerAlive: (workerId: string) => Promise<boolean>;
  /** Whether this replica manages the server's files and process (all, with one replica). */
  owns: (serverId: string) => boolean;
}

/**
 * Cleans up after a control plane that died mid-job:
 * - backups left `pending`/`running` by a dead worker are marked `failed` (their archive, if the
 *   store kept a part, is deleted), and a server that was being backed up hot gets `save-on` again:
 *   the game outlived the control plane with periodic saving paused;
 * - backups left `restoring` by a control plane that is gone go back to `completed` (the restore
 *   itself was atomic: the old or the new world is in place, and the lifecycle's reconcile moves the
 *   server out of `restoring`);
 * - each server folder gets `recoverInterruptedRestore` (puts back a folder renamed aside by a restore
 *   killed between its two renames, removes half-extracted ones).
 */
export class BackupRecovery {
  constructor(private readonly deps: BackupRecoveryDeps) {}

  /** Before the lifecycle starts servers: folders first, so nothing starts on a half-swapped world. */
  async recoverFolders(): Promise<void> {
    const { db, archives, runtime, logger } = this.deps;
    const all = await db.system((tx) => tx.select({ id: servers.id }).from(servers));
    for (const { id } of all) {
      if (!this.deps.owns(id)) continue;
      try {
        const actions = await archives.recoverInterruptedRestore(id);
        if (actions.length > 0) {
          runtime.storageChanged(id);
          logger.warn({ serverId: id, actions }, 'finished an interrupted restore');
        }
      } catch (error) {
        logger.error({ err: error, serverId: id }, 'could not check for an interrupted restore');
      }
    }
  }

  /**
   * Backups left `restoring` by a control plane that is gone (its worker id is on the row) go back to
   * `completed`: the restore itself was atomic, and the lifecycle's reconcile moves the server out of
   * `restoring`. Restores of live replicas (this one's included, but at boot, when rows under this id
   * are a previous life's) are left alone.
   */
  private async endAbandonedRestores(boot: boolean): Promise<void> {
    const { db, logger } = this.deps;
    const rows = await db.system((tx) =>
      tx
        .select({ id: backups.id, workerId: backups.workerId })
        .from(backups)
        .where(eq(backups.status, 'restoring')),
    );
    const abandoned: string[] = [];
    for (const row of rows) {
      if (row.workerId === this.deps.workerId && !boot) continue;
      if (
        row.workerId !== null &&
        row.workerId !== this.deps.workerId &&
        (await this.deps.workerAlive(row.workerId))
      )
        continue;
      abandoned.push(row.id);
    }
    if (abandoned.length === 0) return;
    const reset = await db.system((tx) =>
      tx
        .update(backups)
        .set({ status: 'completed' })
        .where(and(inArray(backups.id, abandoned), eq(backups.status, 'restoring')))
        .returning({ id: backups.id }),
    );
    if (reset.length > 0)
      logger.warn({ backups: reset.map((r) => r.id) }, 'restores interrupted by a control-plane stop');
  }

  /**
   * Fails the jobs of dead workers (at boot, after the lifecycle re-adopted running servers, and
   * periodically: with several replicas one may die while the others run). At `boot`, jobs under this
   * control plane's own id are a previous life's too (the id may be fixed, MINEFLEET_REPLICA_ID): none
   * of this process's can exist yet. Returns how many were failed.
   */
  async failInterrupted(options: { boot: boolean }): Promise<number> {
    const { db, logger } = this.deps;
    // This replica's own jobs whose failure could not be written while the database was away: the
    // query below skips rows of a live worker, this one included.
    await this.deps.runner.recordUnrecorded();
    await this.endAbandonedRestores(options.boot);
    const candidates = await db.system((tx) =>
      tx
        .select()
        .from(backups)
        .where(
          and(
            inArray(backups.status, ['pending', 'running']),
            options.boot ? undefined : or(isNull(backups.workerId), ne(backups.workerId, this.deps.workerId)),
          ),
        ),
    );
    const alive = new Map<string, boolean>();
    let failed = 0;
    for (const backup of candidates) {
      const worker = backup.workerId;
      if (worker !== null && !(options.boot && worker === this.deps.workerId)) {
        if (!alive.has(worker)) alive.set(worker, await this.deps.workerAlive(worker));
        if (alive.get(worker)) continue;
      }
      const row = await this.deps.runner.failPending(
        backup,
        new Error('Interrupted: the control plane working on this backup stopped before it finished.'),
      );
      if (row.status !== 'failed') continue;
      failed++;
      logger.warn(
        { backupId: backup.id, serverId: backup.serverId },
        'backup interrupted by a control-plane stop',
      );
      if (backup.status === 'running') await this.resumeSaving(backup.serverId);
    }
    return failed;
  }

  /** `save-on` to a game that may have been left with saving paused; harmless if it was not. */
  private async resumeSaving(serverId: string): Promise<void> {
    const { runtime, logger } = this.deps;
    try {
      if ((await runtime.inspect(serverId)).state !== 'alive') return;
      await runtime.sendCommand(serverId, 'save-on');
      logger.info({ serverId }, 'saving resumed after an interrupted hot backup');
    } catch (error) {
      logger.error({ err: error, serverId }, 'could not resume saving after an interrupted backup');
    }
  }
}
