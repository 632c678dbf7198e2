import path from 'node:path';
import type { BackupStoreSettings } from '@minefleet/backups/create-store';
import { assertValidPrefix } from '@minefleet/backups/store-keys';
import { BACKUP_COMPRESSIONS, type BackupCompression } from '@minefleet/domain/enums';

/**
 * Configuration of backups, schedules and retention, read by `loadConfig`, with the backup store
 * (`MINEFLEET_BACKUP_DIR`, `MINEFLEET_S3_*`). Every variable is in README.md's table and
 * docs/backups.md.
 */
export interface BackupConfig {
  /** Where archives are kept (MINEFLEET_BACKUP_DIR, or a bucket with MINEFLEET_S3_*). */
  store: BackupStoreSettings;
  defaultCompression: BackupCompression;
  saveTimeoutMs: number;
  lockWaitMs: number;
  orphanRetainDays: number;
  /** Days a restore's safety copy is kept (MINEFLEET_BACKUP_PRE_RESTORE_RETAIN_DAYS). */
  preRestoreRetainDays: number;
  retentionIntervalMs: number;
  /** How often backups left by dead control planes are looked for (besides at boot). */
  sweepIntervalMs: number;
  /**
   * The platform's own backup on a schedule, into this store (MINEFLEET_PLATFORM_BACKUP_HOURS, 0: off;
   * MINEFLEET_PLATFORM_BACKUP_KEEP newest kept): platform-backup-schedule.ts.
   */
  platform: { intervalHours: number; keep: number };
  scheduler: {
    tickMs: number;
    graceMs: number;
    minIntervalMs: number;
    maxPerServer: number;
  };
}

export class BackupConfigError extends Error {}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new BackupConfigError(`${name} must be a number from ${min} to ${max} (got "${raw}").`);
  }
  return value;
}

/**
 * The backup store:
 * - `MINEFLEET_S3_BUCKET` set → S3-compatible store, with `MINEFLEET_S3_ENDPOINT`, `MINEFLEET_S3_REGION`,
 *   `MINEFLEET_S3_PREFIX`, `MINEFLEET_S3_ACCESS_KEY_ID` + `MINEFLEET_S3_SECRET_ACCESS_KEY` (both or neither;
 *   neither = the AWS SDK's default credential chain), `MINEFLEET_S3_FORCE_PATH_STYLE` (true/false),
 *   `MINEFLEET_S3_TIMEOUT_SECONDS` (how long a request may wait for the store's next byte).
 * - otherwise → local folder `MINEFLEET_BACKUP_DIR`, defaulting to `<dataDir>/backups`.
 */
/** How long a request may go without a byte from the store before it fails (a hung store). */
function s3Timeout(env: NodeJS.ProcessEnv): { idleTimeoutMs?: number } {
  const raw = nonEmpty(env.MINEFLEET_S3_TIMEOUT_SECONDS);
  if (raw === undefined) return {};
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600)
    throw new BackupConfigError(
      `MINEFLEET_S3_TIMEOUT_SECONDS must be a whole number from 1 to 3600 (got "${raw}")`,
    );
  return { idleTimeoutMs: seconds * 1000 };
}

