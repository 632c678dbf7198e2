import { DomainError } from '@minefleet/domain/errors';
import { joinUrl, type DistributionApi, type JarSource } from './distribution-api.js';
import { fetchJson, type Fetch } from './download.js';

/** Purpur's download API (api.purpurmc.org/v2), which publishes an MD5 per build. */
interface PurpurProject {
  project: string;
  /** Oldest first. */
  versions: string[];
}

interface PurpurVersion {
  project: string;
  version: string;
  builds: { latest: string; all: string[] };
}

interface PurpurBuild {
  project: string;
  version: string;
  build: string;
  result: 'SUCCESS' | 'FAILURE';
  timestamp: number;
  md5: string;
}

export class PurpurApi implements DistributionApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: Fetch,
  ) {}

  async versions(signal?: AbortSignal): Promise<string[]> {
    const project = await fetchJson<PurpurProject>(
      this.fetchImpl,
      joinUrl(this.baseUrl, '/v2/purpur'),
      signal,
    );
    return [...project.versions].reverse();
  }

  async resolve(version: string, signal?: AbortSignal): Promise<JarSource> {
    const v = encodeURIComponent(version);
    let info: PurpurVersion;
    try {
      info = await fetchJson<PurpurVersion>(this.fetchImpl, joinUrl(this.baseUrl, `/v2/purpur/${v}`), signal);
    } catch (error) {
      if (error instanceof DomainError && error.details?.status === 404) throw unsupported(version);
      throw error;
    }
    if (!info.builds?.latest) throw unsupported(version);
    const build = await fetchJson<PurpurBuild>(
      this.fetchImpl,
      joinUrl(this.baseUrl, `/v2/purpur/${v}/${info.builds.latest}`),
      signal,
    );
    if (build.result !== 'SUCCESS' || !build.md5) throw unsupported(version);
    return {
      url: joinUrl(this.baseUrl, `/v2/purpur/${v}/${encodeURIComponent(build.build)}/download`),
      checksum: { algorithm: 'md5', hex: build.md5 },
      build: build.build,
    };
  }
}

function unsupported(version: string): DomainError {
  return new DomainError('UNSUPPORTED_VERSION', `Purpur has no build for Minecraft ${version}`, {
    distribution: 'purpur',
    version,
  });
}
