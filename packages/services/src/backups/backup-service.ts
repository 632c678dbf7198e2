import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { backups, servers } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import type { BackupCompression, BackupStatus, BackupType } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import type { ArchiveEngine } from '@minefleet/domain/ports/archive-engine';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { assertActionAllowed } from '@minefleet/domain/server-state';
import { requireRole, scopeOf, type Actor } from '../actor.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { Logger } from '../logger.js';
import { offsetOf, type Page, type PageRequest } from '../pagination.js';
import type { ServerRecord } from '../server-record.js';
import {
  assertBackupName,
  assertCompression,
  assertDescription,
  assertTags,
  defaultBackupName,
  expiryOf,
  IN_PROGRESS_STATUSES,
  type BackupInput,
  type BackupPatch,
  type BackupRecord,
} from './backup-input.js';
import { deleteBackup } from './backup-deletion.js';
import { assertBackupQuota, backupQuota, type BackupQuota } from './backup-quota.js';
import { BackupRunner } from './backup-runner.js';

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
}

export interface BackupServiceDeps {
  db: Database;
  store: BackupStore;
  engine: ArchiveEngine;
  runtime: RuntimeDriver;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  lifecycle: LifecycleService;
  workerId: string;
  settings: BackupSettings;
}

export const BACKUP_SORTS = ['created_at', '-created_at', 'size_bytes', '-size_bytes'] as const;
export type BackupSort = (typeof BACKUP_SORTS)[number];

export interface BackupListQuery extends PageRequest {
  /** Only this server's backups, else the whole tenant's. */
  serverId?: string | undefined;
  /** The per-server route: the server must exist (and be the tenant's), else SERVER_NOT_FOUND. */
  serverMustExist?: boolean | undefined;
  status?: BackupStatus[] | undefined;
  tag?: string | undefined;
  /** Part of the name. */
  q?: string | undefined;
  /** Only backups whose server was deleted. */
  orphaned?: boolean | undefined;
  sort?: BackupSort | undefined;
}

/** A backup as listed: the row, plus whether its server still exists. */
export interface BackupView extends BackupRecord {
  serverExists: boolean;
}

/** Where a backup is addressed from: under its server (`/servers/{id}/backups/…`) or tenant-wide. */
export interface BackupRef {
  backupId: string;
  /** When set, a backup of another server is not found (404), as API.md asks. */
  serverId?: string | undefined;
}

const serverExists = sql<boolean>`exists (select 1 from ${servers} where ${servers.id} = ${backups.serverId})`;

/**
 * Backups as a user sees them: create (manual), list with filters and the tenant's quota, get, change
 * (lock, tags, description, expiry), delete, open for download. Jobs run in the background under the
 * server's lock through BackupRunner; restores are BackupRestorer's; boot recovery and retention are
 * BackupRecovery's and RetentionJob's.
 */
export class BackupService {
  readonly runner: BackupRunner;
  private readonly pending = new Set<Promise<unknown>>();
  /** Aborted at shutdown: running jobs stop (and `save-on` goes out) instead of holding the exit up. */
  private readonly shutdown = new AbortController();
  private closed = false;

