import { and, asc, desc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '@minefleet/db/database';
import { backups, servers } from '@minefleet/db/schema';
import type { BackupStatus } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import { offsetOf, type PageRequest } from '../pagination.js';
import type { BackupRecord } from './backup-input.js';

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
  /** When set, a backup of another server is not found (404): a backup id never reveals that another server's backup exists. */
  serverId?: string | undefined;
}

const serverExists = sql<boolean>`exists (select 1 from ${servers} where ${servers.id} = ${backups.serverId})`;

/** One page of the backups the transaction sees (a tenant's, under row-level security), with the total. */
export async function listBackups(
  tx: Tx,
  query: BackupListQuery,
): Promise<{ items: BackupView[]; total: number }> {
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
  return { items: rows.map((r) => ({ ...r.backup, serverExists: asBool(r.serverExists) })), total };
}

/** The backup, or BACKUP_NOT_FOUND (another tenant's is hidden by row-level security). */
export async function findBackup(tx: Tx, ref: BackupRef, lock = false): Promise<BackupView> {
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

/** PGlite and node-postgres both return booleans; text 't' covers drivers that do not. */
function asBool(value: unknown): boolean {
  return value === true || value === 't' || value === 'true';
}
