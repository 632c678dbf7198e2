import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { siblingPath } from '@minefleet/backups/extract-archive';
import type { Database } from '@minefleet/db/database';
import { snapshotOpenPglite } from '@minefleet/db/platform-dump';
import { DomainError } from '@minefleet/domain/errors';
import { capturePostgres, packPlatformBackup, stagePlatformBackup } from './platform-backup.js';
import {
  PGLITE_FILE,
  PlatformBackupError,
  requireLevel,
  type PlatformManifest,
} from './platform-backup-format.js';

/** Prefix of the staging folders in the data folder (a crash leaves one: crash-leftovers.ts sweeps it). */
export const ONLINE_STAGING_PREFIX = '.platform-backup.mf-online-';

export interface OnlinePlatformBackup {
  manifest: PlatformManifest;
  /** The archive, in the format `minefleet admin backup` writes; its end (or abort) removes the staging. */
  stream: Readable;
}

/**
 * The platform backup taken by the running control plane itself (`POST /api/v1/admin/platform-backup`),
 * so the embedded database needs no stop: this process is the only one that has the PGlite folder open,
 * and it copies it between transactions (Database.snapshot). PostgreSQL goes through `pg_dump` as
 * offline. One runs at a time: the copy is held in memory while it is written.
 */
export class OnlinePlatformBackups {
  private running = false;

  constructor(
    private readonly options: {
      dataDir: string;
      databaseUrl: string | undefined;
      database: Database;
    },
  ) {}

  async open(): Promise<OnlinePlatformBackup> {
    if (this.running) {
      throw new DomainError('PLATFORM_BACKUP_IN_PROGRESS');
    }
    this.running = true;
    const { dataDir, databaseUrl, database } = this.options;
    const staging = siblingPath(path.join(dataDir, 'platform-backup'), 'online');
    let handedOver = false;
    const cleanup = async () => {
      await rm(staging, { recursive: true, force: true });
      this.running = false;
    };
    try {
      await mkdir(staging, { recursive: true, mode: 0o700 });
      const manifest = await stagePlatformBackup({
        dataDir,
        staging,
        database: database.dialect,
        capture: async (into) => {
          if (database.dialect === 'postgres') {
            if (!databaseUrl) {
              throw new PlatformBackupError(
                'PLATFORM_DATABASE_MISSING',
                'no PostgreSQL URL to run pg_dump with.',
              );
            }
            return capturePostgres(databaseUrl, into);
          }
          const level = requireLevel(await snapshotOpenPglite(database, path.join(into, PGLITE_FILE)));
          return { file: PGLITE_FILE, level };
        },
      });
      const stream = Readable.from(packPlatformBackup(staging).stream, { objectMode: false });
      stream.once('close', () => void cleanup());
      handedOver = true;
      return { manifest, stream };
    } catch (error) {
      if (!(error instanceof PlatformBackupError)) throw error;
      throw new DomainError('PLATFORM_BACKUP_FAILED', error.message, { reason: error.code });
    } finally {
      if (!handedOver) await cleanup();
    }
  }
}
