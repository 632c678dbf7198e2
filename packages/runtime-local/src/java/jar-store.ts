import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';
import { writeJsonAtomic } from '../atomic-file.js';
import type { DistributionApi } from './distribution-api.js';
import { downloadVerified, type Checksum, type Fetch } from './download.js';

export type JavaDistribution = 'paper' | 'vanilla' | 'purpur' | 'fabric';

export interface ObtainedJar {
  path: string;
  /** `jar-dir`: supplied by the admin; `cache`: downloaded earlier; `download`: fetched now. */
  origin: 'jar-dir' | 'cache' | 'download';
  build?: string;
}

interface CacheRecord {
  distribution: JavaDistribution;
  version: string;
  build: string;
  url: string;
  checksum: Checksum | null;
  sha256: string;
  downloadedAt: string;
}

const VERSION = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$/;

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * Server jars: the admin's folder first (offline hosts: `<jarDir>/<distribution>-<version>.jar`), then
 * the download cache (`<cacheDir>/<distribution>-<version>.jar` with a `.json` record of where it came
 * from and its SHA-256, re-checked on every use), then the distribution's download service.
 */
export class JarStore {
  private readonly inFlight = new Map<string, Promise<ObtainedJar>>();

  constructor(
    private readonly options: {
      jarDir: string | undefined;
      cacheDir: string;
      apis: Record<JavaDistribution, DistributionApi>;
      fetch: Fetch;
    },
  ) {}

  obtain(distribution: JavaDistribution, version: string, signal?: AbortSignal): Promise<ObtainedJar> {
    if (!VERSION.test(version))
      throw new DomainError('UNSUPPORTED_VERSION', `Invalid version ${JSON.stringify(version)}`);
    const key = `${distribution}-${version}`;
    // Twenty servers deployed at once with one version download it once.
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.obtainOnce(distribution, version, signal).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  /** Versions available without the network. */
  async localVersions(distribution: JavaDistribution): Promise<string[]> {
    const found = new Set<string>();
    for (const dir of [this.options.jarDir, this.options.cacheDir]) {
      if (!dir) continue;
      let names: string[] = [];
      try {
        names = await readdir(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        const prefix = `${distribution}-`;
        if (name.startsWith(prefix) && name.endsWith('.jar')) found.add(name.slice(prefix.length, -4));
      }
    }
    return [...found];
  }

  private async obtainOnce(
    distribution: JavaDistribution,
    version: string,
    signal?: AbortSignal,
  ): Promise<ObtainedJar> {
    const name = `${distribution}-${version}.jar`;
    if (this.options.jarDir) {
      const supplied = path.join(this.options.jarDir, name);
      if (await isFile(supplied)) return { path: supplied, origin: 'jar-dir' };
    }
    const cached = path.join(this.options.cacheDir, name);
    const recordFile = path.join(this.options.cacheDir, `${distribution}-${version}.json`);
    if (await isFile(cached)) {
      try {
        const record = JSON.parse(await readFile(recordFile, 'utf8')) as CacheRecord;
        if ((await sha256Of(cached)) === record.sha256)
          return { path: cached, origin: 'cache', build: record.build };
      } catch {
        // No record or a damaged jar: download again.
      }
    }
    const source = await this.options.apis[distribution].resolve(version, signal);
    const sha256 = await downloadVerified(this.options.fetch, source.url, source.checksum, cached, signal);
    const record: CacheRecord = {
      distribution,
      version,
      build: source.build,
      url: source.url,
      checksum: source.checksum,
      sha256,
      downloadedAt: new Date().toISOString(),
    };
    await writeJsonAtomic(recordFile, record);
    return { path: cached, origin: 'download', build: source.build };
  }
}
