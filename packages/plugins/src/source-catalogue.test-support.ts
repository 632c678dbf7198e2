/**
 * Turns what a source returns into the resolver's catalogue lookup, the way the catalogue service
 * will once it stores them: versions of a trusted source are approved, others pending.
 */
import type { CatalogueLookup, CatalogueVersion } from '@minefleet/domain/plugin-resolver';
import type { PluginSource, SourcePluginVersion } from '@minefleet/domain/ports/plugin-source';

export interface SourceCatalogue {
  lookup: CatalogueLookup;
  version(pluginId: string, version: string): SourcePluginVersion;
}

export async function catalogueOf(
  source: PluginSource,
  sourceIds: readonly string[],
): Promise<SourceCatalogue> {
  const plugins = new Map<string, SourcePluginVersion[]>();
  for (const sourceId of sourceIds) {
    const plugin = await source.get(sourceId);
    if (!plugin) throw new Error(`${source.id} has no plugin ${sourceId}`);
    plugins.set(plugin.id, plugin.versions);
  }
  const approval = source.trusted ? 'approved' : 'pending';
  return {
    lookup: (id) =>
      plugins.get(id)?.map((v): CatalogueVersion => ({
        version: v.version,
        minecraftVersions: v.minecraftVersions,
        distributions: v.distributions,
        dependencies: v.dependencies,
        approval,
      })),
    version(pluginId, version) {
      const found = plugins.get(pluginId)?.find((v) => v.version === version);
      if (!found) throw new Error(`no ${pluginId}@${version}`);
      return found;
    },
  };
}
