import type { FastifyPluginAsyncTypebox, Static } from '@fastify/type-provider-typebox';
import { BACKUP_STATUSES, type BackupStatus } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';
import type { AccountService } from '@minefleet/services/accounts';
import type { Actor } from '@minefleet/services/actor';
import type { BackupRestorer, RestoreRequest } from '@minefleet/services/backups/backup-restorer';
import type {
  BackupListQuery as ServiceListQuery,
  BackupService,
} from '@minefleet/services/backups/backup-service';
import type { RetentionJob } from '@minefleet/services/backups/retention-job';
import { IdParams, Ref, errors } from '../schemas/common.js';
import {
  Backup,
  BackupList,
  BackupListQuery,
  BackupParams,
  CreateBackupBody,
  RestoreAnyBody,
  RestoreBody,
  RetentionPolicy,
  RetentionView,
  ServerBackupParams,
  TenantBackupListQuery,
} from '../schemas/backups.js';
import { Server } from '../schemas/servers.js';
import { actorOf } from '../auth.js';
import { toBackup, toRetentionPolicy } from '../backup-serializers.js';
import { toServer, type ServerAddressing } from '../serializers.js';
import { SERVER_SCOPE, TENANT_SCOPE, oneBackupRoutes } from './one-backup.js';

function parseStatuses(raw: string | undefined): BackupStatus[] | undefined {
  if (!raw) return undefined;
  const values = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = values.filter((v) => !(BACKUP_STATUSES as readonly string[]).includes(v));
  if (bad.length > 0) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Unknown status ${bad.join(', ')}; use ${BACKUP_STATUSES.join(', ')}.`,
      {
        field: 'status',
      },
    );
  }
  return values as BackupStatus[];
}

/** A page of backups as the list routes answer it; `scope` is what the route adds to the query. */
async function listBackups(
  backups: BackupService,
  actor: Actor,
  q: Static<typeof BackupListQuery>,
  scope: Pick<ServiceListQuery, 'serverId' | 'serverMustExist' | 'orphaned'>,
) {
  const page = { page: q.page ?? 1, perPage: q.per_page ?? 20 };
  const result = await backups.list(actor, {
    ...page,
    ...scope,
    status: parseStatuses(q.status),
    tag: q.tag,
    q: q.q,
    sort: q.sort,
  });
  return {
    backups: result.items.map(toBackup),
    pagination: { page: page.page, per_page: page.perPage, total: result.total },
    quota: result.quota,
  };
}

function restoreRequest(body: {
  pre_restore_backup?: boolean;
  timeout_seconds?: number;
  post_restore_commands?: string[];
  start_after?: boolean;
}): RestoreRequest {
  return {
    preRestoreBackup: body.pre_restore_backup,
    timeoutSeconds: body.timeout_seconds,
    postRestoreCommands: body.post_restore_commands,
    startAfter: body.start_after,
  };
}

/**
 * Backups under their server (`/servers/{id}/backups…`, docs/backups.md) and tenant-wide (`/backups…`), where
 * the backups of deleted servers stay listable, downloadable and restorable into another server.
 * Roles: viewers list and read; operators create, download, restore and change (lock, tags, expiry);
 * admins delete and set the retention policy (both remove backups).
 */
export function backupRoutes(options: {
  backups: BackupService;
  restorer: BackupRestorer;
  retention: RetentionJob;
  accounts: AccountService;
  addressing: ServerAddressing;
}): FastifyPluginAsyncTypebox {
  const { backups, restorer, retention, addressing } = options;

  return async (app) => {
    // ─── Under a server ─────────────────────────────────────────────────────────────────────
    app.post(
      '/servers/:id/backups',
      {
        config: { permission: 'backup.create', audit: 'backup.create' },
        schema: {
          tags: ['backups'],
          summary: 'Back up the server',
          description:
            'Answers 202 with the backup `pending`; it becomes `running`, then `completed` or `failed` (progress on the WebSocket `backup` stream). A running server is backed up hot (save-off, save-all, archive, save-on).',
          params: IdParams,
          body: CreateBackupBody,
          response: { 202: Ref(Backup), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body ?? {};
        const backup = await backups.create(actorOf(request), request.params.id, {
          name: body.name,
          compression: body.compression,
          tags: body.tags,
          description: body.description,
          retainDays: body.retain_days,
        });
        void reply.status(202);
        return toBackup({ ...backup, serverExists: true });
      },
    );

    app.get(
      '/servers/:id/backups',
      {
        config: { permission: 'backup.read' },
        schema: {
          tags: ['backups'],
          summary: "The server's backups, with the tenant's backup storage quota",
          params: IdParams,
          querystring: BackupListQuery,
          response: { 200: BackupList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        return listBackups(backups, actorOf(request), request.query, {
          serverId: request.params.id,
          serverMustExist: true,
        });
      },
    );

    app.get(
      '/servers/:id/backups/retention',
      {
        config: { permission: 'backup.read' },
        schema: {
          tags: ['backups'],
          summary: "The server's retention policy, and what it would keep and delete now",
          params: IdParams,
          response: { 200: RetentionView, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const { policy, plan } = await retention.getPolicy(actorOf(request), request.params.id);
        return { policy: toRetentionPolicy(policy), plan };
      },
    );

    app.put(
      '/servers/:id/backups/retention',
      {
        config: { permission: 'backup.delete', audit: 'backup.retention' },
        schema: {
          tags: ['backups'],
          summary: 'Set the retention policy (keep the last N, plus daily and weekly tiers)',
          description:
            'Applied by the periodic retention job. Null or 0 disables a tier; with every tier off, only `retain_days` expiries and failed backups (after 7 days) are removed. Locked backups are never removed.',
          params: IdParams,
          body: RetentionPolicy,
          response: { 200: Ref(RetentionPolicy), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const b = request.body;
        const policy = await retention.setPolicy(actorOf(request), request.params.id, {
          keepLast: b.keep_last,
          keepDaily: b.keep_daily,
          keepWeekly: b.keep_weekly,
        });
        return toRetentionPolicy(policy);
      },
    );

    oneBackupRoutes(app, SERVER_SCOPE, options);

    app.post(
      '/servers/:id/backups/:backup_id/restore',
      {
        config: { permission: 'backup.restore', audit: 'backup.restore' },
        schema: {
          tags: ['backups'],
          summary: 'Restore the backup into its server',
          description:
            'Answers 202 with the server in `restoring` (a running server is stopped gracefully first). A pre-restore backup is taken unless `pre_restore_backup: false`; the archive is verified against its SHA-256 while extracted, and swapped in only if whole. On failure the world is untouched, the server `stopped` with the reason, and the error kept on the backup.',
          params: ServerBackupParams,
          body: RestoreBody,
          response: { 202: Ref(Server), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const server = await restorer.restore(
          actorOf(request),
          { serverId: request.params.id, backupId: request.params.backup_id },
          request.params.id,
          restoreRequest(request.body ?? {}),
        );
        void reply.status(202);
        return toServer(server, await addressing.view([server]));
      },
    );

    // ─── Tenant-wide (deleted servers' backups too) ─────────────────────────────────────────
    app.get(
      '/backups',
      {
        config: { permission: 'backup.read' },
        schema: {
          tags: ['backups'],
          summary: "Every backup of the tenant, deleted servers' included",
          querystring: TenantBackupListQuery,
          response: { 200: BackupList, ...errors(400, 401) },
        },
      },
      async (request) => {
        const q = request.query;
        return listBackups(backups, actorOf(request), q, {
          ...(q.server_id ? { serverId: q.server_id } : {}),
          orphaned: q.orphaned,
        });
      },
    );

    oneBackupRoutes(app, TENANT_SCOPE, options);

    app.post(
      '/backups/:backup_id/restore',
      {
        config: { permission: 'backup.restore', audit: 'backup.restore' },
        schema: {
          tags: ['backups'],
          summary: 'Restore a backup into a server of the tenant (e.g. a deleted server’s, into a new one)',
          description:
            'The target (`server_id`, default the backup’s own server) must run the same distribution and Minecraft version, else 409 BACKUP_INCOMPATIBLE. The world comes from the backup; the settings stay the target’s.',
          params: BackupParams,
          body: RestoreAnyBody,
          response: { 202: Ref(Server), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        const ref = { backupId: request.params.backup_id };
        const body = request.body ?? {};
        const target = body.server_id ?? (await backups.get(actor, ref)).serverId;
        const server = await restorer.restore(actor, ref, target, restoreRequest(body));
        void reply.status(202);
        return toServer(server, await addressing.view([server]));
      },
    );
  };
}
