import type { BackupView } from '@minefleet/services/backups/backup-service';
import type { RetentionPolicyInput } from '@minefleet/services/backups/retention-job';
import type { ScheduleRecord, ScheduleRunRecord } from '@minefleet/services/schedules/schedule-service';

/** Backup, schedule and run records to the API's JSON shapes. */

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function toBackup(b: BackupView) {
  return {
    id: b.id,
    server_id: b.serverId,
    server_name: b.serverName,
    server_deleted: !b.serverExists,
    name: b.name,
    status: b.status,
    type: b.type,
    compression: b.compression,
    size_bytes: b.sizeBytes,
    sha256: b.sha256,
    tags: b.tags,
    description: b.description,
    locked: b.locked,
    minecraft_version: b.minecraftVersion,
    distribution: b.distribution,
    created_at: b.createdAt.toISOString(),
    completed_at: iso(b.completedAt),
    expires_at: iso(b.expiresAt),
    error: b.error,
  };
}

export function toRetentionPolicy(p: RetentionPolicyInput) {
  return { keep_last: p.keepLast, keep_daily: p.keepDaily, keep_weekly: p.keepWeekly };
}

export function toSchedule(s: ScheduleRecord) {
  return {
    id: s.id,
    server_id: s.serverId,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    action: s.action,
    payload: s.payload,
    enabled: s.enabled,
    next_run_at: iso(s.nextRunAt),
    last_run_at: iso(s.lastRunAt),
    last_status: s.lastStatus,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
  };
}

export function toScheduleRun(r: ScheduleRunRecord) {
  return {
    id: r.id,
    schedule_id: r.scheduleId,
    scheduled_for: r.scheduledFor.toISOString(),
    started_at: r.startedAt.toISOString(),
    finished_at: iso(r.finishedAt),
    status: r.status,
    error: r.error,
  };
}
