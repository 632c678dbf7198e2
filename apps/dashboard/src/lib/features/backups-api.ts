import type { Schemas } from '@minefleet/api-client/client';
import { call, type Api } from '../api.js';

/** Backups and schedules (docs/backups.md), through the typed client. */
export type Backup = Schemas['Backup'];
/** A backup in the team-wide list; `server_deleted` ones restore into another server. */
export type TenantBackup = Schemas['Backup'];
export type Schedule = Schemas['Schedule'];
export type BackupList = { backups: Backup[]; quota?: Schemas['BackupQuota'] };

type ListQuery = { status?: string; tag?: string; page?: number };
const clean = <T extends Record<string, unknown>>(q: T) =>
  Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined && v !== '' && v !== false)) as T;

export const backupsApi = {
  list: (api: Api, serverId: string, query: ListQuery = {}) =>
    call(
      api.client.GET('/api/v1/servers/{id}/backups', {
        params: { path: { id: serverId }, query: { per_page: 50, ...clean(query) } },
      }),
    ),
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
  ) => call(api.client.POST('/api/v1/servers/{id}/backups', { params: { path: { id: serverId } }, body })),
  /** Locked backups are never removed, by retention or by hand. */
  setLocked: (api: Api, serverId: string, backupId: string, locked: boolean) =>
    call(
      api.client.PATCH('/api/v1/servers/{id}/backups/{backup_id}', {
        params: { path: { id: serverId, backup_id: backupId } },
        body: { locked },
      }),
    ),
  remove: (api: Api, serverId: string, backupId: string) =>
    call(
      api.client.DELETE('/api/v1/servers/{id}/backups/{backup_id}', {
        params: { path: { id: serverId, backup_id: backupId } },
      }),
    ),
  restore: (
    api: Api,
    serverId: string,
    backupId: string,
    body: { pre_restore_backup?: boolean; start_after?: boolean },
  ) =>
    call(
      api.client.POST('/api/v1/servers/{id}/backups/{backup_id}/restore', {
        params: { path: { id: serverId, backup_id: backupId } },
        body,
      }),
    ),
  /** A short-lived download URL that needs no header, so the browser streams the archive to disk. */
  downloadLink: async (api: Api, serverId: string, backupId: string) =>
    linkUrl(
      api,
      await call(
        api.client.POST('/api/v1/servers/{id}/backups/{backup_id}/download-link', {
          params: { path: { id: serverId, backup_id: backupId } },
        }),
      ),
    ),
  schedules: (api: Api, serverId: string) =>
    call(api.client.GET('/api/v1/servers/{id}/schedules', { params: { path: { id: serverId } } })),
  createSchedule: (
    api: Api,
    serverId: string,
    body: { cron: string; action: Schedule['action']; payload?: Record<string, unknown>; enabled: boolean },
  ) => call(api.client.POST('/api/v1/servers/{id}/schedules', { params: { path: { id: serverId } }, body })),
  updateSchedule: (
    api: Api,
    serverId: string,
    id: string,
    body: Partial<Pick<Schedule, 'cron' | 'enabled' | 'payload'>>,
  ) =>
    call(
      api.client.PATCH('/api/v1/servers/{id}/schedules/{schedule_id}', {
        params: { path: { id: serverId, schedule_id: id } },
        body,
      }),
    ),
  removeSchedule: (api: Api, serverId: string, id: string) =>
    call(
      api.client.DELETE('/api/v1/servers/{id}/schedules/{schedule_id}', {
        params: { path: { id: serverId, schedule_id: id } },
      }),
    ),
};

/** The tenant's backups, deleted servers' included (restorable into another server). */
export const tenantBackupsApi = {
  list: (api: Api, query: { orphaned?: boolean; status?: string; page?: number } = {}) =>
    call(api.client.GET('/api/v1/backups', { params: { query: { per_page: 50, ...clean(query) } } })),
  restore: (
    api: Api,
    backupId: string,
    body: { server_id?: string; pre_restore_backup?: boolean; start_after?: boolean },
  ) =>
    call(
      api.client.POST('/api/v1/backups/{backup_id}/restore', {
        params: { path: { backup_id: backupId } },
        body,
      }),
    ),
  downloadLink: async (api: Api, backupId: string) =>
    linkUrl(
      api,
      await call(
        api.client.POST('/api/v1/backups/{backup_id}/download-link', {
          params: { path: { backup_id: backupId } },
        }),
      ),
    ),
};

/** The API answers the link as an `/api/v1/...` path; this makes it absolute for the API's origin. */
function linkUrl(api: Api, link: { url: string }): string {
  return api.url(link.url.replace(/^\/api\/v1/, ''));
}
