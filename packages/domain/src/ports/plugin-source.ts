import type { Distribution } from '../distributions.js';

/** A dependency as a source declares it: another catalogue plugin and the versions that fit. */
export interface SourcePluginDependency {
  /** Catalogue id of the dependency, e.g. `modrinth:Vebnzrzj` or `local:mf-core`. */
  pluginId: string;
  /** A semver range (`*` when the source names no version, `=5.4.102` for a pinned version). */
  versionRange: string;
  optional: boolean;
}

/** A plugin as a source describes it, before it is stored in the catalogue. */
export interface SourcePlugin {
  /** Catalogue id, `<source>:<sourceId>`, stable across syncs, e.g. `local:hello` or `modrinth:Vebnzrzj`. */
  id: string;
  source: string;
  /** The source's own stable id (Modrinth project id, Hangar slug, local slug). */
  sourceId: string;
  name: string;
  description: string;
  category: string;
  author: string;
  homepage?: string;
  /** Versions installable on a distribution Minefleet runs; versions for other loaders are left out. */
  versions: SourcePluginVersion[];
}

export interface SourcePluginVersion {
  version: string;
  /** The source's id of this version (Modrinth version id, Hangar version id), when it has one. */
  sourceVersionId?: string;
  /** Entries are exact versions, `1.20.x` wildcards, `1.16-1.18.2` spans or `*` (see the resolver). */
  minecraftVersions: string[];
  distributions: Distribution[];
  dependencies: SourcePluginDependency[];
  downloadUrl: string;
  /** The name the file gets in the server's plugin folder. */
  fileName: string;
  /** At least one of sha256/sha512 is always present: a version without a hash is not offered. */
  sha256?: string;
  sha512?: string;
  /** Informational (Modrinth looks files up by it); downloads are verified with sha256/sha512. */
  sha1?: string;
  sizeBytes: number;
  publishedAt?: string;
}

/** A search hit: enough to list the plugin; `PluginSource.get` returns its versions. */
export interface SourcePluginSummary {
  id: string;
  source: string;
  sourceId: string;
  name: string;
  description: string;
  category: string;
  author: string;
  homepage?: string;
  /** Minecraft versions some version of the plugin supports (same notation as versions). */
  minecraftVersions: string[];
  distributions: Distribution[];
  downloads?: number;
}

export interface PluginSearchQuery {
  q?: string;
  category?: string;
  minecraftVersion?: string;
  distribution?: Distribution;
  limit: number;
  offset: number;
}

/**
 * A place plugins come from: the Modrinth API, Hangar (PaperMC), or a local catalogue file.
 * Adapters are real HTTP clients; tests point them at a local server answering like the real API.
 * Failures to reach a source are `DomainError('PLUGIN_SOURCE_UNAVAILABLE')`.
 */
export interface PluginSource {
  /** `local`, `modrinth`, `hangar`: the prefix of the catalogue ids this source produces. */
  readonly id: string;
  /**
   * Whether its versions may be stored as `approved` without an administrator's review: true only for
   * the local catalogue shipped with Minefleet, whose files are checked into the repository.
   */
  readonly trusted: boolean;
  search(query: PluginSearchQuery): Promise<SourcePluginSummary[]>;
  /** The plugin with every version, or null; `sourceId` may also be a slug the source accepts. */
  get(sourceId: string): Promise<SourcePlugin | null>;
  /**
   * Streams the file of a version, bounded by its `sizeBytes` (the caller verifies the hash, see
   * `downloadVerified` in @minefleet/plugins).
   */
  download(
    version: SourcePluginVersion,
    options?: { signal?: AbortSignal },
  ): Promise<AsyncIterable<Uint8Array>>;
}
