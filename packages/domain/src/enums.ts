/**
 * Small closed sets shared by the schema, the API and the clients. Each is typed once, here.
 */
export const BACKUP_STATUSES = [
  'pending',
  'running',
  'completed',
  'failed',
  'restoring',
  'deleting',
] as const;
export type BackupStatus = (typeof BACKUP_STATUSES)[number];

export const BACKUP_TYPES = ['manual', 'scheduled', 'pre_restore', 'pre_delete'] as const;
export type BackupType = (typeof BACKUP_TYPES)[number];

export const BACKUP_COMPRESSIONS = ['none', 'gzip', 'zstd'] as const;
export type BackupCompression = (typeof BACKUP_COMPRESSIONS)[number];

export const PLUGIN_APPROVALS = ['approved', 'pending', 'rejected'] as const;
export type PluginApproval = (typeof PLUGIN_APPROVALS)[number];

export const INSTALLATION_STATUSES = ['installing', 'installed', 'failed', 'disabled'] as const;
export type InstallationStatus = (typeof INSTALLATION_STATUSES)[number];

export const SCHEDULE_ACTIONS = ['backup', 'restart', 'command'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['success', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export const METRIC_RESOLUTIONS = ['raw', '1m', '1h'] as const;
export type MetricResolution = (typeof METRIC_RESOLUTIONS)[number];

export const METRIC_NAMES = [
  'players_online',
  'max_players',
  'cpu_percent',
  'memory_bytes',
  'disk_bytes',
  'tps',
  'mspt',
  'ping_ms',
  'uptime_seconds',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
