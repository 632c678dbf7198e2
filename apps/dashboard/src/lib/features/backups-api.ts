import type { Api } from '../api.js';

/** Backups and schedules of API.md (issue 4), typed here until they are in the OpenAPI document. */
export interface Backup {
  id: string;
  server_id: string;
  name: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'restoring';
  type: 'manual' | 'scheduled' | 'pre_restore' | 'pre_delete';
  compression: 'none' | 'gzip' | 'zstd';
  size_bytes: number | null;
  sha256: string | null;
  tags: string[];
  description?: string | null;
  created_at: string;
  completed_at?: string | null;
  expires_at?: string | null;
  error?: string | null;
  locked?: boolean;
}

export interface TenantBackup extends Backup {
  server_name: string;
  /** The server was deleted: restore into another server of the same software and version. */
  server_deleted: boolean;
  minecraft_version: string;
  distribution: string;
}

export interface BackupList {
  backups: Backup[];
  pagination: { page: number; per_page: number; total: number };
  quota?: { used_bytes: number; limit_bytes: number };
}

export interface Schedule {
  id: string;
  cron: string;
  action: 'backup' | 'restart' | 'command';
  payload?: Record<string, unknown> | null;
  enabled: boolean;
  next_run_at?: string | null;
  last_run_at?: string | null;
  /** running, succeeded, failed or skipped. */
  last_status?: string | null;
  name?: string | null;
  timezone?: string;
}

const base = (serverId: string) => `/servers/${encodeURIComponent(serverId)}`;

export const backupsApi = {
  list: (
    api: Api,
    serverId: string,
    query: { status?: string; tag?: string; sort?: string; page?: number } = {},
  ) => {
    const params = new URLSearchParams({ per_page: '50' });
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
    return api.raw<BackupList>('GET', `${base(serverId)}/backups?${params.toString()}`);
  },
  create: (
    api: Api,
    serverId: string,
    body: {
      name?: string;
      compression?: Backup['compression'];
      tags?: string[];
      description?: string;
      retain_days?: number;
    },
  ) => api.raw<Backup>('POST', `${base(serverId)}/backups`, body),
  /** Locked backups are never removed, by retention or by hand. */
  setLocked: (api: Api, serverId: string, backupId: string, locked: boolean) =>
    api.raw<Backup>('PATCH', `${base(serverId)}/backups/${encodeURIComponent(backupId)}`, { locked }),
  remove: (api: Api, serverId: string, backupId: string) =>
    api.raw<unknown>('DELETE', `${base(serverId)}/backups/${encodeURIComponent(backupId)}`),
  restore: (
    api: Api,
    serverId: string,
    backupId: string,
    body: { pre_restore_backup?: boolean; start_after?: boolean },
  ) => api.raw<unknown>('POST', `${base(serverId)}/backups/${encodeURIComponent(backupId)}/restore`, body),
  downloadUrl: (api: Api, serverId: string, backupId: string) =>
    api.url(`${base(serverId)}/backups/${encodeURIComponent(backupId)}/download`),
  schedules: (api: Api, serverId: string) =>
    api.raw<{ schedules: Schedule[] }>('GET', `${base(serverId)}/schedules`),
  createSchedule: (
    api: Api,
    serverId: string,
    body: { cron: string; action: Schedule['action']; payload?: Record<string, unknown>; enabled: boolean },
  ) => api.raw<Schedule>('POST', `${base(serverId)}/schedules`, body),
  updateSchedule: (
    api: Api,
    serverId: string,
    id: string,
    body: Partial<Pick<Schedule, 'cron' | 'enabled' | 'payload'>>,
  ) => api.raw<Schedule>('PATCH', `${base(serverId)}/schedules/${encodeURIComponent(id)}`, body),
  removeSchedule: (api: Api, serverId: string, id: string) =>
    api.raw<unknown>('DELETE', `${base(serverId)}/schedules/${encodeURIComponent(id)}`),
};

/** The tenant's backups, deleted servers' included (restorable into another server). */
export const tenantBackupsApi = {
  list: (api: Api, query: { orphaned?: boolean; status?: string; page?: number } = {}) => {
    const params = new URLSearchParams({ per_page: '50' });
    for (const [k, v] of Object.entries(query))
      if (v !== undefined && v !== '' && v !== false) params.set(k, String(v));
    return api.raw<{
      backups: TenantBackup[];
      pagination: { page: number; per_page: number; total: number };
      quota?: BackupList['quota'];
    }>('GET', `/backups?${params.toString()}`);
  },
  restore: (
    api: Api,
    backupId: string,
    body: { server_id?: string; pre_restore_backup?: boolean; start_after?: boolean },
  ) => api.raw<unknown>('POST', `/backups/${encodeURIComponent(backupId)}/restore`, body),
  downloadUrl: (api: Api, backupId: string) => api.url(`/backups/${encodeURIComponent(backupId)}/download`),
};
