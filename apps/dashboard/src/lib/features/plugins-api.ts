import type { Schemas } from '@minefleet/api-client/client';
import { supportsMinecraftVersion } from '@minefleet/domain/minecraft-versions';
import { call, type Api } from '../api.js';

/** The plugin marketplace (docs/plugins.md), through the typed client. */
export type PluginSummary = Schemas['PluginSummary'];
export type Plugin = Schemas['Plugin'];
export type PluginVersion = Schemas['PluginVersion'];
export type Installation = Schemas['PluginInstallation'];
export type InstallResult = Schemas['PluginInstallResult'];
export type Approval = PluginVersion['approval'];

export const pluginsApi = {
  search: (
    api: Api,
    query: {
      q?: string;
      category?: string;
      minecraft_version?: string;
      distribution?: string;
    },
  ) =>
    call(
      api.client.GET('/api/v1/plugins', {
        params: {
          query: {
            per_page: 50,
            ...(query.q ? { q: query.q } : {}),
            ...(query.category ? { category: query.category } : {}),
            ...(query.minecraft_version ? { minecraft_version: query.minecraft_version } : {}),
            ...(query.distribution
              ? { distribution: query.distribution as PluginVersion['distributions'][number] }
              : {}),
          },
        },
      }),
    ),
  /** Plugins with a version waiting for a platform administrator's review. */
  pending: (api: Api) =>
    call(api.client.GET('/api/v1/plugins', { params: { query: { per_page: 100, approval: 'pending' } } })),
  /** Platform administrators: read the sources now (`q` narrows each source's search). */
  sync: (api: Api, body: { q?: string }) => call(api.client.POST('/api/v1/plugins/sync', { body })),
  setApproval: (api: Api, id: string, version: string, approval: Approval) =>
    call(
      api.client.POST('/api/v1/plugins/{id}/versions/{version}/approval', {
        params: { path: { id, version } },
        body: { approval },
      }),
    ),
  get: (api: Api, id: string) => call(api.client.GET('/api/v1/plugins/{id}', { params: { path: { id } } })),
  installed: (api: Api, serverId: string) =>
    call(
      api.client.GET('/api/v1/servers/{id}/plugins', {
        params: { path: { id: serverId }, query: { per_page: 100 } },
      }),
    ),
  /** With `dry_run` the API answers the plan (what would be installed) and changes nothing. */
  install: (api: Api, serverId: string, body: { plugin_id: string; version?: string; dry_run?: boolean }) =>
    call(api.client.POST('/api/v1/servers/{id}/plugins', { params: { path: { id: serverId } }, body })),
  update: (
    api: Api,
    serverId: string,
    installationId: string,
    body: { enabled?: boolean; version?: string },
  ) =>
    call(
      api.client.PATCH('/api/v1/servers/{id}/plugins/{installation_id}', {
        params: { path: { id: serverId, installation_id: installationId } },
        body,
      }),
    ),
  remove: (api: Api, serverId: string, installationId: string, removeOrphans = false) =>
    call(
      api.client.DELETE('/api/v1/servers/{id}/plugins/{installation_id}', {
        params: {
          path: { id: serverId, installation_id: installationId },
          query: { remove_orphans: removeOrphans },
        },
      }),
    ),
};

/** What a sync found at one source. */
export type SyncReport = Awaited<ReturnType<typeof pluginsApi.sync>>['sources'][number];

// The API's own rule (`*`, exact, `1.20.x` wildcards, `1.16-1.18.2` spans; snapshots only match
// themselves), bundled from @minefleet/domain so the badges never disagree with the resolver.
export { supportsMinecraftVersion };

/** Whether a plugin version fits a server, and why not. */
export function compatibility(
  version: Pick<PluginVersion, 'minecraft_versions' | 'distributions'> & {
    approval?: PluginVersion['approval'];
  },
  server: { minecraft_version: string; distribution: string },
): { ok: boolean; reason?: string } {
  if (version.approval && version.approval !== 'approved')
    return { ok: false, reason: `not approved (${version.approval})` };
  if (!(version.distributions as string[]).includes(server.distribution))
    return { ok: false, reason: `not for ${server.distribution}` };
  if (!supportsMinecraftVersion(version.minecraft_versions, server.minecraft_version))
    return { ok: false, reason: `not for ${server.minecraft_version}` };
  return { ok: true };
}
