import type { Distribution } from '../distributions.js';

/** A plugin as a source describes it, before it is stored in the catalogue. */
export interface SourcePlugin {
  /** Catalogue id, stable across syncs, e.g. `local:hello` or `modrinth:luckperms`. */
  id: string;
  source: string;
  sourceId: string;
  name: string;
  description: string;
  category: string;
  author: string;
  homepage?: string;
  versions: SourcePluginVersion[];
}

export interface SourcePluginVersion {
  version: string;
  minecraftVersions: string[];
  distributions: Distribution[];
  dependencies: { pluginId: string; versionRange: string; optional: boolean }[];
  downloadUrl: string;
  fileName: string;
  sha256?: string;
  sha512?: string;
  sizeBytes: number;
  publishedAt?: string;
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
 */
export interface PluginSource {
  readonly id: string;
  search(query: PluginSearchQuery): Promise<SourcePlugin[]>;
  /** The plugin with every version, or null. */
  get(sourceId: string): Promise<SourcePlugin | null>;
  /** Streams the file of a version (the caller verifies the hash). */
  download(version: SourcePluginVersion): Promise<AsyncIterable<Uint8Array>>;
}
