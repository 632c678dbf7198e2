/**
 * Hangar (hangar.papermc.io/api/v1, PaperMC's plugin repository) as a plugin source.
 *
 * - Catalogue ids use the project slug (`hangar:ViaVersion`): Hangar addresses projects by it and
 *   names dependencies by project name, which is the slug for nearly every project.
 * - Only the PAPER platform is read (WATERFALL and VELOCITY are proxies). A version is offered when it
 *   has a PAPER file hosted on Hangar with its sha256; externally hosted files have no hash to verify
 *   and are skipped.
 * - Dependencies carry no versions on Hangar, so their range is `*`. A dependency on something not on
 *   Hangar (an external URL) becomes `external:<name>`: as optional it is dropped, as required it stays
 *   so the resolver refuses the plugin (it cannot run without it) instead of installing it broken.
 */
import type {
  PluginSearchQuery,
  PluginSource,
  SourcePlugin,
  SourcePluginDependency,
  SourcePluginSummary,
  SourcePluginVersion,
} from '@minefleet/domain/ports/plugin-source';
import { distributionsForHangarPlatforms, hangarPlatformFor } from './distribution-mapping.js';
import {
  HangarProject,
  HangarProjectPage,
  HangarVersionPage,
  type HangarPluginDependency,
  type HangarVersion,
} from './hangar-schemas.js';
import { apiUrl, HttpClient, sourceUnavailable, type HttpClientOptions } from './http-client.js';
import { checkPayload, hexDigest } from './payload.js';
import { downloadUrl } from './source-helpers.js';

export const HANGAR_API_URL = 'https://hangar.papermc.io/api/v1';
export const HANGAR_WEB_URL = 'https://hangar.papermc.io';

export interface HangarSourceOptions extends HttpClientOptions {
  /** API root, `https://hangar.papermc.io/api/v1` unless set. */
  baseUrl?: string;
}

const PLATFORM = 'PAPER';
const PAGE_SIZE = 25; // Hangar's maximum
const MAX_VERSION_PAGES = 20; // 500 versions: more than any project needs, and a bound on a sync

export class HangarSource implements PluginSource {
  readonly id = 'hangar';
  readonly trusted = false;
  private readonly http: HttpClient;
  private readonly baseUrl: string;

  constructor(options: HangarSourceOptions) {
    this.baseUrl = options.baseUrl ?? HANGAR_API_URL;
    this.http = new HttpClient(this.id, options);
  }

  async search(query: PluginSearchQuery): Promise<SourcePluginSummary[]> {
    const platform = hangarPlatformFor(query.distribution);
    if (!platform) return [];
    const url = apiUrl(this.baseUrl, 'projects', {
      query: query.q || undefined,
      category: query.category,
      platform,
      version: query.minecraftVersion,
      // With a text query Hangar ranks by relevance; without one, most downloaded first.
      sort: query.q ? undefined : '-downloads',
      limit: Math.min(Math.max(query.limit, 1), PAGE_SIZE),
      offset: Math.max(0, query.offset),
    });
    const raw = await this.http.getJson(url);
    if (raw === null) throw sourceUnavailable(this.id, url, 'status', { status: 404 });
    return checkPayload(this.id, url, HangarProjectPage, raw).result.map((p) => this.summary(p));
  }

  async get(sourceId: string): Promise<SourcePlugin | null> {
    const projectUrl = apiUrl(this.baseUrl, `projects/${encodeURIComponent(sourceId)}`);
    const raw = await this.http.getJson(projectUrl);
    if (raw === null) return null;
    const project = checkPayload(this.id, projectUrl, HangarProject, raw);

    const versions: HangarVersion[] = [];
    for (let page = 0; page < MAX_VERSION_PAGES; page++) {
      const url = apiUrl(this.baseUrl, `projects/${encodeURIComponent(project.namespace.slug)}/versions`, {
        platform: PLATFORM,
        limit: PAGE_SIZE,
        offset: page * PAGE_SIZE,
      });
      const body = await this.http.getJson(url);
      if (body === null) break;
      const { pagination, result } = checkPayload(this.id, url, HangarVersionPage, body);
      versions.push(...result);
      if (result.length === 0 || pagination.offset + result.length >= pagination.count) break;
    }

    const { owner, slug } = project.namespace;
    return {
      ...this.summaryFields(project),
      homepage: `${HANGAR_WEB_URL}/${owner}/${slug}`,
      versions: versions.flatMap((v) => mapVersion(v)),
    };
  }

  async download(
    version: SourcePluginVersion,
    options: { signal?: AbortSignal } = {},
  ): Promise<AsyncIterable<Uint8Array>> {
    return this.http.stream(downloadUrl(this.id, version), version.sizeBytes, options.signal);
  }

  private summaryFields(project: HangarProject): Omit<SourcePlugin, 'versions'> {
    return {
      id: `hangar:${project.namespace.slug}`,
      source: this.id,
      sourceId: project.namespace.slug,
      name: project.name,
      description: project.description,
      category: project.category,
      author: project.namespace.owner,
    };
  }

  private summary(project: HangarProject): SourcePluginSummary {
    const platforms = Object.keys(project.supportedPlatforms ?? {});
    return {
      ...this.summaryFields(project),
      homepage: `${HANGAR_WEB_URL}/${project.namespace.owner}/${project.namespace.slug}`,
      minecraftVersions: project.supportedPlatforms?.[PLATFORM] ?? [],
      distributions: distributionsForHangarPlatforms(platforms),
      downloads: project.stats.downloads,
    };
  }
}

/** Hangar derives a project's slug from its name by replacing spaces. */
function slugOf(name: string): string {
  return name.trim().replace(/\s+/g, '-');
}

function mapDependency(dep: HangarPluginDependency): SourcePluginDependency | undefined {
  const external = dep.projectId === undefined || dep.projectId === null || Boolean(dep.externalUrl);
  if (external && !dep.required) return undefined;
  return {
    pluginId: external ? `external:${slugOf(dep.name)}` : `hangar:${slugOf(dep.name)}`,
    versionRange: '*',
    optional: !dep.required,
  };
}

function mapVersion(version: HangarVersion): SourcePluginVersion[] {
  const download = version.downloads[PLATFORM];
  const file = download?.fileInfo;
  const sha256 = hexDigest(file?.sha256Hash, 64);
  if (!download?.downloadUrl || !file || !sha256) return [];
  return [
    {
      version: version.name,
      sourceVersionId: String(version.id),
      minecraftVersions: version.platformDependencies[PLATFORM] ?? [],
      distributions: distributionsForHangarPlatforms([PLATFORM]),
      dependencies: (version.pluginDependencies[PLATFORM] ?? []).flatMap((d) => mapDependency(d) ?? []),
      downloadUrl: download.downloadUrl,
      fileName: file.name,
      sha256,
      sizeBytes: file.sizeBytes,
      publishedAt: version.createdAt,
    },
  ];
}
