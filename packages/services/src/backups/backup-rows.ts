import { randomUUID } from 'node:crypto';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { backups } from '@minefleet/db/schema';
import type { BackupCompression, BackupType } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';
import type { ArchiveEngine } from '@minefleet/domain/ports/archive-engine';
import { scopeOf, type Actor } from '../actor.js';
import type { ServerRecord } from '../server-record.js';
import {
  assertBackupName,
  assertCompression,
  assertDescription,
  assertTags,
  defaultBackupName,
  expiryOf,
  type BackupInput,
  type BackupRecord,
} from './backup-input.js';
import { assertBackupQuota, backupQuota } from './backup-quota.js';

/**
 * Writes the `pending` row of a new backup: the request checked, the tenant's quota asked when
 * `quota`, and a generated name made unique with a suffix when one made in the same second holds it.
 * With `actor` the row is written in the actor's tenant (row-level security), else as the platform.
 */
export async function insertPendingBackup(
  deps: {
    db: Database;
    engine: ArchiveEngine;
    now: number;
    workerId: string;
    defaultCompression: BackupCompression;
    quotaBytes: number;
  },
  server: ServerRecord,
  input: BackupInput,
  type: BackupType,
  options: { quota: boolean; actor?: Actor },
): Promise<BackupRecord> {
  const { engine, now } = deps;
  const compression = input.compression ? assertCompression(input.compression) : deps.defaultCompression;
  const tags = assertTags(input.tags ?? []);
  const description = input.description !== undefined ? assertDescription(input.description) : null;
  const expiresAt = input.retainDays !== undefined ? expiryOf(input.retainDays, now) : null;
  const chosenName = input.name !== undefined ? assertBackupName(input.name) : undefined;
  const run = <T>(fn: (tx: Tx) => Promise<T>) =>
    options.actor ? deps.db.tenant(scopeOf(options.actor), fn) : deps.db.system(fn);

  // A generated name can collide with one made in the same second: try a suffix.
  for (let attempt = 0; ; attempt++) {
    const name =
      chosenName ??
      (attempt === 0 ? defaultBackupName(type, now) : `${defaultBackupName(type, now)}-${attempt + 1}`);
    const id = randomUUID();
    try {
      return await run(async (tx) => {
        if (options.quota) assertBackupQuota(await backupQuota(tx, server.tenantId, deps.quotaBytes, true));
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
            workerId: deps.workerId,
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
