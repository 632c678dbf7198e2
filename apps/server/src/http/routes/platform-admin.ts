import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DomainError } from '@minefleet/domain/errors';
import type { PlatformAdmins } from '@minefleet/services/platform-admins';
import type { OnlinePlatformBackups } from '../../platform-backup-online.js';
import {
  PLATFORM_BACKUP_PREFIX,
  type PlatformBackupSchedule,
  type StoredPlatformBackup,
} from '../../platform-backup-schedule.js';
import { errors } from '../schemas/common.js';
import { actorOf } from '../auth.js';

/**
 * The host's own operations, for platform administrators only (MINEFLEET_PLATFORM_ADMINS): the online
 * platform backup, streamed or kept in the backup store (also on a schedule). Tenant roles give no
 * access; the audit hook records each call.
 */
const StoredBackup = Type.Object({
  name: Type.String({ description: 'The archive’s name in the store (under `platform/`).' }),
  size_bytes: Type.Integer(),
  created_at: Type.String({ format: 'date-time' }),
});
const StoredList = Type.Object({
  schedule: Type.Object({
    interval_hours: Type.Number({ description: 'MINEFLEET_PLATFORM_BACKUP_HOURS; 0: not scheduled.' }),
    keep: Type.Integer({ description: 'MINEFLEET_PLATFORM_BACKUP_KEEP: the newest kept.' }),
  }),
  backups: Type.Array(StoredBackup, { description: 'Newest first.' }),
});
const NameParams = Type.Object({
  name: Type.String({ pattern: '^minefleet-platform-[0-9TZ-]+\\.tar\\.gz$', maxLength: 80 }),
});
const toStored = (b: StoredPlatformBackup) => ({
  name: b.key.slice(PLATFORM_BACKUP_PREFIX.length),
  size_bytes: b.sizeBytes,
  created_at: b.createdAt.toISOString(),
});

export function platformAdminRoutes(options: {
  admins: PlatformAdmins;
  backups: OnlinePlatformBackups;
  schedule: PlatformBackupSchedule;
}): FastifyPluginAsyncTypebox {
  const { schedule } = options;
  return async (app) => {
    app.post(
      '/admin/platform-backup',
      {
        config: { permission: 'account', audit: 'platform.backup' },
        schema: {
          tags: ['admin'],
          summary: 'Back up the platform’s own state while it serves (platform administrators)',
          description:
            'Streams the archive `minefleet admin backup` writes (gzip tar: manifest, the database, the secrets generated into the data folder — among them the key that signs sessions: keep it as private as the data folder). The embedded database is copied between transactions while requests go on; PostgreSQL through `pg_dump` on the control plane’s machine. `x-platform-backup-manifest` carries the manifest (JSON). One at a time (`PLATFORM_BACKUP_IN_PROGRESS`). docs/operations.md.',
          response: {
            200: {
              description: 'The archive, streamed (gzip tar).',
              content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
            },
            ...errors(401, 403, 409, 500),
          },
        },
      },
      async (request, reply) => {
        const actor = actorOf(request);
        await options.admins.require(actor);
        const { manifest, stream } = await options.backups.open();
        request.auditDetails = {
          database: manifest.database,
          schema: manifest.schema_tag,
          files: manifest.files.map((f) => f.name),
        };
        const stamp = manifest.created_at.replace(/[:.]/g, '-');
        void reply
          .header('content-type', 'application/gzip')
          .header('content-disposition', `attachment; filename="minefleet-platform-${stamp}.tar.gz"`)
          .header('x-platform-backup-manifest', JSON.stringify(manifest))
          .header('cache-control', 'no-store');
        return reply.send(stream);
      },
    );

    app.get(
      '/admin/platform-backups',
      {
        config: { permission: 'account' },
        schema: {
          tags: ['admin'],
          summary: 'Platform backups kept in the backup store, and their schedule (platform administrators)',
          response: { 200: StoredList, ...errors(401, 403) },
        },
      },
      async (request) => {
        await options.admins.require(actorOf(request));
        return {
          schedule: { interval_hours: schedule.settings.intervalHours, keep: schedule.settings.keep },
          backups: (await schedule.list()).map(toStored),
        };
      },
    );

    app.post(
      '/admin/platform-backups',
      {
        config: { permission: 'account', audit: 'platform.backup' },
        schema: {
          tags: ['admin'],
          summary: 'Take a platform backup into the backup store now (platform administrators)',
          description:
            'The archive of `POST /admin/platform-backup`, written under `platform/` in the backup store; then all but the newest MINEFLEET_PLATFORM_BACKUP_KEEP are deleted. Answers when it is stored.',
          response: { 201: StoredBackup, ...errors(401, 403, 409, 500) },
        },
      },
      async (request, reply) => {
        await options.admins.require(actorOf(request));
        const stored = await schedule.runNow();
        request.auditDetails = { name: toStored(stored).name, size_bytes: stored.sizeBytes };
        void reply.status(201);
        return toStored(stored);
      },
    );

    app.get(
      '/admin/platform-backups/:name',
      {
        config: { permission: 'account' },
        schema: {
          tags: ['admin'],
          summary: 'Download a platform backup kept in the backup store (platform administrators)',
          params: NameParams,
          response: {
            200: {
              description: 'The archive (gzip tar), for `minefleet admin restore`.',
              content: { 'application/gzip': { schema: { type: 'string', format: 'binary' } } },
            },
            ...errors(401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        await options.admins.require(actorOf(request));
        const { name } = request.params;
        const found = await schedule.open(name);
        if (!found) throw new DomainError('PLATFORM_BACKUP_NOT_FOUND', undefined, { name });
        void reply
          .header('content-type', 'application/gzip')
          .header('content-length', String(found.sizeBytes))
          .header('content-disposition', `attachment; filename="${name}"`)
          .header('cache-control', 'no-store');
        return reply.send(Readable.from(found.body));
      },
    );
  };
}
