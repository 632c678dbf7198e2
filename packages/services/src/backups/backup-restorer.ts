import { and, eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { backups } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import { DomainError, isDomainError } from '@minefleet/domain/errors';
import type { ArchiveEngine } from '@minefleet/domain/ports/archive-engine';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { Actor } from '../actor.js';
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
  engine: ArchiveEngine;
  runtime: RuntimeDriver;
  clock: Clock;
  logger: Logger;
  lifecycle: LifecycleService;
  backups: BackupService;
  /** How long post-restore commands wait for the server to be running. */
  warmupTimeoutMs: number;
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
export class BackupRestorer {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly deps: BackupRestorerDeps) {}

  /** Answers once the server is `restoring` (202); the restore goes on in the background. */
  async restore(
    actor: Actor,
    ref: BackupRef,
    targetServerId: string,
    request: RestoreRequest,
  ): Promise<ServerRecord> {
    const { lifecycle } = this.deps;
    const server = await lifecycle.authorize(actor, targetServerId, 'operator', 'restore');
    const backup = await this.deps.backups.get(actor, ref);
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

    return new Promise<ServerRecord>((resolve, reject) => {
      let accepted = false;
      const task = lifecycle
        .maintenance(server.id, 'restore', (locked) => this.work(locked, backup, request), {
          startAfter: request.startAfter,
          announce: 'The server is stopping to restore a backup.',
          accept: (restoring) => {
            accepted = true;
            resolve(restoring);
          },
        })
        .then(() => this.afterRestore(server.id, commands))
        .catch((error: unknown) => {
          if (!accepted) reject(error instanceof Error ? error : new Error(String(error)));
          else
            this.deps.logger.warn({ err: error, serverId: server.id, backupId: backup.id }, 'restore failed');
        })
        .finally(() => this.pending.delete(task));
      this.pending.add(task);
    });
  }

  private async work(server: ServerRecord, backup: BackupRecord, request: RestoreRequest): Promise<void> {
    const { db, store, engine, runtime } = this.deps;
    const claimed = await db.system(
      async (tx) =>
        (
          await tx
            .update(backups)
            .set({ status: 'restoring' })
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
        const pre = await this.deps.backups.createLocked(
          server,
          { tags: ['pre-restore'], description: `Taken before restoring "${backup.name}".` },
          'pre_restore',
          signal,
        );
        if (pre.status !== 'completed') {
          throw new Error(
            `The pre-restore backup failed, so nothing was restored: ${pre.error ?? 'unknown error'}`,
          );
        }
      }
      const workspace = runtime.workspace(server.id);
      await engine.restore(workspace.root, await store.get(backup.storageKey), {
        compression: backup.compression,
        expectedSha256: backup.sha256 ?? undefined,
        preserve: workspace.backupExcludes,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      const error = failure === undefined ? null : describe(failure);
      const [row] = await db.system((tx) =>
        tx
          .update(backups)
          .set({ status: 'completed', error })
          .where(and(eq(backups.id, backup.id), eq(backups.status, 'restoring')))
          .returning(),
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
    const deadline = this.deps.clock.now() + this.deps.warmupTimeoutMs;
    for (;;) {
      const server = await this.deps.lifecycle.status.load(serverId);
      if (!server || server.status === 'stopped' || server.status === 'failed') {
        this.deps.logger.info(
          { serverId },
          'server not started after the restore; post-restore commands skipped',
        );
        return;
      }
      if (server.status === 'running') break;
      if (this.deps.clock.now() > deadline) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    for (const command of commands) await this.deps.runtime.sendCommand(serverId, command);
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

/** The error as kept on the backup: its stable code first when it has one (`BACKUP_CORRUPT: …`). */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return (isDomainError(error) ? `${error.code}: ${message}` : `Restore failed: ${message}`).slice(0, 2000);
}
