/**
 * Modrinth (api.modrinth.com/v2) as a plugin source.
 *
 * - Catalogue ids use Modrinth's project id (`modrinth:Vebnzrzj`), which never changes, unlike slugs.
 * - Only `listed` versions whose loaders map to one of our distributions, with a primary file and a
 *   sha512, are offered.
 * - Dependencies: `required` and `optional` are kept; `incompatible` and `embedded` are not (embedded
 *   means shaded into the jar). A dependency on a specific version (`version_id`) becomes the exact
 *   range `=<its version_number>`; one on a project only becomes `*`. A dependency naming only a file
 *   (something Modrinth does not host) cannot be resolved and is dropped.
 */
import type { Distribution } from '@minefleet/domain/distributions';
import type {
  PluginSearchQuery,
  PluginSource,
  SourcePlugin,
  SourcePluginDependency,
  SourcePluginSummary,
  SourcePluginVersion,
} from '@minefleet/domain/ports/plugin-source';
import { distributionsForModrinthLoaders, modrinthLoadersFor } from './distribution-mapping.js';
import { apiUrl, HttpClient, sourceUnavailable, type HttpClientOptions } from './http-client.js';
import {
  ModrinthProject,
  ModrinthSearchResults,
  ModrinthTeamMembers,
  ModrinthVersionList,
  type ModrinthDependency,
  type ModrinthVersion,
} from './modrinth-schemas.js';
import { checkPayload, hexDigest } from './payload.js';
import { downloadUrl, exactVersionRange } from './source-helpers.js';

export const MODRINTH_API_URL = 'https://api.modrinth.com/v2';

export interface ModrinthSourceOptions extends HttpClientOptions {
  /** API root, `https://api.modrinth.com/v2` unless set (tests, a mirror, the staging API). */
  baseUrl?: string;
}

// Modrinth lists loaders among a project's categories; they are not what the plugin is about.
const LOADER_CATEGORIES = new Set([
  'bukkit',
  'spigot',
  'paper',
  'purpur',
  'folia',
  'fabric',
  'quilt',
  'forge',
  'neoforge',
  'velocity',
  'bungeecord',
  'waterfall',
  'sponge',
  'datapack',
  'minecraft',
  'liteloader',
  'modloader',
  'rift',
]);
const VERSION_LOOKUP_BATCH = 50;

export class ModrinthSource implements PluginSource {
  readonly id = 'modrinth';
  readonly trusted = false;
  private readonly http: HttpClient;
  private readonly baseUrl: string;

  constructor(options: ModrinthSourceOptions) {
    this.baseUrl = options.baseUrl ?? MODRINTH_API_URL;
    this.http = new HttpClient(this.id, options);
  }

  async search(query: PluginSearchQuery): Promise<SourcePluginSummary[]> {
    const loaders = modrinthLoadersFor(query.distribution);
    if (loaders.length === 0) return [];
    // Facets: arrays are ANDed, entries inside one array ORed.
    const facets: string[][] = [
      loaders.map((l) => `categories:${l}`),
      ['server_side:required', 'server_side:optional'],
    ];
    if (query.minecraftVersion) facets.push([`versions:${query.minecraftVersion}`]);
    if (query.category) facets.push([`categories:${query.category}`]);
    const url = apiUrl(this.baseUrl, 'search', {
      query: query.q || undefined,
      facets: JSON.stringify(facets),
      index: 'relevance',
      offset: Math.max(0, query.offset),
      limit: Math.min(Math.max(query.limit, 0), 100),
    });
    const body = checkPayload(this.id, url, ModrinthSearchResults, await this.required(url));
    return body.hits.map((hit) => ({
      id: `modrinth:${hit.project_id}`,
      source: this.id,
      sourceId: hit.project_id,
      name: hit.title,
      description: hit.description,
      category: mainCategory(hit.display_categories ?? hit.categories),
      author: hit.author,
      homepage: `https://modrinth.com/${hit.project_type}/${hit.slug}`,
      minecraftVersions: hit.versions,
      distributions: distributionsForModrinthLoaders(hit.categories),
      downloads: hit.downloads,
    }));
  }

  async get(sourceId: string): Promise<SourcePlugin | null> {
    const id = encodeURIComponent(sourceId);
    const projectUrl = apiUrl(this.baseUrl, `project/${id}`);
    const raw = await this.http.getJson(projectUrl);
    if (raw === null) return null;
    const project = checkPayload(this.id, projectUrl, ModrinthProject, raw);

    const versionsUrl = apiUrl(this.baseUrl, `project/${encodeURIComponent(project.id)}/version`);
    const membersUrl = apiUrl(this.baseUrl, `project/${encodeURIComponent(project.id)}/members`);
    const [rawVersions, rawMembers] = await Promise.all([
      this.http.getJson(versionsUrl),
      this.http.getJson(membersUrl),
    ]);
    const versions =
      rawVersions === null ? [] : checkPayload(this.id, versionsUrl, ModrinthVersionList, rawVersions);
    const members =
      rawMembers === null ? [] : checkPayload(this.id, membersUrl, ModrinthTeamMembers, rawMembers);
    const pinned = await this.pinnedVersions(versions);

    return {
      id: `modrinth:${project.id}`,
      source: this.id,
      sourceId: project.id,
      name: project.title,
      description: project.description,
      category: mainCategory(project.categories),
      author: (members.find((m) => m.role === 'Owner') ?? members[0])?.user.username ?? 'unknown',
      homepage: project.source_url ?? `https://modrinth.com/${project.project_type}/${project.slug}`,
      versions: distinctVersions(versions.flatMap((v) => mapVersion(project.id, v, pinned))),
    };
  }

