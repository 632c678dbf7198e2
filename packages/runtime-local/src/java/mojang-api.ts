import { DomainError } from '@minefleet/domain/errors';
import { joinUrl, type DistributionApi, type JarSource } from './distribution-api.js';
import { fetchJson, type Fetch } from './download.js';

/** Mojang's launcher metadata (piston-meta): the version manifest and each version's own JSON. */
interface VersionManifest {
  latest: { release: string; snapshot: string };
  versions: {
    id: string;
    type: 'release' | 'snapshot' | 'old_beta' | 'old_alpha';
    url: string;
    sha1: string;
  }[];
}

interface VersionJson {
  id: string;
  downloads: { server?: { sha1: string; size: number; url: string } };
  javaVersion?: { component: string; majorVersion: number };
}

export class MojangApi implements DistributionApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: Fetch,
  ) {}

  private manifest(signal?: AbortSignal): Promise<VersionManifest> {
    return fetchJson<VersionManifest>(
      this.fetchImpl,
      joinUrl(this.baseUrl, '/mc/game/version_manifest_v2.json'),
      signal,
    );
  }

  async versions(signal?: AbortSignal): Promise<string[]> {
    return (await this.manifest(signal)).versions.filter((v) => v.type === 'release').map((v) => v.id);
  }

  async resolve(version: string, signal?: AbortSignal): Promise<JarSource> {
    const entry = (await this.manifest(signal)).versions.find(
      (v) => v.id === version && v.type === 'release',
    );
    if (!entry)
      throw new DomainError('UNSUPPORTED_VERSION', `No vanilla release ${version}`, {
        distribution: 'vanilla',
        version,
      });
    const details = await fetchJson<VersionJson>(this.fetchImpl, entry.url, signal);
    const server = details.downloads.server;
    if (!server) {
      throw new DomainError('UNSUPPORTED_VERSION', `Minecraft ${version} has no server download`, {
        distribution: 'vanilla',
        version,
      });
    }
    return { url: server.url, checksum: { algorithm: 'sha1', hex: server.sha1 }, build: version };
  }
}
