import type { Distribution } from './distributions.js';
import type { PluginApproval } from './enums.js';
import { supportsMinecraftVersion } from './plugin-resolver-versions.js';

/** What the plugin resolver reads (the catalogue, the installed plugins) and what it answers (a plan). */

export interface PluginDependency {
  pluginId: string;
  /** A semver range, e.g. `^1.2.0`, `>=2 <3`, `*`. */
  versionRange: string;
  optional: boolean;
}

/** One version of a plugin as the catalogue knows it. */
export interface CatalogueVersion {
  version: string;
  minecraftVersions: readonly string[];
  distributions: readonly Distribution[];
  dependencies: readonly PluginDependency[];
  approval: PluginApproval;
}

/** Every version of a plugin, or undefined when the catalogue has no such plugin. */
export type CatalogueLookup = (pluginId: string) => readonly CatalogueVersion[] | undefined;

/** A plugin on the server, with the dependencies of the version that is installed. */
export interface InstalledPlugin {
  pluginId: string;
  version: string;
  /** Installed to satisfy another plugin rather than asked for by the user. */
  asDependency: boolean;
  dependencies: readonly PluginDependency[];
}

export interface ResolveRequest {
  pluginId: string;
  /** An exact catalogue version; without it the newest version that resolves is chosen. */
  version?: string;
  minecraftVersion: string;
  distribution: Distribution;
  catalogue: CatalogueLookup;
  installed: readonly InstalledPlugin[];
}

export type PlanAction = 'install' | 'upgrade' | 'downgrade';

export interface PlannedChange {
  pluginId: string;
  version: string;
  action: PlanAction;
  previousVersion?: string;
  asDependency: boolean;
  /** Plugins (present after the change) that depend on this one. */
  requiredBy: string[];
}

export type ConflictReason =
  'no-version-satisfies' | 'missing' | 'incompatible' | 'invalid-range' | 'cycle' | 'too-complex';

export interface SkippedOptional {
  pluginId: string;
  requiredBy: string;
  reason: ConflictReason;
}

export interface ResolutionPlan {
  pluginId: string;
  version: string;
  /** What to download and place, dependencies first. Empty when nothing changes. */
  changes: PlannedChange[];
  /** Every plugin on the server after the change, dependencies first (the launcher's load order). */
  loadOrder: string[];
  skippedOptional: SkippedOptional[];
}

/** One step of the path from the requested plugin to the one that failed (`details.chain`). */
export interface ChainLink {
  plugin_id: string;
  /** The range by which the previous link required this plugin. */
  version_range?: string;
  /** The version chosen for this plugin, absent for the plugin that could not be chosen. */
  version?: string;
}

/** A requirement that ruled a version out (`details.conflicts`). */
export interface ConflictingRequirement {
  plugin_id: string;
  version: string;
  requires: string;
  version_range: string;
  /** The requirement comes from an installed plugin that the install does not change. */
  installed: boolean;
}

/** Whether a version may be installed on a server, approval aside. */
export function isVersionCompatible(
  version: Pick<CatalogueVersion, 'minecraftVersions' | 'distributions'>,
  minecraftVersion: string,
  distribution: Distribution,
): boolean {
  return (
    version.distributions.includes(distribution) &&
    supportsMinecraftVersion(version.minecraftVersions, minecraftVersion)
  );
}
