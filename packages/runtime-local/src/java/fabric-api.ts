import { DomainError } from '@minefleet/domain/errors';
import { joinUrl, type DistributionApi, type JarSource } from './distribution-api.js';
import { fetchJson, type Fetch } from './download.js';

/**
 * Fabric's meta server (meta.fabricmc.net/v2). It serves a ready-made server launcher jar for a game
 * version + loader + installer, but publishes no checksum for it: the jar is checked to be a zip and its
 * SHA-256 is recorded on first download (docs/runtime.md).
 */
interface GameVersion {
  version: string;
  stable: boolean;
}
interface LoaderVersion {
  version: string;
  stable: boolean;
}
interface InstallerVersion {
  version: string;
  stable: boolean;
}

export class FabricApi implements DistributionApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: Fetch,
  ) {}

  async versions(signal?: AbortSignal): Promise<string[]> {
    const games = await fetchJson<GameVersion[]>(
      this.fetchImpl,
      joinUrl(this.baseUrl, '/v2/versions/game'),
      signal,
    );
    return games.filter((g) => g.stable).map((g) => g.version);
  }

  async resolve(version: string, signal?: AbortSignal): Promise<JarSource> {
    const games = await fetchJson<GameVersion[]>(
      this.fetchImpl,
      joinUrl(this.baseUrl, '/v2/versions/game'),
      signal,
    );
    if (!games.some((g) => g.version === version && g.stable)) {
      throw new DomainError('UNSUPPORTED_VERSION', `Fabric does not support Minecraft ${version}`, {
        distribution: 'fabric',
        version,
      });
    }
    const [loaders, installers] = await Promise.all([
      fetchJson<LoaderVersion[]>(this.fetchImpl, joinUrl(this.baseUrl, '/v2/versions/loader'), signal),
      fetchJson<InstallerVersion[]>(this.fetchImpl, joinUrl(this.baseUrl, '/v2/versions/installer'), signal),
    ]);
    const loader = loaders.find((l) => l.stable);
    const installer = installers.find((i) => i.stable);
    if (!loader || !installer)
      throw new DomainError('DISTRIBUTION_UNAVAILABLE', 'Fabric meta lists no stable loader or installer');
    const path = `/v2/versions/loader/${encodeURIComponent(version)}/${encodeURIComponent(loader.version)}/${encodeURIComponent(installer.version)}/server/jar`;
    return {
      url: joinUrl(this.baseUrl, path),
      checksum: null,
      build: `loader-${loader.version}-installer-${installer.version}`,
    };
  }
}
