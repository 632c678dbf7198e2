/**
 * Catalogue builders shared by the resolver's example and property tests. Pure and free of any test
 * framework, so being compiled with the package (the build excludes only *.test.ts) costs nothing.
 */
import type { Distribution } from './distributions.js';
import type { PluginApproval } from './enums.js';
import type {
  CatalogueLookup,
  CatalogueVersion,
  InstalledPlugin,
  PluginDependency,
} from './plugin-resolver.js';

export function req(pluginId: string, versionRange = '*'): PluginDependency {
  return { pluginId, versionRange, optional: false };
}

export function opt(pluginId: string, versionRange = '*'): PluginDependency {
  return { pluginId, versionRange, optional: true };
}

export function v(
  version: string,
  options: {
    deps?: readonly PluginDependency[];
    mc?: string[];
    dist?: Distribution[];
    approval?: PluginApproval;
  } = {},
): CatalogueVersion {
  return {
    version,
    minecraftVersions: options.mc ?? ['1.20.2'],
    distributions: options.dist ?? ['flying-squid', 'paper'],
    dependencies: options.deps ?? [],
    approval: options.approval ?? 'approved',
  };
}

export function lookup(plugins: Record<string, CatalogueVersion[]>): CatalogueLookup {
  return (id) => (Object.hasOwn(plugins, id) ? plugins[id] : undefined);
}

export function installedFrom(
  plugins: Record<string, CatalogueVersion[]>,
  entries: Record<string, string | { version: string; asDependency: boolean }>,
): InstalledPlugin[] {
  return Object.entries(entries).map(([pluginId, entry]) => {
    const { version, asDependency } =
      typeof entry === 'string' ? { version: entry, asDependency: false } : entry;
    const known = plugins[pluginId]?.find((c) => c.version === version);
    return { pluginId, version, asDependency, dependencies: known?.dependencies ?? [] };
  });
}
