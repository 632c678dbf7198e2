import { unwrap, type Server } from '@minefleet/api-client/client';
import type { Context } from './context.js';
import { CliError, UsageError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(text: string): boolean {
  return UUID.test(text);
}

/**
 * A server named by id or by name. Names are unique in a tenant, but a name may itself look like a
 * UUID: when the reference matches one server by id and another by name, it is refused rather than
 * guessed.
 */
export async function resolveServer(ctx: Context, ref: string): Promise<Server> {
  ctx.requireToken();
  if (ref.trim() === '') throw new UsageError('a server name or id is required');
  const found = new Map<string, Server>();
  if (isUuid(ref)) {
    const byId = await ctx.client.GET('/api/v1/servers/{id}', { params: { path: { id: ref } } });
    if (byId.response.status !== 404) {
      const server = unwrap(byId);
      found.set(server.id, server);
    }
  }
  const list = unwrap(
    await ctx.client.GET('/api/v1/servers', { params: { query: { q: ref.slice(0, 100), per_page: 100 } } }),
  );
  for (const server of list.servers) if (server.name === ref) found.set(server.id, server);

  const matches = [...found.values()];
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new UsageError(
      `"${ref}" names more than one server (${matches.map((s) => `${s.name} ${s.id}`).join(', ')}); use the id`,
    );
  }
  const similar = list.servers.map((s) => s.name).slice(0, 5);
  throw new CliError(
    `No server named or with id "${ref}".${similar.length > 0 ? ` Did you mean: ${similar.join(', ')}?` : ''}`,
    { code: 'SERVER_NOT_FOUND' },
  );
}
