import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isDomainError } from '@minefleet/domain/errors';
import type { ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { createLocalDriver } from '../create-local-driver.js';
import { parseProperties } from '../properties-file.js';
import type { DistributionEndpoints } from './distribution-api.js';
import { JarStore, type JavaDistribution } from './jar-store.js';
import { FabricApi } from './fabric-api.js';
import { MojangApi } from './mojang-api.js';
import { PaperApi } from './paper-api.js';
import { PurpurApi } from './purpur-api.js';

// The real HTTP clients of the four download services against a local server that answers with
// payloads shaped like the real APIs (PaperMC Fill v3, Mojang piston-meta, Purpur v2, Fabric meta v2):
// this machine cannot reach the real ones.

/** A fake jar: the zip magic the download check requires, then distinct bytes per distribution. */
const jar = (label: string): Buffer =>
  Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.from(label), randomBytes(64)]);
const JARS = { paper: jar('paper'), vanilla: jar('vanilla'), purpur: jar('purpur'), fabric: jar('fabric') };
const digest = (algorithm: string, data: Buffer): string => createHash(algorithm).update(data).digest('hex');

let server: http.Server;
let base: string;
const requests: { url: string; userAgent: string | undefined }[] = [];
/** Set by a test to make the Paper service lie about its checksum. */
let corruptPaperChecksum = false;

function routes(url: string): { status?: number; json?: unknown; body?: Buffer } | null {
  const paperSha = corruptPaperChecksum ? '0'.repeat(64) : digest('sha256', JARS.paper);
  const vanillaSha1 = digest('sha1', JARS.vanilla);
  switch (url) {
    // PaperMC Fill v3
    case '/v3/projects/paper':
      return {
        json: {
          project: { id: 'paper', name: 'Paper' },
          versions: { '1.21': ['1.21.4', '1.21.3'], '1.20': ['1.20.4', '1.20.2'] },
        },
      };
    case '/v3/projects/paper/versions/1.20.4/builds':
      return {
        json: [
          { id: 500, time: '2025-01-02T00:00:00Z', channel: 'ALPHA', commits: [], downloads: {} },
          {
            id: 499,
            time: '2025-01-01T00:00:00Z',
            channel: 'STABLE',
            commits: [{ sha: 'abc', time: '2025-01-01T00:00:00Z', message: 'Fix' }],
            downloads: {
              'server:default': {
                name: 'paper-1.20.4-499.jar',
                checksums: { sha256: paperSha },
                size: JARS.paper.length,
                url: `${base}/v1/objects/${paperSha}/paper-1.20.4-499.jar`,
              },
            },
          },
        ],
      };
    case '/v3/projects/paper/versions/9.9.9/builds':
      return { status: 404, json: { ok: false, message: 'Version not found.' } };
    // Mojang piston-meta
    case '/mc/game/version_manifest_v2.json':
      return {
        json: {
          latest: { release: '1.20.4', snapshot: '24w03a' },
          versions: [
            {
              id: '24w03a',
              type: 'snapshot',
              url: `${base}/v1/packages/aaa/24w03a.json`,
              time: '',
              releaseTime: '',
              sha1: 'aaa',
              complianceLevel: 1,
            },
            {
              id: '1.20.4',
              type: 'release',
              url: `${base}/v1/packages/bbb/1.20.4.json`,
              time: '',
              releaseTime: '',
              sha1: 'bbb',
              complianceLevel: 1,
            },
          ],
        },
      };
    case '/v1/packages/bbb/1.20.4.json':
      return {
        json: {
          id: '1.20.4',
          downloads: {
            client: { sha1: 'ccc', size: 1, url: `${base}/v1/objects/ccc/client.jar` },
            server: {
              sha1: vanillaSha1,
              size: JARS.vanilla.length,
              url: `${base}/v1/objects/${vanillaSha1}/server.jar`,
            },
          },
          javaVersion: { component: 'java-runtime-gamma', majorVersion: 17 },
        },
      };
    // Purpur v2
    case '/v2/purpur':
      return { json: { project: 'purpur', versions: ['1.20.2', '1.20.4'] } };
    case '/v2/purpur/1.20.4':
      return {
        json: { builds: { all: ['2175', '2176'], latest: '2176' }, project: 'purpur', version: '1.20.4' },
      };
    case '/v2/purpur/1.20.4/2176':
      return {
        json: {
          build: '2176',
          commits: [],
          duration: 1,
          md5: digest('md5', JARS.purpur),
          project: 'purpur',
          result: 'SUCCESS',
          timestamp: 1,
          version: '1.20.4',
        },
      };
    case '/v2/purpur/1.20.4/2176/download':
      return { body: JARS.purpur };
    // Fabric meta v2
    case '/v2/versions/game':
      return {
        json: [
          { version: '24w03a', stable: false },
          { version: '1.20.4', stable: true },
        ],
      };
    case '/v2/versions/loader':
      return {
        json: [
          {
            separator: '.',
            build: 1,
            maven: 'net.fabricmc:fabric-loader:0.16.0-beta.1',
            version: '0.16.0-beta.1',
            stable: false,
          },
          {
            separator: '.',
            build: 1,
            maven: 'net.fabricmc:fabric-loader:0.15.6',
            version: '0.15.6',
            stable: true,
          },
        ],
      };
    case '/v2/versions/installer':
      return {
        json: [
          {
            url: `${base}/installer.jar`,
            maven: 'net.fabricmc:fabric-installer:1.0.0',
            version: '1.0.0',
            stable: true,
          },
        ],
      };
    case '/v2/versions/loader/1.20.4/0.15.6/1.0.0/server/jar':
      return { body: JARS.fabric };
  }
  if (url === `/v1/objects/${paperSha}/paper-1.20.4-499.jar`) return { body: JARS.paper };
  if (url === `/v1/objects/${vanillaSha1}/server.jar`) return { body: JARS.vanilla };
  return null;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push({ url: req.url!, userAgent: req.headers['user-agent'] });
    const route = routes(req.url!);
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    if (route.body)
      res.writeHead(route.status ?? 200, { 'content-type': 'application/java-archive' }).end(route.body);
    else
      res
        .writeHead(route.status ?? 200, { 'content-type': 'application/json' })
        .end(JSON.stringify(route.json));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-jars-'));
  requests.length = 0;
  corruptPaperChecksum = false;
  return () => rm(dir, { recursive: true, force: true });
});

