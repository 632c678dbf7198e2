import {
  PLUGIN_SOURCE_IDS,
  type PluginSourceId,
  type PluginSourcesConfig,
} from '@minefleet/plugins/plugin-sources-config';
import { HANGAR_API_URL } from '@minefleet/plugins/hangar-source';
import { MODRINTH_API_URL } from '@minefleet/plugins/modrinth-source';

/**
 * Which plugin sources a host uses and where they are, read by `loadConfig` and handed to
 * `createPluginSources` (the plugins package reads no environment). docs/plugins.md lists the variables.
 */
export class PluginConfigError extends Error {}

export function loadPluginSourcesConfig(
  env: Readonly<Record<string, string | undefined>>,
  minefleetVersion: string,
): PluginSourcesConfig {
  const sources = (env.MINEFLEET_PLUGIN_SOURCES ?? PLUGIN_SOURCE_IDS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = sources.filter((s) => !(PLUGIN_SOURCE_IDS as readonly string[]).includes(s));
  if (unknown.length > 0) {
    throw new PluginConfigError(
      `MINEFLEET_PLUGIN_SOURCES: unknown source(s) ${unknown.join(', ')}; use ${PLUGIN_SOURCE_IDS.join(', ')}`,
    );
  }
  const timeoutMs = Number(env.MINEFLEET_PLUGIN_HTTP_TIMEOUT_MS ?? 10_000);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 100) {
    throw new PluginConfigError(
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

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PluginConfigError(`${name} is not a URL: ${value}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new PluginConfigError(`${name} must be an http(s) URL`);
  return value.replace(/\/+$/, '');
}
