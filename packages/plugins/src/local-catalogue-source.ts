/**
 * The local catalogue as a plugin source: a JSON file plus the plugin files next to it, read from disk
 * and validated when loaded (a broken catalogue stops the start-up with every problem listed, instead
 * of surfacing later as a failed install). By default it is the catalogue shipped in this package
 * (`packages/plugins/builtin/`), with Minefleet's flying-squid plugins; an operator can point
 * MINEFLEET_LOCAL_CATALOGUE at another folder with the same layout for offline hosts.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Value } from '@sinclair/typebox/value';
import { DomainError } from '@minefleet/domain/errors';
import { isValidRange, supportsMinecraftVersion } from '@minefleet/domain/plugin-resolver-versions';
import type {
  PluginSearchQuery,
  PluginSource,
  SourcePlugin,
  SourcePluginSummary,
  SourcePluginVersion,
} from '@minefleet/domain/ports/plugin-source';
import { LocalCatalogueFile, type LocalCataloguePlugin } from './local-catalogue-schema.js';

/** The catalogue shipped with Minefleet (same place from src/ and dist/). */
export const BUILTIN_CATALOGUE_DIR = fileURLToPath(new URL('../builtin/', import.meta.url));
export const CATALOGUE_FILE_NAME = 'catalogue.json';

const URL_PREFIX = 'local:';

export class LocalCatalogueSource implements PluginSource {
  readonly id = 'local';
  readonly trusted: boolean;

  private constructor(
    private readonly dir: string,
    private readonly plugins: readonly SourcePlugin[],
    trusted: boolean,
  ) {
    this.trusted = trusted;
  }

  /**
   * Reads and validates `<dir>/catalogue.json`. The shipped catalogue is trusted (its versions are
   * stored approved); another folder is not unless `trusted` says so.
   */
  static async load(options: { dir?: string; trusted?: boolean } = {}): Promise<LocalCatalogueSource> {
    const dir = path.resolve(options.dir ?? BUILTIN_CATALOGUE_DIR);
    const file = path.join(dir, CATALOGUE_FILE_NAME);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(file, 'utf8')) as unknown;
    } catch (error) {
      throw new Error(`Local plugin catalogue ${file} cannot be read: ${String(error)}`);
    }
    const problems = [...Value.Errors(LocalCatalogueFile, raw)]
      .slice(0, 10)
      .map((e) => `${e.path}: ${e.message}`);
    if (problems.length > 0)
      throw new Error(`Local plugin catalogue ${file} is invalid:\n${problems.join('\n')}`);
    const catalogue = raw as LocalCatalogueFile;
    const semantic = await checkCatalogue(dir, catalogue);
    if (semantic.length > 0)
      throw new Error(`Local plugin catalogue ${file} is invalid:\n${semantic.join('\n')}`);
    const trusted = options.trusted ?? path.resolve(BUILTIN_CATALOGUE_DIR) === dir;
    return new LocalCatalogueSource(dir, catalogue.plugins.map(toSourcePlugin), trusted);
  }

  search(query: PluginSearchQuery): Promise<SourcePluginSummary[]> {
    const q = query.q?.trim().toLowerCase();
    const hits = this.plugins.filter((p) => {
      if (q && ![p.sourceId, p.name, p.description].some((text) => text.toLowerCase().includes(q)))
        return false;
      if (query.category && p.category !== query.category) return false;
      return p.versions.some(
        (v) =>
          (!query.distribution || v.distributions.includes(query.distribution)) &&
          (!query.minecraftVersion || supportsMinecraftVersion(v.minecraftVersions, query.minecraftVersion)),
      );
    });
    return Promise.resolve(hits.slice(query.offset, query.offset + query.limit).map(summary));
  }

  get(sourceId: string): Promise<SourcePlugin | null> {
    return Promise.resolve(this.plugins.find((p) => p.sourceId === sourceId) ?? null);
  }

  download(
    version: SourcePluginVersion,
    options: { signal?: AbortSignal } = {},
  ): Promise<AsyncIterable<Uint8Array>> {
    const relative = version.downloadUrl.startsWith(URL_PREFIX)
      ? version.downloadUrl.slice(URL_PREFIX.length)
      : undefined;
    const full = relative === undefined ? undefined : insideDir(this.dir, relative);
    if (!full) {
      return Promise.reject(
        new DomainError('PLUGIN_NOT_FOUND', `Not a file of the local catalogue: ${version.downloadUrl}`, {
          download_url: version.downloadUrl,
        }),
      );
    }
    return Promise.resolve(createReadStream(full, { signal: options.signal }));
  }
}

/** The resolved path of `relative` if it stays inside `dir`, else undefined. */
function insideDir(dir: string, relative: string): string | undefined {
  const full = path.resolve(dir, relative);
  return path.isAbsolute(relative) || !full.startsWith(dir + path.sep) ? undefined : full;
}

async function checkCatalogue(dir: string, catalogue: LocalCatalogueFile): Promise<string[]> {
  const problems: string[] = [];
  const ids = new Set(catalogue.plugins.map((p) => `local:${p.slug}`));
  if (ids.size !== catalogue.plugins.length) problems.push('plugin slugs are not unique');
  for (const plugin of catalogue.plugins) {
    const where = `plugin ${plugin.slug}`;
    if (new Set(plugin.versions.map((v) => v.version)).size !== plugin.versions.length) {
      problems.push(`${where}: versions are not unique`);
    }
    for (const version of plugin.versions) {
      const at = `${where}@${version.version}`;
      for (const dep of version.dependencies) {
        if (!isValidRange(dep.version_range)) problems.push(`${at}: invalid range ${dep.version_range}`);
        if (dep.plugin_id.startsWith('local:') && !ids.has(dep.plugin_id)) {
          problems.push(`${at}: depends on ${dep.plugin_id}, which is not in the catalogue`);
        }
      }
      const file = insideDir(dir, version.file);
      if (!file) {
        problems.push(`${at}: file ${version.file} is outside the catalogue folder`);
        continue;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) problems.push(`${at}: file ${version.file} does not exist`);
      else if (info.size !== version.size_bytes) {
        problems.push(
          `${at}: file ${version.file} is ${info.size} bytes, the catalogue says ${version.size_bytes}`,
        );
      }
    }
  }
  return problems;
}

function toSourcePlugin(plugin: LocalCataloguePlugin): SourcePlugin {
  return {
    id: `local:${plugin.slug}`,
    source: 'local',
    sourceId: plugin.slug,
    name: plugin.name,
    description: plugin.description,
    category: plugin.category,
    author: plugin.author,
    ...(plugin.homepage && { homepage: plugin.homepage }),
    versions: plugin.versions.map((v) => ({
      version: v.version,
      minecraftVersions: v.minecraft_versions,
      distributions: v.distributions,
      dependencies: v.dependencies.map((d) => ({
        pluginId: d.plugin_id,
        versionRange: d.version_range,
        optional: d.optional,
      })),
      downloadUrl: `${URL_PREFIX}${v.file}`,
      fileName: plugin.file_name ?? `${plugin.slug}.js`,
      sha256: v.sha256,
      sizeBytes: v.size_bytes,
      ...(v.published_at && { publishedAt: v.published_at }),
    })),
  };
}

function summary(plugin: SourcePlugin): SourcePluginSummary {
  const { versions, ...fields } = plugin;
  return {
    ...fields,
    minecraftVersions: [...new Set(versions.flatMap((v) => v.minecraftVersions))],
    distributions: [...new Set(versions.flatMap((v) => v.distributions))],
  };
}
