/**
 * Catalogue rows and the shapes the resolver and the sources take, converted in one place so the
 * snake_case JSON stored in `plugin_versions.dependencies` is read the same way everywhere.
 */
import type { pluginVersions, plugins, serverPlugins } from '@minefleet/db/schema';
import type { Distribution } from '@minefleet/domain/distributions';
import type { CatalogueVersion, PluginDependency } from '@minefleet/domain/plugin-resolver';
import type { SourcePluginVersion } from '@minefleet/domain/ports/plugin-source';

export type PluginRecord = typeof plugins.$inferSelect;
export type PluginVersionRecord = typeof pluginVersions.$inferSelect;
export type InstallationRecord = typeof serverPlugins.$inferSelect;

export function dependenciesOf(row: Pick<PluginVersionRecord, 'dependencies'>): PluginDependency[] {
  return row.dependencies.map((d) => ({
    pluginId: d.plugin_id,
    versionRange: d.version_range,
    optional: d.optional,
  }));
}

export function toCatalogueVersion(row: PluginVersionRecord): CatalogueVersion {
  return {
    version: row.version,
    minecraftVersions: row.minecraftVersions,
    distributions: row.distributions as Distribution[],
    dependencies: dependenciesOf(row),
    approval: row.approval,
  };
}

/** The version as its source described it, for `PluginSource.download`. */
export function toSourceVersion(row: PluginVersionRecord): SourcePluginVersion {
  return {
    version: row.version,
    minecraftVersions: row.minecraftVersions,
    distributions: row.distributions as Distribution[],
    dependencies: dependenciesOf(row),
    downloadUrl: row.downloadUrl,
    fileName: row.fileName,
    ...(row.sha256 && { sha256: row.sha256 }),
    ...(row.sha512 && { sha512: row.sha512 }),
    sizeBytes: row.sizeBytes,
  };
}
