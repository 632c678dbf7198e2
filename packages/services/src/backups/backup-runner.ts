import { and, eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { backups } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import type { ArchivableFiles, ServerArchives } from '@minefleet/domain/ports/server-archives';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { BackupEventData, EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { Logger } from '../logger.js';
import type { BackupRecord } from './backup-input.js';
import { ConsoleWaiter } from './console-waiter.js';

export interface BackupRunnerDeps {
  db: Database;
  store: BackupStore;
  /** The server's files as the archive engine reaches them (a local folder, or a pod's agent). */
  archives: ServerArchives;
  runtime: RuntimeDriver;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** This control plane's identity, written on the rows it works on (see BackupRecovery). */
  workerId: string;
  /** How long save-off, save-all and save-on may take to answer. */
  saveTimeoutMs: number;
}

/** Progress events at most this often: a fast archive must not flood the bus. */
const PROGRESS_EVERY_MS = 500;

// The answers of vanilla/Paper (1.13+ and older wording) and of flying-squid's launcher.
const SAVE_OFF_ANSWER =
  /Automatic saving is now disabled|Turned off world auto-saving|Saving is already turned off/i;
const SAVE_ON_ANSWER =
  /Automatic saving is now enabled|Turned on world auto-saving|Saving is already turned on/i;
const SAVED_ANSWER = /Saved the game/i;

/**
 * Runs one backup job: archives the server's folder into the store and records the outcome on its row
 * (`pending → running → completed | failed`, with the error kept). The caller holds the server's lock,
 * so no power action, restore or other backup runs meanwhile.
 *
 * A server with a live process is backed up hot: `save-off` (pause periodic saving), `save-all flush`
 * (write everything now; waits for `Saved the game`), archive, and `save-on` in a `finally`, so saving
 * resumes even when archiving fails. A server without a process is archived as it is.
 */
export class BackupRunner {
  /**
   * Jobs that failed while the database was away, so their row could not be marked `failed`: the
   * recovery's sweep writes them (`recordUnrecorded`) once it answers again.
   */
  private readonly unrecorded = new Map<string, { record: BackupRecord; message: string }>();

  constructor(private readonly deps: BackupRunnerDeps) {}

  async run(record: BackupRecord, options: { signal?: AbortSignal } = {}): Promise<BackupRecord> {
    const { db, runtime } = this.deps;
    const started = await db.system(
      async (tx) =>
        (
          await tx
            .update(backups)
            .set({ status: 'running', workerId: this.deps.workerId, error: null })
            .where(and(eq(backups.id, record.id), eq(backups.status, 'pending')))
            .returning()
        )[0],
    );
    if (!started) throw new Error(`Backup ${record.id} is no longer pending.`);
    this.publish(started, { status: 'running', progress: 0, bytes: 0 });
    try {
      const observed = await runtime.inspect(record.serverId);
      const archive = () => this.archive(started, options.signal);
      const result =
        observed.state === 'alive' ? await this.withSavingPaused(record.serverId, archive) : await archive();
      return await this.complete(started, result);
    } catch (error) {
      return this.fail(started, error);
    }
  }

  /** Marks a job that never got to run (server busy, refused) as failed. */
  async failPending(record: BackupRecord, error: unknown): Promise<BackupRecord> {
    return this.fail(record, error);
  }

  private async archive(
    record: BackupRecord,
    signal: AbortSignal | undefined,
  ): Promise<{ sha256: string; sizeBytes: number }> {
    return this.deps.archives.use(record.serverId, (files) => this.archiveOf(files, record, signal));
  }

  private async archiveOf(
    files: ArchivableFiles,
    record: BackupRecord,
    signal: AbortSignal | undefined,
  ): Promise<{ sha256: string; sizeBytes: number }> {
    const { store } = this.deps;
    const total = await files.measure();
    let lastEvent = 0;
    const archive = files.archive({
      compression: record.compression,
      ...(signal ? { signal } : {}),
      onProgress: ({ bytesRead }) => {
        const now = this.deps.clock.now();
        if (now - lastEvent < PROGRESS_EVERY_MS) return;
        lastEvent = now;
        this.publish(record, {
          status: 'running',
          progress: total > 0 ? Math.min(0.99, bytesRead / total) : 0,
          bytes: bytesRead,
        });
      },
    });
    // The store hands each chunk back once written, so the engine reads the next into the same memory.
    const stored = await store.put(record.storageKey, archive.stream, {
      ...(signal ? { signal } : {}),
      ...(archive.release ? { onWritten: (chunk: Uint8Array) => archive.release?.(chunk) } : {}),
    });
    const summary = await archive.summary;
    if (stored.sizeBytes !== summary.sizeBytes) {
      // Both count the same bytes; a difference means the store lost some on the way.
      throw new Error(`The store kept ${stored.sizeBytes} bytes of a ${summary.sizeBytes}-byte archive.`);
    }
    return { sha256: summary.sha256, sizeBytes: summary.sizeBytes };
  }

  /**
   * Runs `work` with the game's periodic saving paused and everything flushed first, so the files do not
   * change while they are read. flying-squid's launcher implements these commands (docs/flying-squid.md).
   */
  private async withSavingPaused<T>(serverId: string, work: () => Promise<T>): Promise<T> {
    const { runtime, saveTimeoutMs } = this.deps;
    const console = new ConsoleWaiter(runtime, serverId);
    try {
      try {
        await console.command('save-off', SAVE_OFF_ANSWER, saveTimeoutMs);
        await console.command('save-all flush', SAVED_ANSWER, saveTimeoutMs);
        return await work();
      } finally {
        try {
          await console.command('save-on', SAVE_ON_ANSWER, saveTimeoutMs);
        } catch (error) {
          // Nothing more to do from here: the recovery at the next boot sends save-on again.
          this.deps.logger.error({ err: error, serverId }, 'save-on after a backup was not confirmed');
        }
      }
    } finally {
      console.close();
    }
  }

  private async complete(
    record: BackupRecord,
    result: { sha256: string; sizeBytes: number },
  ): Promise<BackupRecord> {
    const done = await this.deps.db.system(
      async (tx) =>
        (
          await tx
            .update(backups)
            .set({
              status: 'completed',
              sha256: result.sha256,
              sizeBytes: result.sizeBytes,
              completedAt: new Date(this.deps.clock.now()),
              workerId: null,
              error: null,
            })
            // Only if still ours: a replica that thought this one dead may have failed the row meanwhile.
            .where(
              and(
                eq(backups.id, record.id),
                eq(backups.status, 'running'),
                eq(backups.workerId, this.deps.workerId),
              ),
            )
            .returning()
        )[0],
    );
    if (!done) {
      await this.deps.store.delete(record.storageKey).catch(() => undefined);
      throw new Error('The backup was taken over (marked failed or deleted) while it ran.');
    }
    this.publish(done, { status: 'completed', progress: 1, bytes: result.sizeBytes });
    return done;
  }

  /**
   * Marks the job failed. Never rejects: it runs at the end of jobs nobody awaits (a manual backup
   * answers before it runs), and a rejection there would end the process. When the write itself fails
   * (the database is away), the error is logged and the job is kept for `recordUnrecorded`; a restart
   * meanwhile leaves the row to the boot sweep of interrupted backups.
   */
  private async fail(record: BackupRecord, error: unknown): Promise<BackupRecord> {
    const message = error instanceof Error ? error.message : String(error);
    this.deps.logger.warn({ err: error, backupId: record.id, serverId: record.serverId }, 'backup failed');
    // The store promises nothing is left under the key after a failed put; this also covers an archive
    // that was stored but could not be recorded.
    await this.deps.store.delete(record.storageKey).catch(() => undefined);
    let failed: BackupRecord | undefined;
    try {
      failed = await this.deps.db.system(
        async (tx) =>
          (
            await tx
              .update(backups)
              .set({
                status: 'failed',
                error: message.slice(0, 2000),
                workerId: null,
                sizeBytes: 0,
                sha256: null,
              })
              .where(eq(backups.id, record.id))
              .returning()
          )[0],
      );
      this.unrecorded.delete(record.id);
    } catch (writeError) {
      this.unrecorded.set(record.id, { record, message });
      this.deps.logger.error(
        { err: writeError, backupId: record.id, serverId: record.serverId },
        'could not mark a failed backup failed; the sweep tries again',
      );
    }
    const row = failed ?? { ...record, status: 'failed' as const, error: message };
    this.publish(row, { status: 'failed', error: message });
    return row;
  }

  /** Marks the jobs whose failure could not be written (see `fail`); returns how many are still left. */
  async recordUnrecorded(): Promise<number> {
    for (const { record, message } of [...this.unrecorded.values()])
      await this.fail(record, new Error(message));
    return this.unrecorded.size;
  }

  publish(record: BackupRecord, data: Omit<BackupEventData, 'backup_id'>): void {
    this.deps.events
      .publish({
        type: 'backup',
        tenantId: record.tenantId,
        serverId: record.serverId,
        ts: new Date(this.deps.clock.now()).toISOString(),
        data: { backup_id: record.id, ...data },
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'backup event not published'));
  }
}
