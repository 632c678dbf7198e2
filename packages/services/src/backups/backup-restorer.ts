import { and, eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { untilWritten } from '@minefleet/db/outage';
import { backups } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import { DomainError, isDomainError } from '@minefleet/domain/errors';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { ServerArchives } from '@minefleet/domain/ports/server-archives';
import { scopeOf, type Actor } from '../actor.js';
import { BackgroundWork } from '../background-work.js';
import { assertCommand, type LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { Logger } from '../logger.js';
import type { ServerRecord } from '../server-record.js';
import type { BackupRecord } from './backup-input.js';
import type { BackupRef, BackupService } from './backup-service.js';

export interface RestoreRequest {
  /** Take a `pre_restore` backup of the current world first (default true). */
  preRestoreBackup?: boolean | undefined;
  /** Bound on the restore's own work (pre-restore backup + extraction); past it, it is abandoned. */
  timeoutSeconds?: number | undefined;
  /** Console commands sent once the server runs again (ignored if it stays stopped). */
  postRestoreCommands?: string[] | undefined;
  /** Start the server afterwards; default: if it was running before. */
  startAfter?: boolean | undefined;
}

export interface BackupRestorerDeps {
  db: Database;
  store: BackupStore;
  /** The server's files as the archive engine reaches them (a local folder, or a pod's agent). */
  archives: ServerArchives;
  runtime: RuntimeDriver;
  clock: Clock;
  logger: Logger;
  lifecycle: LifecycleService;
  backups: BackupService;
  /** How long post-restore commands wait for the server to be running. */
  warmupTimeoutMs: number;
  /** This control plane's worker id (backup-recovery.ts tells a dead one's restores by it). */
  workerId: string;
}

/**
 * Restores a backup into a server through the lifecycle's maintenance(): the server is stopped
 * gracefully and held in `restoring` (power actions answer 409), a `pre_restore` backup of the current
 * world is taken, the archive is streamed from the store into a new folder beside the server's with
 * every entry and the SHA-256 checked, and only then swapped in. A damaged archive (BACKUP_CORRUPT), a
 * failed pre-restore backup or a failing store leaves the current world in place and the server
 * startable; the error is kept on the backup and in the server's status_reason.
 *
 * The target is the backup's own server, or (tenant-wide route) any server of the tenant running the
 * same distribution and Minecraft version: that is how a deleted server's backup comes back.
 */
/** Entries a restored archive may hold (a world of a few GB has tens of thousands). */
const MAX_RESTORE_ENTRIES = 1_000_000;

export class BackupRestorer {
  private readonly background: BackgroundWork;

  constructor(private readonly deps: BackupRestorerDeps) {
    this.background = new BackgroundWork(deps.logger);
  }

  /** Answers once the server is `restoring` (202); the restore goes on in the background. */
  async restore(
    actor: Actor,
    ref: BackupRef,
    targetServerId: string,
    request: RestoreRequest,
  ): Promise<ServerRecord> {
    const { lifecycle } = this.deps;
    const server = await lifecycle.authorize(actor, targetServerId, 'backup.restore', 'restore');
    // backup.restore is enough to name the backup: a role may restore without listing backups.
    if (ref.serverId !== undefined) await lifecycle.authorize(actor, ref.serverId, 'backup.restore');
    const backups = this.deps.backups;
    const backup = await this.deps.db.tenant(scopeOf(actor), (tx) => backups.find(tx, ref));
    if (backup.status !== 'completed') {
      throw new DomainError('BACKUP_NOT_READY', `The backup is ${backup.status}.`, { status: backup.status });
    }
    if (
      (backup.distribution !== null && backup.distribution !== server.distribution) ||
      (backup.minecraftVersion !== null && backup.minecraftVersion !== server.minecraftVersion)
    ) {
      throw new DomainError(
        'BACKUP_INCOMPATIBLE',
        `The backup is of ${backup.distribution} ${backup.minecraftVersion}; the server runs ${server.distribution} ${server.minecraftVersion}.`,
        {
          backup: { distribution: backup.distribution, minecraft_version: backup.minecraftVersion },
          server: { distribution: server.distribution, minecraft_version: server.minecraftVersion },
        },
      );
    }
    const commands = (request.postRestoreCommands ?? []).map(assertCommand);
    if (request.preRestoreBackup !== false) {
      await this.deps.backups.assertQuota(
        server.tenantId,
        'The restore takes a safety copy of the current world first, which would not fit:',
      );
    }

    return this.background.accepted<ServerRecord>(
      'restore',
      { serverId: server.id, backupId: backup.id },
      (accept) =>
        lifecycle
          .maintenance(server.id, 'restore', (locked) => this.work(locked, backup, request), {
            startAfter: request.startAfter,
            announce: 'The server is stopping to restore a backup.',
            accept,
          })
          .then(() => this.afterRestore(server.id, commands)),
    );
  }

  private async work(server: ServerRecord, backup: BackupRecord, request: RestoreRequest): Promise<void> {
    const { db, store, archives, runtime } = this.deps;
    const claimed = await db.system(
      async (tx) =>
        (
          await tx
            .update(backups)
            // Who restores it: another replica puts the row back to `completed` if this one dies.
            .set({ status: 'restoring', workerId: this.deps.workerId })
            .where(and(eq(backups.id, backup.id), eq(backups.status, 'completed')))
            .returning()
        )[0],
    );
    if (!claimed) throw new DomainError('BACKUP_NOT_READY', 'The backup changed before the restore began.');
    this.deps.backups.runner.publish(claimed, { status: 'restoring', progress: 0 });
    const signal = request.timeoutSeconds ? AbortSignal.timeout(request.timeoutSeconds * 1000) : undefined;
    let failure: unknown;
    try {
      if (request.preRestoreBackup !== false) {
        // The safety copy counts against the backup quota like any other, and expires by default.
        const pre = await this.deps.backups.createLocked(
          server,
          {
            tags: ['pre-restore'],
            description: `Taken before restoring "${backup.name}".`,
            retainDays: this.deps.backups.preRestoreRetainDays,
          },
          'pre_restore',
          signal,
          { quota: true },
        );
        if (pre.status !== 'completed') {
          throw new Error(
            `The pre-restore backup failed, so nothing was restored: ${pre.error ?? 'unknown error'}`,
          );
        }
      }
      try {
        await archives.use(server.id, async (files) =>
          files.restore(await store.get(backup.storageKey), {
            compression: backup.compression,
            expectedSha256: backup.sha256 ?? undefined,
            // Nothing larger than the server's own storage can be a backup of it: a bomb stops there.
            limits: { maxBytes: server.storageMb * 1024 * 1024, maxEntries: MAX_RESTORE_ENTRIES },
            ...(signal ? { signal } : {}),
          }),
        );
      } finally {
        // Another world is in the folder now (or part of one, if it failed): its size is measured again.
        runtime.storageChanged(server.id);
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const error = failure === undefined ? null : describe(failure);
      // Retried while the database is away: the backup would otherwise stay `restoring` (and refuse a
      // second restore) until this replica restarts.
      const [row] = await untilWritten(
        () =>
          db.system((tx) =>
            tx
              .update(backups)
              .set({ status: 'completed', error })
              .where(and(eq(backups.id, backup.id), eq(backups.status, 'restoring')))
              .returning(),
          ),
        {
          onRetry: (err, attempt) =>
            this.deps.logger.warn(
              { err, backupId: backup.id, attempt },
              'restore: could not mark the backup completed again; retrying',
            ),
        },
      );
      this.deps.backups.runner.publish(row ?? backup, {
        status: 'completed',
        ...(error ? { error } : { progress: 1 }),
      });
    }
  }

  /** Post-restore commands go to the game once it runs (the lifecycle started it if asked). */
  private async afterRestore(serverId: string, commands: string[]): Promise<void> {
    if (commands.length === 0) return;
    const server = await this.deps.lifecycle.whenStatus(
      serverId,
      ['running', 'stopped', 'failed'],
      this.deps.warmupTimeoutMs,
    );
    if (!server || server.status === 'stopped' || server.status === 'failed') {
      this.deps.logger.info(
        { serverId },
        'server not started after the restore; post-restore commands skipped',
      );
      return;
    }
    if (server.status !== 'running') return;
    for (const command of commands) await this.deps.runtime.sendCommand(serverId, command);
  }

  async close(): Promise<void> {
    await this.background.drain();
  }
}

/** The error as kept on the backup: its stable code first when it has one (`BACKUP_CORRUPT: …`). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (isDomainError(error) ? `${error.code}: ${message}` : `Restore failed: ${message}`).slice(0, 2000);
}
