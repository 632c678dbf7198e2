import { and, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { backups } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import type { BackupCompression, BackupType } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';
import type { ArchiveEngine } from '@minefleet/domain/ports/archive-engine';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { ServerArchives } from '@minefleet/domain/ports/server-archives';
import { assertActionAllowed } from '@minefleet/domain/server-state';
import { patchPermission } from './backup-patch-permission.js';
import { requirePermission, scopeOf, type Actor } from '../actor.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { Logger } from '../logger.js';
import type { Page } from '../pagination.js';
import type { ServerRecord } from '../server-record.js';
import {
  assertDescription,
  assertTags,
  expiryOf,
  IN_PROGRESS_STATUSES,
  type BackupInput,
  type BackupPatch,
  type BackupRecord,
} from './backup-input.js';
import { finishDeleting, markDeleting } from './backup-deletion.js';
import {
  findBackup,
  listBackups,
  type BackupListQuery,
  type BackupRef,
  type BackupView,
} from './backup-queries.js';
import { assertBackupQuota, backupQuota, type BackupQuota } from './backup-quota.js';
import { insertPendingBackup } from './backup-rows.js';
import { BackupRunner } from './backup-runner.js';
import { BackgroundWork } from '../background-work.js';

export {
  BACKUP_SORTS,
  type BackupListQuery,
  type BackupRef,
  type BackupSort,
  type BackupView,
} from './backup-queries.js';

export interface BackupSettings {
  /** Compression when a request names none. */
  defaultCompression: BackupCompression;
  /** How long save-off / save-all / save-on may take to answer on a running server. */
  saveTimeoutMs: number;
  /** How long a queued backup waits for the server's lock (another backup, a stop) before failing. */
  lockWaitMs: number;
  /** Platform default of a tenant's backup storage (`MINEFLEET_QUOTA_BACKUP_BYTES`). */
  quotaBytes: number;
  /** Days a deleted server's backups without `retain_days` are kept (then retention removes them). */
  orphanRetainDays: number;
  /** Days a restore's safety copy (`pre_restore`) is kept. */
  preRestoreRetainDays: number;
}

export interface BackupServiceDeps {
  db: Database;
  store: BackupStore;
  engine: ArchiveEngine;
  /** The server's files as the archive engine reaches them (a local folder, or a pod's agent). */
  archives: ServerArchives;
  runtime: RuntimeDriver;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  lifecycle: LifecycleService;
  workerId: string;
  settings: BackupSettings;
}

/**
 * Backups as a user sees them: create (manual), list with filters and the tenant's quota, get, change
 * (lock, tags, description, expiry), delete, open for download. Jobs run in the background under the
 * server's lock through BackupRunner; restores are BackupRestorer's; boot recovery and retention are
 * BackupRecovery's and RetentionJob's.
 */
export class BackupService {
  readonly runner: BackupRunner;
  private readonly work: BackgroundWork;
  /** Aborted at shutdown: running jobs stop (and `save-on` goes out) instead of holding the exit up. */
  private readonly shutdown = new AbortController();
  private closed = false;

  constructor(private readonly deps: BackupServiceDeps) {
    this.work = new BackgroundWork(deps.logger);
    this.runner = new BackupRunner({
      db: deps.db,
      store: deps.store,
      archives: deps.archives,
      runtime: deps.runtime,
      events: deps.events,
      clock: deps.clock,
      logger: deps.logger,
      workerId: deps.workerId,
      saveTimeoutMs: deps.settings.saveTimeoutMs,
    });
  }

  // ─── Create ──────────────────────────────────────────────────────────────────────────────────

  /** A manual backup: answers with the `pending` row; the job runs once the server's lock is free. */
  async create(actor: Actor, serverId: string, input: BackupInput): Promise<BackupRecord> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'backup.create', 'backup');
    const record = await this.insert(server, input, 'manual', { quota: true, actor });
    void this.enqueue(record);
    return record;
  }

  /**
   * A backup the platform takes (schedules): same checks as a manual one, including the quota.
   * Resolves once the job is over, with the final row (`completed` or `failed`).
   */
  async createAndWait(server: ServerRecord, input: BackupInput, type: BackupType): Promise<BackupRecord> {
    assertActionAllowed('backup', server.status);
    const record = await this.insert(server, input, type, { quota: type === 'scheduled' });
    return this.enqueue(record);
  }

  /**
   * A backup taken while the caller already holds the server's lock (pre-restore, pre-delete): no
   * queueing, and no quota check — these are the platform's safety copies, taken so the operation that
   * asked for them cannot lose a world; they count towards the quota like any other.
   */
  async createLocked(
    server: ServerRecord,
    input: BackupInput,
    type: BackupType,
    signal?: AbortSignal,
    options: { quota?: boolean } = {},
  ): Promise<BackupRecord> {
    const record = await this.insert(server, input, type, { quota: options.quota ?? false });
    return this.runner.run(record, {
      signal: signal ? AbortSignal.any([signal, this.shutdown.signal]) : this.shutdown.signal,
    });
  }

  /** Days a restore's safety copy is kept. */
  get preRestoreRetainDays(): number {
    return this.deps.settings.preRestoreRetainDays;
  }

  /**
   * Refuses (QUOTA_EXCEEDED) once the tenant's stored archives reach its backup storage limit: asked
   * before work that will add an archive, so it is refused up front with the reason.
   */
  async assertQuota(tenantId: string, reason: string): Promise<void> {
    const quota = await this.deps.db.system((tx) => backupQuota(tx, tenantId, this.deps.settings.quotaBytes));
    try {
      assertBackupQuota(quota);
    } catch (error) {
      if (error instanceof DomainError)
        throw new DomainError(error.code, `${reason} ${error.message}`, error.details);
      throw error;
    }
  }

  private enqueue(record: BackupRecord): Promise<BackupRecord> {
    const task = this.deps.lifecycle
      .exclusive(
        record.serverId,
        'backup',
        async () => {
          if (this.closed) throw new DomainError('SHUTTING_DOWN', 'The control plane is shutting down.');
          const server = await this.deps.lifecycle.load(record.serverId);
          if (!server) throw new DomainError('SERVER_NOT_FOUND', 'The server was deleted.');
          assertActionAllowed('backup', server.status);
          return this.runner.run(record, { signal: this.shutdown.signal });
        },
        this.deps.settings.lockWaitMs,
      )
      .catch((error: unknown) => this.runner.failPending(record, error));
    return this.work.track(task);
  }

  private insert(
    server: ServerRecord,
    input: BackupInput,
    type: BackupType,
    options: { quota: boolean; actor?: Actor },
  ): Promise<BackupRecord> {
    const { db, engine, clock, workerId, settings } = this.deps;
    return insertPendingBackup(
      {
        db,
        engine,
        now: clock.now(),
        workerId,
        defaultCompression: settings.defaultCompression,
        quotaBytes: settings.quotaBytes,
      },
      server,
      input,
      type,
      options,
    );
  }

  // ─── Read ────────────────────────────────────────────────────────────────────────────────────

  async list(actor: Actor, query: BackupListQuery): Promise<Page<BackupView> & { quota: BackupQuota }> {
    requirePermission(actor, 'backup.read');
    if (query.serverId !== undefined && query.serverMustExist)
      await this.deps.lifecycle.authorize(actor, query.serverId, 'backup.read');
    return this.deps.db.tenant(scopeOf(actor), async (tx) => ({
      ...(await listBackups(tx, query)),
      quota: await backupQuota(tx, actor.tenantId, this.deps.settings.quotaBytes),
    }));
  }

  async quota(actor: Actor): Promise<BackupQuota> {
    return this.deps.db.tenant(scopeOf(actor), (tx) =>
      backupQuota(tx, actor.tenantId, this.deps.settings.quotaBytes),
    );
  }

  async get(actor: Actor, ref: BackupRef): Promise<BackupView> {
    requirePermission(actor, 'backup.read');
    if (ref.serverId !== undefined) await this.deps.lifecycle.authorize(actor, ref.serverId, 'backup.read');
    return this.deps.db.tenant(scopeOf(actor), (tx) => this.find(tx, ref));
  }

  /** The backup, or BACKUP_NOT_FOUND (another tenant's is hidden by row-level security). */
  find(tx: Tx, ref: BackupRef, lock = false): Promise<BackupView> {
    return findBackup(tx, ref, lock);
  }

  // ─── Change and delete ───────────────────────────────────────────────────────────────────────

  async update(actor: Actor, ref: BackupRef, patch: BackupPatch): Promise<BackupView> {
    requirePermission(actor, 'backup.update');
    if (ref.serverId !== undefined) await this.deps.lifecycle.authorize(actor, ref.serverId, 'backup.update');
    const set: Partial<typeof backups.$inferInsert> = {};
    if (patch.locked !== undefined) set.locked = patch.locked;
    if (patch.tags !== undefined) set.tags = assertTags(patch.tags);
    if (patch.description !== undefined)
      set.description = patch.description === null ? null : assertDescription(patch.description);
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const current = await this.find(tx, ref, true);
      // Its deletion is under way: locking it now would not bring it back.
      if (current.status === 'deleting')
        throw new DomainError('BACKUP_NOT_READY', 'The backup is deleting.', { status: current.status });
      const now = this.deps.clock.now();
      // Unlocking, or an expiry already due, hands a backup to retention: that is a deletion, an admin's call.
      requirePermission(actor, patchPermission(current, patch));
      if (patch.retainDays !== undefined) {
        // A changed expiry counts from now: "keep 1 day" on an old backup must not mean "delete it now".
        set.expiresAt = patch.retainDays === null ? null : expiryOf(patch.retainDays, now);
      }
      if (Object.keys(set).length === 0) return current;
      const [row] = await tx.update(backups).set(set).where(eq(backups.id, current.id)).returning();
      return { ...row!, serverExists: current.serverExists };
    });
  }

  /**
   * Marks the backup `deleting` (a short transaction), deletes the archive outside any transaction,
   * then the row (backup-deletion.ts). Locked → BACKUP_LOCKED; a job in progress → BACKUP_NOT_READY;
   * a store that fails → BACKUP_DELETE_PENDING, the backup stays `deleting` and retention finishes it.
   * A backup already `deleting` is deleted again (the store delete is idempotent).
   */
  async delete(actor: Actor, ref: BackupRef): Promise<BackupRecord> {
    requirePermission(actor, 'backup.delete');
    if (ref.serverId !== undefined) await this.deps.lifecycle.authorize(actor, ref.serverId, 'backup.delete');
    let refusal: DomainError | undefined;
    const marked = await markDeleting(
      this.deps.db,
      ref.backupId,
      (row) => {
        if (ref.serverId !== undefined && row.serverId !== ref.serverId) return false;
        if (row.locked)
          refusal = new DomainError('BACKUP_LOCKED', 'The backup is locked; unlock it first.', {
            id: row.id,
          });
        else if ((IN_PROGRESS_STATUSES as readonly string[]).includes(row.status))
          refusal = new DomainError('BACKUP_NOT_READY', `The backup is ${row.status}.`, {
            status: row.status,
          });
        return refusal === undefined;
      },
      (fn) =>
        this.deps.db.tenant(scopeOf(actor), async (tx) => {
          await this.find(tx, ref); // INVALID_ID / BACKUP_NOT_FOUND, and the tenant's row only
          return fn(tx);
        }),
    );
    if (refusal) throw refusal;
    if (!marked) throw new DomainError('BACKUP_NOT_FOUND', 'No such backup.', { id: ref.backupId });
    this.runner.publish(marked, { status: 'deleting' });
    try {
      await finishDeleting(this.deps.db, this.deps.store, marked);
    } catch (error) {
      this.deps.logger.warn(
        { err: error, backupId: marked.id },
        'backup archive not deleted; retention retries',
      );
      throw new DomainError(
        'BACKUP_DELETE_PENDING',
        'The backup store could not delete the archive now. The backup stays "deleting" (it cannot be ' +
          'restored or downloaded) and is removed by the next retention run.',
        { id: marked.id, status: 'deleting' },
      );
    }
    this.runner.publish(marked, { status: 'deleted' });
    return marked;
  }
  /** A backup the caller may download now (backup.download, completed): else the error a download gets. */
  async downloadable(actor: Actor, ref: BackupRef): Promise<BackupView> {
    requirePermission(actor, 'backup.download');
    const backup = await this.get(actor, ref);
    if (backup.status !== 'completed' && backup.status !== 'restoring')
      throw new DomainError('BACKUP_NOT_READY', `The backup is ${backup.status}.`, { status: backup.status });
    return backup;
  }

  async open(actor: Actor, ref: BackupRef): Promise<{ backup: BackupView; body: AsyncIterable<Uint8Array> }> {
    const backup = await this.downloadable(actor, ref);
    return { backup, body: await this.deps.store.get(backup.storageKey) };
  }

  /** The file name a download is offered under: `<server>-<backup><ext>`, safe in any header. */
  fileName(backup: BackupRecord): string {
    const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
    return `${safe(backup.serverName) || 'server'}-${safe(backup.name) || backup.id}${this.deps.engine.extension(backup.compression)}`;
  }

  // ─── Delete protection ───────────────────────────────────────────────────────────────────────

  /**
   * The lifecycle's `beforeRemove` hook (the server is stopped, its files still there):
   * - `keepBackups`: a final `pre_delete` backup, and the server's backups without an expiry get one
   *   (`orphanRetainDays`), so they stay listable and restorable into a new server until then. If the
   *   final backup fails the delete stops (the world is not removed without the copy asked for).
   * - otherwise: the server's backups are deleted, except locked ones (locked means never removed).
   */
  async beforeRemove(server: ServerRecord, options: { keepBackups: boolean }): Promise<void> {
    if (options.keepBackups) {
      const final = await this.createLocked(server, { tags: ['final'] }, 'pre_delete');
      if (final.status !== 'completed') {
        throw new Error(`The final backup before the delete failed: ${final.error ?? 'unknown error'}`);
      }
      const expiresAt = new Date(this.deps.clock.now() + this.deps.settings.orphanRetainDays * 86_400_000);
      await this.deps.db.system((tx) =>
        tx
          .update(backups)
          .set({ expiresAt })
          .where(and(eq(backups.serverId, server.id), sql`${backups.expiresAt} is null`)),
      );
      return;
    }
    const rows = await this.deps.db.system((tx) =>
      tx.select({ id: backups.id }).from(backups).where(eq(backups.serverId, server.id)),
    );
    for (const { id } of rows) {
      const marked = await markDeleting(
        this.deps.db,
        id,
        (row) => !row.locked && !(IN_PROGRESS_STATUSES as readonly string[]).includes(row.status),
      );
      if (!marked) continue;
      try {
        await finishDeleting(this.deps.db, this.deps.store, marked);
      } catch (error) {
        // The store failed: the backup stays `deleting`, retention finishes it, the server's delete goes on.
        this.deps.logger.warn(
          { err: error, backupId: id, serverId: server.id },
          'backup archive not deleted; retention retries',
        );
      }
    }
  }

  /**
   * Shutdown: running jobs are aborted (they end `failed`, "Interrupted", with `save-on` sent), queued
   * ones fail with SHUTTING_DOWN, and this waits for them to settle.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.shutdown.abort(new Error('Interrupted: the control plane is shutting down.'));
    await this.work.drain();
  }
}