  constructor(private readonly deps: BackupServiceDeps) {
    this.runner = new BackupRunner({
      db: deps.db,
      store: deps.store,
      engine: deps.engine,
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
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'operator', 'backup');
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
  ): Promise<BackupRecord> {
    const record = await this.insert(server, input, type, { quota: false });
    return this.runner.run(record, {
      signal: signal ? AbortSignal.any([signal, this.shutdown.signal]) : this.shutdown.signal,
    });
  }

  private enqueue(record: BackupRecord): Promise<BackupRecord> {
    const task = this.deps.lifecycle.locks
      .run(
        record.serverId,
        'backup',
        async () => {
          if (this.closed) throw new DomainError('SHUTTING_DOWN', 'The control plane is shutting down.');
          const server = await this.deps.lifecycle.status.load(record.serverId);
          if (!server) throw new DomainError('SERVER_NOT_FOUND', 'The server was deleted.');
          assertActionAllowed('backup', server.status);
          return this.runner.run(record, { signal: this.shutdown.signal });
        },
        this.deps.settings.lockWaitMs,
      )
      .catch((error: unknown) => this.runner.failPending(record, error));
    this.track(task);
    return task;
  }

  private track(task: Promise<unknown>): void {
    const tracked = task.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private async insert(
    server: ServerRecord,
    input: BackupInput,
    type: BackupType,
    options: { quota: boolean; actor?: Actor },
  ): Promise<BackupRecord> {
    const { engine, clock, settings } = this.deps;
    const now = clock.now();
    const compression = input.compression
      ? assertCompression(input.compression)
      : settings.defaultCompression;
    const tags = assertTags(input.tags ?? []);
    const description = input.description !== undefined ? assertDescription(input.description) : null;
    const expiresAt = input.retainDays !== undefined ? expiryOf(input.retainDays, now) : null;
    const chosenName = input.name !== undefined ? assertBackupName(input.name) : undefined;
    const run = <T>(fn: (tx: Tx) => Promise<T>) =>
      options.actor ? this.deps.db.tenant(scopeOf(options.actor), fn) : this.deps.db.system(fn);

    // A generated name can collide with one made in the same second: try a suffix.
    for (let attempt = 0; ; attempt++) {
      const name =
        chosenName ??
        (attempt === 0 ? defaultBackupName(type, now) : `${defaultBackupName(type, now)}-${attempt + 1}`);
      const id = randomUUID();
      try {
        return await run(async (tx) => {
          if (options.quota)
            assertBackupQuota(await backupQuota(tx, server.tenantId, settings.quotaBytes, true));
          const [row] = await tx
            .insert(backups)
            .values({
              id,
              tenantId: server.tenantId,
              serverId: server.id,
              serverName: server.name,
              name,
              status: 'pending',
              type,
              compression,
              tags,
              description,
              storageKey: `${server.tenantId}/${server.id}/${id}${engine.extension(compression)}`,
              minecraftVersion: server.minecraftVersion,
              distribution: server.distribution,
              workerId: this.deps.workerId,
              expiresAt,
              createdAt: new Date(now),
            })
            .returning();
          return row!;
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        if (chosenName !== undefined || attempt >= 9) {
          throw new DomainError(
            'BACKUP_NAME_TAKEN',
            `A backup named "${name}" already exists on this server.`,
            {
              name,
            },
          );
        }
      }
    }
  }

  // ─── Read ────────────────────────────────────────────────────────────────────────────────────

  async list(actor: Actor, query: BackupListQuery): Promise<Page<BackupView> & { quota: BackupQuota }> {
    requireRole(actor, 'viewer');
    if (query.serverId !== undefined && query.serverMustExist)
      await this.deps.lifecycle.authorize(actor, query.serverId, 'viewer');
    const filters: SQL[] = [];
    if (query.serverId !== undefined) filters.push(eq(backups.serverId, query.serverId));
    if (query.status && query.status.length > 0) filters.push(inArray(backups.status, query.status));
    if (query.tag !== undefined) filters.push(sql`${backups.tags} @> ${JSON.stringify([query.tag])}::jsonb`);
    if (query.q) filters.push(sql`${backups.name} ilike ${`%${query.q.replace(/[%_\\]/g, '\\$&')}%`}`);
    if (query.orphaned !== undefined) filters.push(query.orphaned ? sql`not ${serverExists}` : serverExists);
    const where = filters.length > 0 ? and(...filters) : undefined;
    const order = {
      created_at: [asc(backups.createdAt), asc(backups.id)],
      '-created_at': [desc(backups.createdAt), desc(backups.id)],
      size_bytes: [asc(backups.sizeBytes), asc(backups.id)],
      '-size_bytes': [desc(backups.sizeBytes), desc(backups.id)],
    }[query.sort ?? '-created_at'];
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const rows = await tx
        .select({ backup: backups, serverExists, total: sql<string>`count(*) over ()` })
        .from(backups)
        .where(where)
        .orderBy(...order)
        .limit(query.perPage)
        .offset(offsetOf(query));
      let total = Number(rows[0]?.total ?? 0);
      if (rows.length === 0) {
        const [count] = await tx
          .select({ n: sql<string>`count(*)` })
          .from(backups)
          .where(where);
        total = Number(count?.n ?? 0);
      }
      return {
        items: rows.map((r) => ({ ...r.backup, serverExists: asBool(r.serverExists) })),
        total,
        quota: await backupQuota(tx, actor.tenantId, this.deps.settings.quotaBytes),
      };
    });
  }

  async quota(actor: Actor): Promise<BackupQuota> {
    return this.deps.db.tenant(scopeOf(actor), (tx) =>
      backupQuota(tx, actor.tenantId, this.deps.settings.quotaBytes),
    );
  }

  async get(actor: Actor, ref: BackupRef): Promise<BackupView> {
    requireRole(actor, 'viewer');
    if (ref.serverId !== undefined) await this.deps.lifecycle.authorize(actor, ref.serverId, 'viewer');
    return this.deps.db.tenant(scopeOf(actor), (tx) => this.find(tx, ref));
  }

  /** The backup, or BACKUP_NOT_FOUND (another tenant's is hidden by row-level security). */
  async find(tx: Tx, ref: BackupRef, lock = false): Promise<BackupView> {
    if (!isUuid(ref.backupId))
      throw new DomainError('INVALID_ID', 'The backup id is not a UUID.', { id: ref.backupId });
    const query = tx
      .select({ backup: backups, serverExists })
      .from(backups)
      .where(
        and(
          eq(backups.id, ref.backupId),
          ref.serverId !== undefined ? eq(backups.serverId, ref.serverId) : undefined,
        ),
      );
    const [row] = lock ? await query.for('update', { of: backups }) : await query;
    if (!row) throw new DomainError('BACKUP_NOT_FOUND', 'No such backup.', { id: ref.backupId });
    return { ...row.backup, serverExists: asBool(row.serverExists) };
  }

  // ─── Change and delete ───────────────────────────────────────────────────────────────────────

  async update(actor: Actor, ref: BackupRef, patch: BackupPatch): Promise<BackupView> {
    requireRole(actor, 'operator');
    if (ref.serverId !== undefined) await this.deps.lifecycle.authorize(actor, ref.serverId, 'viewer');
    const set: Partial<typeof backups.$inferInsert> = {};
    if (patch.locked !== undefined) set.locked = patch.locked;
    if (patch.tags !== undefined) set.tags = assertTags(patch.tags);
    if (patch.description !== undefined)
      set.description = patch.description === null ? null : assertDescription(patch.description);
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const current = await this.find(tx, ref, true);
      if (patch.retainDays !== undefined) {
        // The expiry counts from the backup's creation, so "keep 30 days" means the same whenever it is said.
        set.expiresAt =
          patch.retainDays === null ? null : expiryOf(patch.retainDays, current.createdAt.getTime());
      }
      if (Object.keys(set).length === 0) return current;
      const [row] = await tx.update(backups).set(set).where(eq(backups.id, current.id)).returning();
      return { ...row!, serverExists: current.serverExists };
    });
  }

