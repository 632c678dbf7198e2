/**
 * Which plugin sources a host uses and where they are, read from the environment by the composition
 * root (no module reads process.env by itself). docs/plugins.md lists the variables.
 */
import type { PluginSource } from '@minefleet/domain/ports/plugin-source';
import { HANGAR_API_URL, HangarSource } from './hangar-source.js';
import { LocalCatalogueSource } from './local-catalogue-source.js';
import { MODRINTH_API_URL, ModrinthSource } from './modrinth-source.js';

export const PLUGIN_SOURCE_IDS = ['local', 'modrinth', 'hangar'] as const;
export type PluginSourceId = (typeof PLUGIN_SOURCE_IDS)[number];

export interface PluginSourcesConfig {
  sources: PluginSourceId[];
  modrinthUrl: string;
  hangarUrl: string;
  /** A catalogue folder replacing the shipped one (same layout: catalogue.json + files). */
  localCatalogueDir?: string;
  userAgent: string;
  timeoutMs: number;
}

export function pluginSourcesConfigFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  minefleetVersion: string,
): PluginSourcesConfig {
  const sources = (env.MINEFLEET_PLUGIN_SOURCES ?? PLUGIN_SOURCE_IDS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = sources.filter((s) => !(PLUGIN_SOURCE_IDS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new Error(
      `MINEFLEET_PLUGIN_SOURCES: unknown source(s) ${unknown.join(', ')}; use ${PLUGIN_SOURCE_IDS.join(', ')}`,
    );
  }
  const timeoutMs = Number(env.MINEFLEET_PLUGIN_HTTP_TIMEOUT_MS ?? 10_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) {
    throw new Error(
      'MINEFLEET_PLUGIN_HTTP_TIMEOUT_MS must be an integer number of milliseconds, at least 100',
    );
  }
  return {
    sources: [...new Set(sources)] as PluginSourceId[],
    modrinthUrl: httpUrl('MINEFLEET_MODRINTH_URL', env.MINEFLEET_MODRINTH_URL ?? MODRINTH_API_URL),
    hangarUrl: httpUrl('MINEFLEET_HANGAR_URL', env.MINEFLEET_HANGAR_URL ?? HANGAR_API_URL),
    ...(env.MINEFLEET_LOCAL_CATALOGUE && { localCatalogueDir: env.MINEFLEET_LOCAL_CATALOGUE }),
    // Modrinth asks for a user agent that identifies the application; operators add a contact.
    userAgent:
      env.MINEFLEET_PLUGIN_USER_AGENT?.trim() ||
      `minefleet/${minefleetVersion} (self-hosted Minecraft server panel)`,
    timeoutMs,
  };
}

export async function createPluginSources(config: PluginSourcesConfig): Promise<PluginSource[]> {
  const http = { userAgent: config.userAgent, timeoutMs: config.timeoutMs };
  const sources: PluginSource[] = [];
  for (const id of config.sources) {
    if (id === 'local') sources.push(await LocalCatalogueSource.load({ dir: config.localCatalogueDir }));
    if (id === 'modrinth') sources.push(new ModrinthSource({ ...http, baseUrl: config.modrinthUrl }));
    if (id === 'hangar') sources.push(new HangarSource({ ...http, baseUrl: config.hangarUrl }));
  }
  return sources;
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`${name} must be an http(s) URL`);
  return value.replace(/\/+$/, '');
}
