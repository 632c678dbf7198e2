import type { Checksum } from './download.js';

/** Where a server jar for one version comes from, and how to check it. */
export interface JarSource {
  url: string;
  /** Null only where the service publishes none (Fabric's server launcher). */
  checksum: Checksum | null;
  /** Build or loader identifier, recorded with the cached jar. */
  build: string;
}

/** A download service of one Java distribution. */
export interface DistributionApi {
  /** Versions it offers, newest first. */
  versions(signal?: AbortSignal): Promise<string[]>;
  /** The latest stable build for a version. Throws UNSUPPORTED_VERSION when the service has none. */
  resolve(version: string, signal?: AbortSignal): Promise<JarSource>;
}

/** Base URLs of the official services; injectable so tests answer from a local HTTP server. */
export interface DistributionEndpoints {
  paper: string;
  mojang: string;
  purpur: string;
  fabric: string;
}

export const OFFICIAL_ENDPOINTS: DistributionEndpoints = {
  paper: 'https://fill.papermc.io',
  mojang: 'https://piston-meta.mojang.com',
  purpur: 'https://api.purpurmc.org',
  fabric: 'https://meta.fabricmc.net',
};

export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
