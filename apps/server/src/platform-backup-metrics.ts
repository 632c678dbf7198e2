import { Counter, Gauge, type Registry } from 'prom-client';
import { PlatformBackupSchedule } from './platform-backup-schedule.js';

type ScheduleDeps = ConstructorParameters<typeof PlatformBackupSchedule>[0];

/**
 * The scheduled platform backup with what /metrics says of it: its interval (0: off), when the newest
 * one in the store was taken, and the failed attempts. The alert PlatformBackupMissing reads them.
 */
export function schedulePlatformBackups(deps: ScheduleDeps & { registry: Registry }): PlatformBackupSchedule {
  const { registry, ...rest } = deps;
  const schedule = new PlatformBackupSchedule(rest);
  new Gauge({
    name: 'minefleet_platform_backup_interval_seconds',
    help: 'Seconds between scheduled platform backups (MINEFLEET_PLATFORM_BACKUP_HOURS); 0: not scheduled.',
    registers: [registry],
    collect() {
      this.set(deps.settings.intervalHours * 3600);
    },
  });
  new Gauge({
    name: 'minefleet_platform_backup_last_success_timestamp_seconds',
    help: 'When the newest platform backup in the backup store was taken, as this replica last saw it (0: none seen).',
    registers: [registry],
    collect() {
      this.set(schedule.lastSuccessAt);
    },
  });
  new Counter({
    name: 'minefleet_platform_backup_failures_total',
    help: 'Scheduled platform backups that failed.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(schedule.failures);
    },
  });
  return schedule;
}