export function backupStoreSettings(env: NodeJS.ProcessEnv, dataDir: string): BackupStoreSettings {
  const bucket = nonEmpty(env.MINEFLEET_S3_BUCKET);
  if (bucket === undefined) {
    return { kind: 'local', dir: nonEmpty(env.MINEFLEET_BACKUP_DIR) ?? path.join(dataDir, 'backups') };
  }
  const accessKeyId = nonEmpty(env.MINEFLEET_S3_ACCESS_KEY_ID);
  const secretAccessKey = nonEmpty(env.MINEFLEET_S3_SECRET_ACCESS_KEY);
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new BackupConfigError(
      'MINEFLEET_S3_ACCESS_KEY_ID and MINEFLEET_S3_SECRET_ACCESS_KEY must be set together',
    );
  }
  const endpoint = nonEmpty(env.MINEFLEET_S3_ENDPOINT);
  if (endpoint !== undefined && !/^https?:\/\//.test(endpoint)) {
    throw new BackupConfigError('MINEFLEET_S3_ENDPOINT must be an http:// or https:// URL');
  }
  const pathStyle = nonEmpty(env.MINEFLEET_S3_FORCE_PATH_STYLE);
  if (pathStyle !== undefined && !['true', 'false', '1', '0'].includes(pathStyle.toLowerCase())) {
    throw new BackupConfigError('MINEFLEET_S3_FORCE_PATH_STYLE must be true or false');
  }
  let prefix = nonEmpty(env.MINEFLEET_S3_PREFIX) ?? '';
  if (prefix !== '' && !prefix.endsWith('/')) prefix += '/';
  try {
    assertValidPrefix(prefix);
  } catch (error) {
    throw new BackupConfigError((error as Error).message);
  }
  return {
    kind: 's3',
    bucket,
    prefix,
    ...(endpoint !== undefined ? { endpoint } : {}),
    region: nonEmpty(env.MINEFLEET_S3_REGION) ?? 'us-east-1',
    ...s3Timeout(env),
    ...(accessKeyId !== undefined && secretAccessKey !== undefined
      ? { credentials: { accessKeyId, secretAccessKey } }
      : {}),
    // Custom endpoints (MinIO, Ceph, s3rver) mostly need path style; AWS and R2 work either way.
    forcePathStyle:
      pathStyle !== undefined ? ['true', '1'].includes(pathStyle.toLowerCase()) : endpoint !== undefined,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

export function loadBackupConfig(env: NodeJS.ProcessEnv, dataDir: string): BackupConfig {
  const compression = (env.MINEFLEET_BACKUP_COMPRESSION || 'zstd').trim();
  if (!(BACKUP_COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new BackupConfigError(
      `MINEFLEET_BACKUP_COMPRESSION must be one of ${BACKUP_COMPRESSIONS.join(', ')} (got "${compression}").`,
    );
  }
  return {
    store: backupStoreSettings(env, dataDir),
    defaultCompression: compression as BackupCompression,
    saveTimeoutMs: Math.round(number(env, 'MINEFLEET_BACKUP_SAVE_TIMEOUT_SECONDS', 60, 1, 3600) * 1000),
    lockWaitMs: Math.round(number(env, 'MINEFLEET_BACKUP_QUEUE_WAIT_SECONDS', 600, 1, 86_400) * 1000),
    orphanRetainDays: Math.round(number(env, 'MINEFLEET_BACKUP_ORPHAN_RETAIN_DAYS', 30, 1, 3650)),
    preRestoreRetainDays: Math.round(number(env, 'MINEFLEET_BACKUP_PRE_RESTORE_RETAIN_DAYS', 7, 1, 3650)),
    platform: {
      intervalHours: number(env, 'MINEFLEET_PLATFORM_BACKUP_HOURS', 0, 0, 24 * 365),
      keep: Math.round(number(env, 'MINEFLEET_PLATFORM_BACKUP_KEEP', 7, 1, 1000)),
    },
    retentionIntervalMs: Math.round(
      number(env, 'MINEFLEET_RETENTION_INTERVAL_SECONDS', 600, 0.2, 86_400) * 1000,
    ),
    sweepIntervalMs: Math.round(number(env, 'MINEFLEET_BACKUP_SWEEP_SECONDS', 30, 0.2, 3600) * 1000),
    scheduler: {
      tickMs: Math.round(number(env, 'MINEFLEET_SCHEDULER_TICK_MS', 1000, 50, 60_000)),
      graceMs: Math.round(number(env, 'MINEFLEET_SCHEDULE_GRACE_SECONDS', 300, 0, 86_400) * 1000),
      minIntervalMs: Math.round(number(env, 'MINEFLEET_SCHEDULE_MIN_INTERVAL_SECONDS', 60, 1, 86_400) * 1000),
      maxPerServer: Math.round(number(env, 'MINEFLEET_SCHEDULES_PER_SERVER', 20, 1, 1000)),
    },
  };
}
