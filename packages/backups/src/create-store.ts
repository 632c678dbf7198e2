import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import { LocalBackupStore } from './local-store.js';
import { S3BackupStore, type S3BackupStoreConfig } from './s3-store.js';

/**
 * Where backups are kept, as the composition root parsed it from its configuration (this package
 * reads no environment): a local folder, or an S3-compatible bucket.
 */
export type BackupStoreSettings = { kind: 'local'; dir: string } | ({ kind: 's3' } & S3BackupStoreConfig);

/** The backup store the settings name. */
export function createBackupStore(settings: BackupStoreSettings): BackupStore {
  if (settings.kind === 'local') return new LocalBackupStore(settings.dir);
  const { kind: _kind, ...config } = settings;
  return new S3BackupStore(config);
}
