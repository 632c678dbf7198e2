import { inArray } from 'drizzle-orm';
import type { Tx } from '@minefleet/db/database';
import { pluginVersions, plugins } from '@minefleet/db/schema';
import type { CatalogueLookup } from '@minefleet/domain/plugin-resolver';
import { toCatalogueVersion, type PluginRecord, type PluginVersionRecord } from './catalogue-records.js';

/** The part of the catalogue a resolution can reach, loaded up front (the resolver is synchronous). */
export interface CatalogueGraph {
  lookup: CatalogueLookup;
  plugin(pluginId: string): PluginRecord | undefined;
  version(pluginId: string, version: string): PluginVersionRecord | undefined;
}

/** A dependency graph wider than this is refused rather than loaded without bound. */
const MAX_PLUGINS = 500;

/**
 * Loads `roots` and every plugin any of their versions depends on, transitively (breadth first, one
 * query per level). Plugins the catalogue does not have are simply absent (the resolver reports them
 * as `missing`).
 */
export async function loadCatalogueGraph(tx: Tx, roots: readonly string[]): Promise<CatalogueGraph> {
  const pluginRows = new Map<string, PluginRecord>();
  const versionRows = new Map<string, PluginVersionRecord[]>();
  const requested = new Set<string>();
  let frontier = [...new Set(roots)];
  while (frontier.length > 0 && requested.size < MAX_PLUGINS) {
    frontier = frontier.slice(0, MAX_PLUGINS - requested.size);
    for (const id of frontier) requested.add(id);
    const [found, versions] = await Promise.all([
      tx.select().from(plugins).where(inArray(plugins.id, frontier)),
      tx.select().from(pluginVersions).where(inArray(pluginVersions.pluginId, frontier)),
    ]);
    for (const row of found) pluginRows.set(row.id, row);
    for (const row of versions) {
      const list = versionRows.get(row.pluginId) ?? [];
      list.push(row);
      versionRows.set(row.pluginId, list);
    }
    const next = new Set<string>();
    for (const row of versions) {
      for (const dep of row.dependencies) if (!requested.has(dep.plugin_id)) next.add(dep.plugin_id);
    }
    frontier = [...next];
  }
  const converted = new Map(
    [...pluginRows.keys()].map((id) => [id, (versionRows.get(id) ?? []).map(toCatalogueVersion)]),
  );
  return {
    lookup: (id) => converted.get(id),
    plugin: (id) => pluginRows.get(id),
    version: (id, version) => versionRows.get(id)?.find((v) => v.version === version),
  };
}
