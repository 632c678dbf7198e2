import { DomainError } from '@minefleet/domain/errors';
import { joinUrl, type DistributionApi, type JarSource } from './distribution-api.js';
import { fetchJson, type Fetch } from './download.js';

/** PaperMC's download service, Fill v3 (fill.papermc.io; v2 at api.papermc.io is being retired). */
interface FillProject {
  project: { id: string; name: string };
  /** Version groups, newest first, each listing its versions newest first. */
  versions: Record<string, string[]>;
}

interface FillBuild {
  id: number;
  time: string;
  channel: 'ALPHA' | 'BETA' | 'STABLE' | 'RECOMMENDED';
  downloads: Record<string, { name: string; checksums: { sha256: string }; size: number; url: string }>;
}

export class PaperApi implements DistributionApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: Fetch,
    private readonly project = 'paper',
  ) {}

  async versions(signal?: AbortSignal): Promise<string[]> {
    const project = await fetchJson<FillProject>(
      this.fetchImpl,
      joinUrl(this.baseUrl, `/v3/projects/${this.project}`),
      signal,
    );
    return Object.values(project.versions).flat();
  }

  async resolve(version: string, signal?: AbortSignal): Promise<JarSource> {
    const url = joinUrl(
      this.baseUrl,
      `/v3/projects/${this.project}/versions/${encodeURIComponent(version)}/builds`,
    );
    let builds: FillBuild[];
    try {
      builds = await fetchJson<FillBuild[]>(this.fetchImpl, url, signal);
    } catch (error) {
      if (error instanceof DomainError && error.details?.status === 404) throw unsupported(version);
      throw error;
    }
    // Builds come newest first; only stable ones are offered to hosted servers.
    const build = builds.find((b) => b.channel === 'STABLE' || b.channel === 'RECOMMENDED');
    const download = build?.downloads['server:default'];
    if (!build || !download) throw unsupported(version);
    return {
      url: download.url,
      checksum: { algorithm: 'sha256', hex: download.checksums.sha256 },
      build: String(build.id),
    };
  }
}

function unsupported(version: string): DomainError {
  return new DomainError('UNSUPPORTED_VERSION', `Paper has no stable build for Minecraft ${version}`, {
    distribution: 'paper',
    version,
  });
}