  /** Deletes the archive, then the row. Locked → BACKUP_LOCKED; a job in progress → BACKUP_NOT_READY. */
  async delete(actor: Actor, ref: BackupRef): Promise<BackupRecord> {
    requireRole(actor, 'admin');
    if (ref.serverId !== undefined) await this.deps.lifecycle.authorize(actor, ref.serverId, 'viewer');
    let refusal: DomainError | undefined;
    const deleted = await deleteBackup(
      this.deps.db,
      this.deps.store,
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
    if (!deleted) throw new DomainError('BACKUP_NOT_FOUND', 'No such backup.', { id: ref.backupId });
    this.runner.publish(deleted, { status: 'deleted' });
    return deleted;
  }

  /** The archive's bytes, for a download. Only completed backups have one. */
  /** A backup the caller may download now (an operator's, completed): else the error a download gets. */
  async downloadable(actor: Actor, ref: BackupRef): Promise<BackupView> {
    requireRole(actor, 'operator');
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
      await deleteBackup(
        this.deps.db,
        this.deps.store,
        id,
        (row) => !row.locked && !(IN_PROGRESS_STATUSES as readonly string[]).includes(row.status),
      );
    }
  }

  /**
   * Shutdown: running jobs are aborted (they end `failed`, "Interrupted", with `save-on` sent), queued
   * ones fail with SHUTTING_DOWN, and this waits for them to settle.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.shutdown.abort(new Error('Interrupted: the control plane is shutting down.'));
    await Promise.allSettled([...this.pending]);
  }
}

/** PGlite and node-postgres both return booleans; text 't' covers drivers that do not. */
function asBool(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}
