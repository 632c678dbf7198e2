import path from 'node:path';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import { DomainError } from '@minefleet/domain/errors';
import { LocalBackupStore } from './local-store.js';
import { S3BackupStore } from './s3-store.js';

/**
 * Picks the backup store from the environment, for the composition root:
 * - `MINEFLEET_S3_BUCKET` set → S3-compatible store, with `MINEFLEET_S3_ENDPOINT`, `MINEFLEET_S3_REGION`,
 *   `MINEFLEET_S3_PREFIX`, `MINEFLEET_S3_ACCESS_KEY_ID` + `MINEFLEET_S3_SECRET_ACCESS_KEY` (both or neither;
 *   neither = the AWS SDK's default credential chain), `MINEFLEET_S3_FORCE_PATH_STYLE` (true/false).
 * - otherwise → local folder `MINEFLEET_BACKUP_DIR`, defaulting to `<dataDir>/backups`.
 */
export function backupStoreFromEnv(
  env: Record<string, string | undefined>,
  defaults: { dataDir: string },
): BackupStore {
  const bucket = nonEmpty(env.MINEFLEET_S3_BUCKET);
  if (bucket === undefined) {
    return new LocalBackupStore(nonEmpty(env.MINEFLEET_BACKUP_DIR) ?? path.join(defaults.dataDir, 'backups'));
  }
  const accessKeyId = nonEmpty(env.MINEFLEET_S3_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.MINEFLEET_S3_SECRET_ACCESS_KEY);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw configError('MINEFLEET_S3_ACCESS_KEY_ID and MINEFLEET_S3_SECRET_ACCESS_KEY must be set together');
  }
  const endpoint = nonEmpty(env.MINEFLEET_S3_ENDPOINT);
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    throw configError('MINEFLEET_S3_ENDPOINT must be an http:// or https:// URL');
  }
  const pathStyle = nonEmpty(env.MINEFLEET_S3_FORCE_PATH_STYLE);
  if (pathStyle !== undefined && !['true', 'false', '1', '0'].includes(pathStyle.toLowerCase())) {
    throw configError('MINEFLEET_S3_FORCE_PATH_STYLE must be true or false');
  }
  let prefix = nonEmpty(env.MINEFLEET_S3_PREFIX) ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  return new S3BackupStore({
    bucket,
    prefix,
    ...(endpoint !== undefined ? { endpoint } : {}),
    region: nonEmpty(env.MINEFLEET_S3_REGION) ?? 'us-east-1',
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey } }
      : {}),
    // Custom endpoints (MinIO, Ceph, s3rver) mostly need path style; AWS and R2 work either way.
    forcePathStyle:
      pathStyle !== undefined ? ['true', '1'].includes(pathStyle.toLowerCase()) : endpoint !== undefined,
  });
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

function configError(message: string): DomainError {
  return new DomainError('VALIDATION_FAILED', message, { source: 'environment' });
}
