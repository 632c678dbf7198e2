import { unwrap, type Schemas, type Server } from '@minefleet/api-client/client';
import type { Context } from './context.js';
import { CliError, UsageError } from './errors.js';

export type Installation = Schemas['PluginInstallation'];

/** A catalogue id: `local:hello` as given; a bare `hello` is looked up (unique match by source id). */
export async function resolvePluginId(ctx: Context, ref: string): Promise<string> {
  if (ref.includes(':')) return ref;
  const found = unwrap(
    await ctx.client.GET('/api/v1/plugins', {
      params: { query: { q: ref, per_page: 100, approval: 'any' } },
    }),
  ).plugins.filter((p) => p.source_id === ref);
  if (found.length === 1) return found[0]!.id;
  if (found.length > 1) {
    throw new UsageError(
      `"${ref}" is in several sources (${found.map((p) => p.id).join(', ')}); use the full id`,
    );
  }
  throw new CliError(`No plugin "${ref}" in the catalogue (see "minefleet plugins search").`, {
    code: 'PLUGIN_NOT_FOUND',
  });
}

/** The server's plugin installations (the first 100). */
export async function installationsOf(ctx: Context, server: Server): Promise<Installation[]> {
  return unwrap(
    await ctx.client.GET('/api/v1/servers/{id}/plugins', {
      params: { path: { id: server.id }, query: { per_page: 100 } },
    }),
  ).plugins;
}

/** An installation on the server named by plugin id, bare slug, or installation id. */
export async function resolveInstallation(ctx: Context, server: Server, ref: string): Promise<Installation> {
  const list = await installationsOf(ctx, server);
  const match =
    list.find((i) => i.id === ref || i.plugin_id === ref) ??
    list.find((i) => i.plugin_id.slice(i.plugin_id.indexOf(':') + 1) === ref);
  if (!match) {
    throw new CliError(
      `${server.name} has no plugin "${ref}"${list.length > 0 ? ` (it has ${list.map((i) => i.plugin_id).join(', ')})` : ''}.`,
      { code: 'INSTALLATION_NOT_FOUND' },
    );
  }
  return match;
}