function store(jarDir?: string): JarStore {
  return new JarStore({
    jarDir,
    cacheDir: path.join(dir, 'cache'),
    fetch,
    apis: {
      paper: new PaperApi(base, fetch),
      vanilla: new MojangApi(base, fetch),
      purpur: new PurpurApi(base, fetch),
      fabric: new FabricApi(base, fetch),
    },
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return isDomainError(error) ? error.code : String(error);
  }
}

describe('download services', () => {
  it('Paper: the newest stable build, sha256 from Fill v3', async () => {
    expect(await new PaperApi(base, fetch).resolve('1.20.4')).toEqual({
      url: `${base}/v1/objects/${digest('sha256', JARS.paper)}/paper-1.20.4-499.jar`,
      checksum: { algorithm: 'sha256', hex: digest('sha256', JARS.paper) },
      build: '499',
    });
    expect(await new PaperApi(base, fetch).versions()).toEqual(['1.21.4', '1.21.3', '1.20.4', '1.20.2']);
    expect(await codeOf(new PaperApi(base, fetch).resolve('9.9.9'))).toBe('UNSUPPORTED_VERSION');
  });

  it('Mojang: the release from the manifest, sha1 from its version JSON', async () => {
    const source = await new MojangApi(base, fetch).resolve('1.20.4');
    expect(source.checksum).toEqual({ algorithm: 'sha1', hex: digest('sha1', JARS.vanilla) });
    expect(await new MojangApi(base, fetch).versions()).toEqual(['1.20.4']);
    expect(await codeOf(new MojangApi(base, fetch).resolve('24w03a'))).toBe('UNSUPPORTED_VERSION');
  });

  it('Purpur: the latest build with its md5', async () => {
    expect(await new PurpurApi(base, fetch).resolve('1.20.4')).toEqual({
      url: `${base}/v2/purpur/1.20.4/2176/download`,
      checksum: { algorithm: 'md5', hex: digest('md5', JARS.purpur) },
      build: '2176',
    });
    expect(await new PurpurApi(base, fetch).versions()).toEqual(['1.20.4', '1.20.2']);
    expect(await codeOf(new PurpurApi(base, fetch).resolve('1.7.10'))).toBe('UNSUPPORTED_VERSION');
  });

  it('Fabric: the server launcher of the newest stable loader and installer (no published checksum)', async () => {
    expect(await new FabricApi(base, fetch).resolve('1.20.4')).toEqual({
      url: `${base}/v2/versions/loader/1.20.4/0.15.6/1.0.0/server/jar`,
      checksum: null,
      build: 'loader-0.15.6-installer-1.0.0',
    });
    expect(await codeOf(new FabricApi(base, fetch).resolve('24w03a'))).toBe('UNSUPPORTED_VERSION');
  });

  it('identifies itself with a specific User-Agent (PaperMC requires one)', async () => {
    await new PaperApi(base, fetch).versions();
    expect(requests[0]!.userAgent).toMatch(/^minefleet\/\S+ \(.+\)$/);
  });
});

describe('jar store', () => {
  it.each(['paper', 'vanilla', 'purpur', 'fabric'] as const)(
    '%s: downloads, verifies, caches, then serves from the cache',
    async (distribution) => {
      const jars = store();
      const first = await jars.obtain(distribution, '1.20.4');
      expect(first.origin).toBe('download');
      expect(await readFile(first.path)).toEqual(JARS[distribution]);
      const record = JSON.parse(
        await readFile(path.join(dir, 'cache', `${distribution}-1.20.4.json`), 'utf8'),
      ) as { sha256: string };
      expect(record.sha256).toBe(digest('sha256', JARS[distribution]));
      const count = requests.length;
      expect((await store().obtain(distribution, '1.20.4')).origin).toBe('cache');
      expect(requests.length).toBe(count);
    },
  );

  it('refuses a jar whose checksum does not match and leaves nothing behind', async () => {
    corruptPaperChecksum = true;
    expect(await codeOf(store().obtain('paper', '1.20.4'))).toBe('DISTRIBUTION_UNAVAILABLE');
    expect(await readdir(path.join(dir, 'cache')).catch(() => [])).toEqual([]);
  });

  it('downloads again when a cached jar was damaged', async () => {
    const jars = store();
    const { path: cached } = await jars.obtain('purpur', '1.20.4');
    await writeFile(cached, 'PK\u0003\u0004 damaged');
    expect((await store().obtain('purpur', '1.20.4')).origin).toBe('download');
    expect(await readFile(cached)).toEqual(JARS.purpur);
  });

  it("uses the admin's jar folder before any download", async () => {
    const jarDir = path.join(dir, 'jars');
    await mkdir(jarDir);
    await writeFile(path.join(jarDir, 'paper-1.21.4.jar'), JARS.paper);
    const found = await store(jarDir).obtain('paper', '1.21.4');
    expect(found).toEqual({ path: path.join(jarDir, 'paper-1.21.4.jar'), origin: 'jar-dir' });
    expect(requests).toEqual([]);
    expect(await store(jarDir).localVersions('paper')).toEqual(['1.21.4']);
  });

  it('downloads a version once when many deploys ask at the same time', async () => {
    const jars = store();
    const all = await Promise.all(Array.from({ length: 5 }, () => jars.obtain('vanilla', '1.20.4')));
    expect(new Set(all.map((j) => j.path)).size).toBe(1);
    expect(requests.filter((r) => r.url.endsWith('server.jar'))).toHaveLength(1);
  });

  it('reports an unreachable service as DISTRIBUTION_UNAVAILABLE', async () => {
    const offline = new PaperApi('http://127.0.0.1:9', fetch);
    expect(await codeOf(offline.resolve('1.20.4'))).toBe('DISTRIBUTION_UNAVAILABLE');
  });
});

describe('Java servers in the local driver', () => {
  const endpoints = (): DistributionEndpoints => ({ paper: base, mojang: base, purpur: base, fabric: base });
  const spec = (distribution: JavaDistribution, minecraftVersion: string): ServerSpec => ({
    serverId: randomUUID(),
    tenantId: randomUUID(),
    name: 'java',
    distribution,
    minecraftVersion,
    bindHost: '127.0.0.1',
    port: 25_999,
    memoryMb: 2048,
    cpuMillicores: 1000,
    maxPlayers: 12,
    properties: { motd: 'Java\nenable-rcon=true', pvp: false },
  });

  it('refuses with RUNTIME_UNAVAILABLE when Java is missing, too old, or the EULA is not accepted', async () => {
    const missing = createLocalDriver({
      dataDir: dir,
      java: { endpoints: endpoints(), javaPath: '/nonexistent/java', acceptEula: true },
    });
    expect(await codeOf(missing.deploy(spec('paper', '1.20.4')))).toBe('RUNTIME_UNAVAILABLE');
    const noEula = createLocalDriver({ dataDir: dir, java: { endpoints: endpoints() } });
    expect(await codeOf(noEula.deploy(spec('paper', '1.20.4')))).toBe('RUNTIME_UNAVAILABLE');
    const catalogue = await noEula.catalogue();
    const paper = catalogue.find((d) => d.distribution === 'paper');
    expect(paper?.available).toBe(false);
    expect(paper?.reason).toMatch(/EULA|Java/);
  });

  it('refuses a version that needs a newer Java than the installed one', async () => {
    const driver = createLocalDriver({ dataDir: dir, java: { endpoints: endpoints(), acceptEula: true } });
    const java = (await driver.catalogue()).find((d) => d.distribution === 'paper');
    // This machine has Java 17: Minecraft 1.20.5+ needs 21.
    if (java?.reason?.startsWith('Java not found')) return;
    const error = await driver.deploy(spec('paper', '1.21.4')).catch((e: unknown) => e);
    expect(isDomainError(error) && error.code).toBe('RUNTIME_UNAVAILABLE');
    expect(isDomainError(error) && error.details).toMatchObject({ required: 21 });
  });

  it('deploys a Java server: verified jar, EULA, escaped server.properties owned by the platform', async () => {
    const driver = createLocalDriver({ dataDir: dir, java: { endpoints: endpoints(), acceptEula: true } });
    const s = spec('paper', '1.20.4');
    await driver.deploy(s);
    const root = driver.workspace(s.serverId).root;
    expect(await readFile(path.join(root, '.minefleet', 'server.jar'))).toEqual(JARS.paper);
    expect(await readFile(path.join(root, 'eula.txt'), 'utf8')).toMatch(/^eula=true$/m);
    const props = parseProperties(await readFile(path.join(root, 'server.properties'), 'latin1'));
    expect(props.get('motd')).toBe('Java\nenable-rcon=true');
    expect(props.get('enable-rcon')).toBe('false');
    expect(props.get('server-port')).toBe('25999');
    expect(props.get('max-players')).toBe('12');
    expect(props.get('server-ip')).toBe('127.0.0.1');

    const catalogue = await driver.catalogue();
    const paper = catalogue.find((d) => d.distribution === 'paper');
    expect(paper?.available).toBe(true);
    expect(paper?.versions).toEqual(expect.arrayContaining(['1.20.4', '1.21.4']));
    const fabric = spec('fabric', '1.20.4');
    await driver.deploy(fabric);
    expect(driver.workspace(fabric.serverId).pluginsDir).toBe(
      path.join(driver.workspace(fabric.serverId).root, 'mods'),
    );
  });
});