  async download(
    version: SourcePluginVersion,
    options: { signal?: AbortSignal } = {},
  ): Promise<AsyncIterable<Uint8Array>> {
    return this.http.stream(downloadUrl(this.id, version), version.sizeBytes, options.signal);
  }

  /** Project id and version number of every version another project's dependency pins. */
  private async pinnedVersions(
    versions: readonly ModrinthVersion[],
  ): Promise<Map<string, { projectId: string; versionNumber: string }>> {
    const known = new Map(
      versions.map((v) => [v.id, { projectId: v.project_id, versionNumber: v.version_number }]),
    );
    const wanted = [
      ...new Set(
        versions
          .flatMap((v) => v.dependencies.map((d) => d.version_id ?? ''))
          .filter((id) => id && !known.has(id)),
      ),
    ];
    for (let i = 0; i < wanted.length; i += VERSION_LOOKUP_BATCH) {
      const url = apiUrl(this.baseUrl, 'versions', {
        ids: JSON.stringify(wanted.slice(i, i + VERSION_LOOKUP_BATCH)),
      });
      const found = checkPayload(this.id, url, ModrinthVersionList, (await this.http.getJson(url)) ?? []);
      for (const v of found) known.set(v.id, { projectId: v.project_id, versionNumber: v.version_number });
    }
    return known;
  }

  private async required(url: URL): Promise<unknown> {
    const body = await this.http.getJson(url);
    if (body === null) throw sourceUnavailable(this.id, url, 'status', { status: 404 });
    return body;
  }
}

/**
 * Modrinth projects often publish one version per loader under the same version number (Chunky
 * 1.4.10 for Bukkit and for Fabric). The catalogue needs one entry per version string, so a repeated
 * number gets its distributions as semver build metadata (`1.4.10+fabric`, `1.4.10+paper.purpur`),
 * which ranges ignore: `=1.4.10` still matches both, and the distribution filter picks the right one.
 * A version that still collides (the same file re-uploaded) keeps only its newest entry.
 */
function distinctVersions(versions: SourcePluginVersion[]): SourcePluginVersion[] {
  const counts = new Map<string, number>();
  for (const v of versions) counts.set(v.version, (counts.get(v.version) ?? 0) + 1);
  const seen = new Set<string>();
  const out: SourcePluginVersion[] = [];
  for (const v of versions) {
    const version =
      counts.get(v.version)! > 1 && !v.version.includes('+')
        ? `${v.version}+${v.distributions.join('.')}`
        : v.version;
    if (seen.has(version)) continue;
    seen.add(version);
    out.push({ ...v, version });
  }
  return out;
}

function mainCategory(categories: readonly string[]): string {
  return categories.find((c) => !LOADER_CATEGORIES.has(c)) ?? 'misc';
}

function mapVersion(
  projectId: string,
  version: ModrinthVersion,
  pinned: ReadonlyMap<string, { projectId: string; versionNumber: string }>,
): SourcePluginVersion[] {
  if (version.status !== undefined && version.status !== 'listed') return [];
  const distributions: Distribution[] = distributionsForModrinthLoaders(version.loaders);
  const file = version.files.find((f) => f.primary) ?? version.files[0];
  const sha512 = hexDigest(file?.hashes.sha512, 128);
  if (distributions.length === 0 || !file || !sha512) return [];
  const sha1 = hexDigest(file.hashes.sha1, 40);

  const dependencies = new Map<string, SourcePluginDependency>();
  for (const dep of version.dependencies) {
    const mapped = mapDependency(dep, pinned);
    if (mapped && mapped.pluginId !== `modrinth:${projectId}` && !dependencies.has(mapped.pluginId)) {
      dependencies.set(mapped.pluginId, mapped);
    }
  }
  return [
    {
      version: version.version_number,
      sourceVersionId: version.id,
      minecraftVersions: version.game_versions,
      distributions,
      dependencies: [...dependencies.values()],
      downloadUrl: file.url,
      fileName: file.filename,
      sha512,
      ...(sha1 && { sha1 }),
      sizeBytes: file.size,
      publishedAt: version.date_published,
    },
  ];
}

function mapDependency(
  dep: ModrinthDependency,
  pinned: ReadonlyMap<string, { projectId: string; versionNumber: string }>,
): SourcePluginDependency | undefined {
  if (dep.dependency_type !== 'required' && dep.dependency_type !== 'optional') return undefined;
  const version = dep.version_id ? pinned.get(dep.version_id) : undefined;
  const projectId = dep.project_id ?? version?.projectId;
  if (!projectId) return undefined;
  return {
    pluginId: `modrinth:${projectId}`,
    versionRange: version ? exactVersionRange(version.versionNumber) : '*',
    optional: dep.dependency_type === 'optional',
  };
}
