import { BACKUP_COMPRESSIONS, type BackupCompression } from '@minefleet/domain/enums';

/**
 * Configuration of backups, schedules and retention, read by `loadConfig`. The backup store
 * itself (`MINEFLEET_BACKUP_DIR`, `MINEFLEET_S3_*`) is read by `backupStoreFromEnv` in the backups
 * package. Every variable is in README.md's table and docs/backups.md.
 */
export interface BackupConfig {
  /** The raw environment for `backupStoreFromEnv`. */
  storeEnv: Record<string, string | undefined>;
  defaultCompression: BackupCompression;
  saveTimeoutMs: number;
  lockWaitMs: number;
  orphanRetainDays: number;
  /** Days a restore's safety copy is kept (MINEFLEET_BACKUP_PRE_RESTORE_RETAIN_DAYS). */
  preRestoreRetainDays: number;
  retentionIntervalMs: number;
  /** How often backups left by dead control planes are looked for (besides at boot). */
  sweepIntervalMs: number;
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

export function loadBackupConfig(env: NodeJS.ProcessEnv): BackupConfig {
  const compression = (env.MINEFLEET_BACKUP_COMPRESSION || 'zstd').trim();
  if (!(BACKUP_COMPRESSIONS as readonly string[]).includes(compression)) {
    throw new BackupConfigError(
      `MINEFLEET_BACKUP_COMPRESSION must be one of ${BACKUP_COMPRESSIONS.join(', ')} (got "${compression}").`,
    );
  }
  const storeEnv: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    if (key === 'MINEFLEET_BACKUP_DIR' || key.startsWith('MINEFLEET_S3_')) storeEnv[key] = value;
  }
  return {
    storeEnv,
    defaultCompression: compression as BackupCompression,
    saveTimeoutMs: Math.round(number(env, 'MINEFLEET_BACKUP_SAVE_TIMEOUT_SECONDS', 60, 1, 3600) * 1000),
    lockWaitMs: Math.round(number(env, 'MINEFLEET_BACKUP_QUEUE_WAIT_SECONDS', 600, 1, 86_400) * 1000),
    orphanRetainDays: Math.round(number(env, 'MINEFLEET_BACKUP_ORPHAN_RETAIN_DAYS', 30, 1, 3650)),
    preRestoreRetainDays: Math.round(number(env, 'MINEFLEET_BACKUP_PRE_RESTORE_RETAIN_DAYS', 7, 1, 3650)),
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
