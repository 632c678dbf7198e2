import { DomainError } from '@minefleet/domain/errors';
import type { Distribution } from '@minefleet/domain/distributions';
import type { PluginFileToPlace, PluginFolder } from '@minefleet/domain/ports/plugin-folder';
import type { PluginSource } from '@minefleet/domain/ports/plugin-source';
import { toSourceVersion, type PluginRecord, type PluginVersionRecord } from './catalogue-records.js';

/** A version to place: the catalogue rows that say where its file comes from and what it must be. */
export interface VersionToPlace {
  plugin: PluginRecord;
  version: PluginVersionRecord;
}

/**
 * Turns catalogue versions into files for the plugin folder, each downloaded from the source that
 * published it (the folder verifies them; the source only streams).
 */
export class PluginFiles {
  private readonly sources: ReadonlyMap<string, PluginSource>;

  constructor(
    sources: readonly PluginSource[],
    readonly folder: PluginFolder,
  ) {
    this.sources = new Map(sources.map((s) => [s.id, s]));
  }

  files(versions: readonly VersionToPlace[]): PluginFileToPlace[] {
    return versions.map(({ plugin, version }) => ({
      fileName: version.fileName,
      sha256: version.sha256 ?? undefined,
      sha512: version.sha512 ?? undefined,
      sizeBytes: version.sizeBytes,
      open: () => this.source(plugin.source).download(toSourceVersion(version)),
    }));
  }

  place(
    dir: string,
    distribution: Distribution,
    versions: readonly VersionToPlace[],
    replaced: readonly string[],
  ): Promise<void> {
    return this.folder.place(dir, distribution, this.files(versions), replaced);
  }

  private source(id: string): PluginSource {
    const source = this.sources.get(id);
    if (!source) {
      // The catalogue still lists plugins of a source the host no longer configures.
      throw new DomainError(
        'PLUGIN_SOURCE_UNAVAILABLE',
        `The plugin source "${id}" is not configured here.`,
        {
          source: id,
          reason: 'not-configured',
        },
      );
    }
    return source;
  }
}
