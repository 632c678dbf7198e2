import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncTypebox, Static } from '@fastify/type-provider-typebox';
import { BACKUP_STATUSES, type BackupStatus } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';
import type { AccountService } from '@minefleet/services/accounts';
import type { Actor } from '@minefleet/services/actor';
import type { BackupRestorer, RestoreRequest } from '@minefleet/services/backups/backup-restorer';
import type {
  BackupListQuery as ServiceListQuery,
  BackupRef,
  BackupService,
} from '@minefleet/services/backups/backup-service';
import type { RetentionJob } from '@minefleet/services/backups/retention-job';
import { IdParams, Ref, Timestamp, errors } from '../schemas/common.js';
import {
  Backup,
  BackupList,
  BackupListQuery,
  BackupParams,
  CreateBackupBody,
  PatchBackupBody,
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
import { toServer } from '../serializers.js';

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

/** How long a download link works: enough to start the download, short enough to be worthless later. */
const LINK_TTL_SECONDS = 300;

const DOWNLOAD_AUTH =
  'Authorization header, or `?token=` from `POST …/download-link` (for browsers, which cannot send a header on a download).';

const LinkQuery = Type.Object({
  token: Type.Optional(Type.String({ maxLength: 4096, description: 'A link token from `download-link`.' })),
});

const DownloadLink = Type.Object({
  url: Type.String({ description: 'Path of the download with its link token; GET it without a header.' }),
  expires_at: Timestamp,
});

const CONTENT_TYPES = {
  none: 'application/x-tar',
  gzip: 'application/gzip',
  zstd: 'application/zstd',
} as const;

const Download = {
  200: {
    description: 'The archive, streamed (tar, gzip- or zstd-compressed as `compression` says).',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  },
  ...errors(400, 401, 403, 404, 409),
};

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
 * Backups under their server (`/servers/{id}/backups…`, API.md) and tenant-wide (`/backups…`), where
 * the backups of deleted servers stay listable, downloadable and restorable into another server.
 * Roles: viewers list and read; operators create, download, restore and change (lock, tags, expiry);
 * admins delete and set the retention policy (both remove backups).
 */
export function backupRoutes(options: {
  backups: BackupService;
  restorer: BackupRestorer;
  retention: RetentionJob;
  accounts: AccountService;
  gameHost: string;
}): FastifyPluginAsyncTypebox {
  const { backups, restorer, retention, gameHost } = options;

  /** A download URL that needs no header, good for LINK_TTL_SECONDS and this one backup. */
  async function downloadLink(actor: Actor, ref: BackupRef, path: string) {
    const backup = await backups.downloadable(actor, ref);
    const link = options.accounts.issueLink(
      actor,
      { pur: 'backup-download', res: backup.id },
      LINK_TTL_SECONDS,
    );
    return {
      url: `/api/v1${path}?token=${encodeURIComponent(link.token)}`,
      expires_at: link.expiresAt.toISOString(),
    };
  }

  async function download(actor: Actor, ref: BackupRef, reply: FastifyReply) {
    const { backup, body } = await backups.open(actor, ref);
    void reply
      .header('content-type', CONTENT_TYPES[backup.compression])
      .header('content-length', String(backup.sizeBytes))
      .header('content-disposition', `attachment; filename="${backups.fileName(backup)}"`)
      .header('x-backup-sha256', backup.sha256 ?? '')
      .header('cache-control', 'no-store');
    return reply.send(Readable.from(body));
  }

  return async (app) => {
    // ─── Under a server ─────────────────────────────────────────────────────────────────────
    app.post(
      '/servers/:id/backups',
      {
        config: { access: 'operator', audit: 'backup.create' },
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
        config: { access: 'viewer' },
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
        config: { access: 'viewer' },
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
        config: { access: 'admin', audit: 'backup.retention' },
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

    app.get(
      '/servers/:id/backups/:backup_id',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['backups'],
          summary: 'One backup of the server',
          params: ServerBackupParams,
          response: { 200: Ref(Backup), ...errors(400, 401, 404) },
        },
      },
      async (request) =>
        toBackup(
          await backups.get(actorOf(request), {
            serverId: request.params.id,
            backupId: request.params.backup_id,
          }),
        ),
    );

    app.get(
      '/servers/:id/backups/:backup_id/download',
      {
        config: { access: 'operator', link: 'backup-download' },
        schema: {
          tags: ['backups'],
          summary: 'Download the archive (streamed)',
          description: DOWNLOAD_AUTH,
          params: ServerBackupParams,
          querystring: LinkQuery,
          response: Download,
        },
      },
      async (request, reply) =>
        download(
          actorOf(request),
          { serverId: request.params.id, backupId: request.params.backup_id },
          reply,
        ),
    );

    app.post(
      '/servers/:id/backups/:backup_id/download-link',
      {
        config: { access: 'operator', audit: 'backup.download_link' },
        schema: {
          tags: ['backups'],
          summary: 'A download URL that needs no Authorization header (for browsers), valid 5 minutes',
          params: ServerBackupParams,
          response: { 200: DownloadLink, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { id, backup_id } = request.params;
        return downloadLink(
          actorOf(request),
          { serverId: id, backupId: backup_id },
          `/servers/${id}/backups/${backup_id}/download`,
        );
      },
    );

    app.patch(
      '/servers/:id/backups/:backup_id',
      {
        config: { access: 'operator', audit: 'backup.update' },
        schema: {
          tags: ['backups'],
          summary: 'Lock or unlock, retag, describe, or change the expiry of a backup',
          params: ServerBackupParams,
          body: PatchBackupBody,
          response: { 200: Ref(Backup), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toBackup(
          await backups.update(
            actorOf(request),
            { serverId: request.params.id, backupId: request.params.backup_id },
            patchOf(request.body),
          ),
        ),
    );

    app.delete(
      '/servers/:id/backups/:backup_id',
      {
        config: { access: 'admin', audit: 'backup.delete' },
        schema: {
          tags: ['backups'],
          summary: 'Delete a backup (archive and record)',
          description: 'A locked backup answers 409 BACKUP_LOCKED; one in progress 409 BACKUP_NOT_READY.',
          params: ServerBackupParams,
          response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await backups.delete(actorOf(request), {
          serverId: request.params.id,
          backupId: request.params.backup_id,
        });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/servers/:id/backups/:backup_id/restore',
      {
        config: { access: 'operator', audit: 'backup.restore' },
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
        return toServer(server, gameHost);
      },
    );

    // ─── Tenant-wide (deleted servers' backups too) ─────────────────────────────────────────
    app.get(
      '/backups',
      {
        config: { access: 'viewer' },
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

    app.get(
      '/backups/:backup_id',
      {
        config: { access: 'viewer' },
        schema: {
          tags: ['backups'],
          summary: 'One backup of the tenant',
          params: BackupParams,
          response: { 200: Ref(Backup), ...errors(400, 401, 404) },
        },
      },
      async (request) =>
        toBackup(await backups.get(actorOf(request), { backupId: request.params.backup_id })),
    );

    app.get(
      '/backups/:backup_id/download',
      {
        config: { access: 'operator', link: 'backup-download' },
        schema: {
          tags: ['backups'],
          summary: 'Download the archive (streamed)',
          description: DOWNLOAD_AUTH,
          params: BackupParams,
          querystring: LinkQuery,
          response: Download,
        },
      },
      async (request, reply) => download(actorOf(request), { backupId: request.params.backup_id }, reply),
    );

    app.post(
      '/backups/:backup_id/download-link',
      {
        config: { access: 'operator', audit: 'backup.download_link' },
        schema: {
          tags: ['backups'],
          summary: 'A download URL that needs no Authorization header (for browsers), valid 5 minutes',
          params: BackupParams,
          response: { 200: DownloadLink, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) =>
        downloadLink(
          actorOf(request),
          { backupId: request.params.backup_id },
          `/backups/${request.params.backup_id}/download`,
        ),
    );

    app.patch(
      '/backups/:backup_id',
      {
        config: { access: 'operator', audit: 'backup.update' },
        schema: {
          tags: ['backups'],
          summary: 'Lock or unlock, retag, describe, or change the expiry of a backup',
          params: BackupParams,
          body: PatchBackupBody,
          response: { 200: Ref(Backup), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toBackup(
          await backups.update(
            actorOf(request),
            { backupId: request.params.backup_id },
            patchOf(request.body),
          ),
        ),
    );

    app.delete(
      '/backups/:backup_id',
      {
        config: { access: 'admin', audit: 'backup.delete' },
        schema: {
          tags: ['backups'],
          summary: 'Delete a backup (archive and record)',
          params: BackupParams,
          response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await backups.delete(actorOf(request), { backupId: request.params.backup_id });
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/backups/:backup_id/restore',
      {
        config: { access: 'operator', audit: 'backup.restore' },
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
        return toServer(server, gameHost);
      },
    );
  };
}

function patchOf(body: {
  locked?: boolean;
  tags?: string[];
  description?: string | null;
  retain_days?: number | null;
}) {
  return {
    locked: body.locked,
    tags: body.tags,
    description: body.description,
    retainDays: body.retain_days,
  };
}
