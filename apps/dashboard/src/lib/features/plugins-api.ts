import type { Api } from '../api.js';

/** The plugin marketplace of API.md (issue 5), typed here until it is in the OpenAPI document. */
export interface PluginVersion {
  version: string;
  minecraft_versions: string[];
  distributions: string[];
  dependencies: { plugin_id: string; version_range: string; optional: boolean }[];
  sha256?: string;
  size_bytes?: number;
  approval?: 'approved' | 'pending' | 'rejected';
}

export interface Plugin {
  id: string;
  name: string;
  description?: string;
  category?: string;
  author?: string;
  source?: string;
  latest_version?: string | null;
  /** Search results summarise the matching versions instead of listing them. */
  minecraft_versions?: string[];
  distributions?: string[];
  versions?: PluginVersion[];
}

export interface Installation {
  id: string;
  plugin_id: string;
  plugin_name?: string;
  version: string;
  status: 'installing' | 'installed' | 'failed' | 'disabled' | string;
  enabled?: boolean;
  error?: string | null;
  applies?: 'live' | 'on_restart';
}

export interface ResolvedPlugin {
  plugin_id: string;
  version: string;
  name?: string;
  required_by?: string | null;
}

const server = (id: string) => `/servers/${encodeURIComponent(id)}`;

export const pluginsApi = {
  search: (
    api: Api,
    query: {
      q?: string;
      category?: string;
      minecraft_version?: string;
      distribution?: string;
      page?: number;
    },
  ) => {
    const params = new URLSearchParams({ per_page: '50' });
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
    return api.raw<{ plugins: Plugin[]; pagination: { total: number } }>(
      'GET',
      `/plugins?${params.toString()}`,
    );
  },
  get: (api: Api, id: string) => api.raw<Plugin>('GET', `/plugins/${encodeURIComponent(id)}`),
  installed: (api: Api, serverId: string) =>
    api.raw<{ plugins?: Installation[]; installations?: Installation[] }>(
      'GET',
      `${server(serverId)}/plugins`,
    ),
  install: (api: Api, serverId: string, body: { plugin_id: string; version?: string; dry_run?: boolean }) =>
    api.raw<{ installation?: Installation; resolved: ResolvedPlugin[] }>(
      'POST',
      `${server(serverId)}/plugins`,
      body,
    ),
  update: (api: Api, serverId: string, installationId: string, body: { enabled?: boolean }) =>
    api.raw<unknown>('PATCH', `${server(serverId)}/plugins/${encodeURIComponent(installationId)}`, body),
  remove: (api: Api, serverId: string, installationId: string) =>
    api.raw<unknown>('DELETE', `${server(serverId)}/plugins/${encodeURIComponent(installationId)}`),
};

/** Whether a plugin version fits a server, and why not. */
export function compatibility(
  version: PluginVersion | undefined,
  server: { minecraft_version: string; distribution: string },
): { ok: boolean; reason?: string } {
  if (!version) return { ok: false, reason: 'no version' };
  if (version.approval && version.approval !== 'approved')
    return { ok: false, reason: `not approved (${version.approval})` };
  if (!version.distributions.includes(server.distribution))
    return { ok: false, reason: `not for ${server.distribution}` };
  if (!version.minecraft_versions.includes(server.minecraft_version))
    return { ok: false, reason: `not for ${server.minecraft_version}` };
  return { ok: true };
}

/** Compatibility of a search result: from its versions when listed, else from the summary. */
export function entryCompatible(
  plugin: Plugin,
  server: { minecraft_version: string; distribution: string },
): boolean | undefined {
  if (plugin.versions) return plugin.versions.some((v) => compatibility(v, server).ok);
  if (plugin.minecraft_versions && plugin.distributions)
    return (
      plugin.minecraft_versions.includes(server.minecraft_version) &&
      plugin.distributions.includes(server.distribution)
    );
  return undefined;
}
