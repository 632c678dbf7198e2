import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { PlatformAdmins } from '@minefleet/services/platform-admins';
import type { OnlinePlatformBackups } from '../../platform-backup-online.js';
import { errors } from '../schemas/common.js';
import { actorOf } from '../auth.js';

/**
 * The host's own operations, for platform administrators only (MINEFLEET_PLATFORM_ADMINS): the online
 * platform backup. Tenant roles give no access; the audit hook records each call.
 */
export function platformAdminRoutes(options: {
  admins: PlatformAdmins;
  backups: OnlinePlatformBackups;
}): FastifyPluginAsyncTypebox {
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
  };
}
