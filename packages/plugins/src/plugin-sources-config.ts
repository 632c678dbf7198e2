/**
 * Which plugin sources a host uses and where they are: the composition root parses its configuration
 * into a PluginSourcesConfig (no module reads process.env by itself) and builds the sources from it.
 */
import type { PluginSource } from '@minefleet/domain/ports/plugin-source';
import { HangarSource } from './hangar-source.js';
import { LocalCatalogueSource } from './local-catalogue-source.js';
import { ModrinthSource } from './modrinth-source.js';

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
