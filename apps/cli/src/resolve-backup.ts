import { unwrap, type Schemas } from '@minefleet/api-client/client';
import type { Context } from './context.js';
import { CliError, UsageError } from './errors.js';
import { isUuid, resolveServer } from './resolve-server.js';

export type Backup = Schemas['Backup'];

/**
 * A backup named by id, or by name (unique per server: `--server` narrows the search; without it a
 * name that several servers' backups share is refused rather than guessed). Backups of deleted
 * servers are found too (the tenant-wide routes).
 */
export async function resolveBackup(ctx: Context, ref: string, serverRef?: string): Promise<Backup> {
  ctx.requireToken();
  if (ref.trim() === '') throw new UsageError('a backup name or id is required');
  if (isUuid(ref)) {
    const byId = await ctx.client.GET('/api/v1/backups/{backup_id}', {
      params: { path: { backup_id: ref } },
    });
    if (byId.response.status !== 404) return unwrap(byId);
  }
  const server = serverRef !== undefined ? await resolveServer(ctx, serverRef) : undefined;
  const list = unwrap(
    await ctx.client.GET('/api/v1/backups', {
      params: {
        query: { q: ref.slice(0, 100), per_page: 100, ...(server ? { server_id: server.id } : {}) },
      },
    }),
  );
  const matches = list.backups.filter((b) => b.name === ref);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new UsageError(
      `"${ref}" names backups of several servers (${matches.map((b) => `${b.server_name} ${b.id}`).join(', ')}); use --server or the id`,
    );
  }
  throw new CliError(`No backup named or with id "${ref}"${server ? ` on ${server.name}` : ''}.`, {
    code: 'BACKUP_NOT_FOUND',
  });
}
