import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '@minefleet/services/accounts';
import type { Actor } from '@minefleet/services/actor';
import type { BackupRef, BackupService } from '@minefleet/services/backups/backup-service';
import { Ref, errors } from '../schemas/common.js';
import { DownloadLink, LinkToken, issueDownloadLink } from '../download-links.js';
import { Backup, BackupParams, PatchBackupBody, ServerBackupParams } from '../schemas/backups.js';
import { actorOf } from '../auth.js';
import { toBackup } from '../backup-serializers.js';

const DOWNLOAD_AUTH =
  'Authorization header, or `?token=` from `POST …/download-link` (for browsers, which cannot send a header on a download).';

const LinkQuery = Type.Object({ token: Type.Optional(LinkToken) });

/** A download link opens the download of one backup: the one whose id the URL names. */
const BACKUP_LINK = {
  purpose: 'backup-download',
  resource: (request: FastifyRequest) => (request.params as { backup_id: string }).backup_id,
};

/**
 * The two places a backup is addressed: under its server (another server's backup is not found there)
 * and tenant-wide. The routes on one backup are defined once and registered in both.
 */
interface BackupScope {
  url: string;
  /** Whose backups the scope lists, for the summaries. */
  owner: string;
  params: typeof ServerBackupParams | typeof BackupParams;
  ref(params: { id?: string; backup_id: string }): BackupRef;
}

export const SERVER_SCOPE: BackupScope = {
  url: '/servers/:id/backups/:backup_id',
  owner: 'the server',
  params: ServerBackupParams,
  ref: (params) => ({ serverId: params.id, backupId: params.backup_id }),
};

export const TENANT_SCOPE: BackupScope = {
  url: '/backups/:backup_id',
  owner: 'the tenant',
  params: BackupParams,
  ref: (params) => ({ backupId: params.backup_id }),
};

/** The path of a URL with its parameters filled in. */
function fill(url: string, params: Record<string, string | undefined>): string {
  return url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? '');
}

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

async function download(backups: BackupService, actor: Actor, ref: BackupRef, reply: FastifyReply) {
  const { backup, body } = await backups.open(actor, ref);
  void reply
    .header('content-type', CONTENT_TYPES[backup.compression])
    .header('content-length', String(backup.sizeBytes))
    .header('content-disposition', `attachment; filename="${backups.fileName(backup)}"`)
    .header('x-backup-sha256', backup.sha256 ?? '')
    .header('cache-control', 'no-store');
  return reply.send(Readable.from(body));
}

/** The routes on one backup (read, download, change, delete), as `scope` addresses it. */
export function oneBackupRoutes(
  app: Parameters<FastifyPluginAsyncTypebox>[0],
  scope: BackupScope,
  options: { backups: BackupService; accounts: AccountService },
): void {
  const { url, params } = scope;
  const { backups, accounts } = options;
  app.get(
    url,
    {
      config: { permission: 'backup.read' },
      schema: {
        tags: ['backups'],
        summary: `One backup of ${scope.owner}`,
        params,
        response: { 200: Ref(Backup), ...errors(400, 401, 404) },
      },
    },
    async (request) => toBackup(await backups.get(actorOf(request), scope.ref(request.params))),
  );

  app.get(
    `${url}/download`,
    {
      config: { permission: 'backup.download', link: BACKUP_LINK },
      schema: {
        tags: ['backups'],
        summary: 'Download the archive (streamed)',
        description: DOWNLOAD_AUTH,
        params,
        querystring: LinkQuery,
        response: Download,
      },
    },
    async (request, reply) => download(backups, actorOf(request), scope.ref(request.params), reply),
  );

  app.post(
    `${url}/download-link`,
    {
      config: { permission: 'backup.download', audit: 'backup.download_link' },
      schema: {
        tags: ['backups'],
        summary: 'A download URL that needs no Authorization header (for browsers), valid 5 minutes',
        params,
        response: { 200: DownloadLink, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      // Checked now, so a link is never issued for a backup that cannot be downloaded.
      const backup = await backups.downloadable(actor, scope.ref(request.params));
      return issueDownloadLink(
        accounts,
        actor,
        { pur: BACKUP_LINK.purpose, res: backup.id },
        `${fill(url, request.params)}/download`,
      );
    },
  );

  app.patch(
    url,
    {
      config: { permission: 'backup.update', audit: 'backup.update' },
      schema: {
        tags: ['backups'],
        summary: 'Lock or unlock, retag, describe, or change the expiry of a backup',
        params,
        body: PatchBackupBody,
        response: { 200: Ref(Backup), ...errors(400, 401, 403, 404) },
      },
    },
    async (request) =>
      toBackup(await backups.update(actorOf(request), scope.ref(request.params), patchOf(request.body))),
  );

  app.delete(
    url,
    {
      config: { permission: 'backup.delete', audit: 'backup.delete' },
      schema: {
        tags: ['backups'],
        summary: 'Delete a backup (archive and record)',
        description:
          'A locked backup answers 409 BACKUP_LOCKED; one in progress 409 BACKUP_NOT_READY. The backup is ' +
          'marked deleting first; when the store cannot delete the archive the answer is 503 ' +
          'BACKUP_DELETE_PENDING, the backup stays deleting (not restorable or downloadable) and the ' +
          'retention run removes it; deleting it again retries at once.',
        params,
        response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      await backups.delete(actorOf(request), scope.ref(request.params));
      return reply.status(204).send(null);
    },
  );
}
