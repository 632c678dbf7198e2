/**
 * The Modrinth client against a local HTTP server answering with recorded Modrinth v2 payloads
 * (fixtures/modrinth): same code path as production, only the base URL differs.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@minefleet/domain/errors';
import { downloadVerified } from './download-verified.js';
import { fixture, startApiServer, type ApiServer } from './fixtures/api-server.js';
import { fixtureJar } from './fixtures/fixture-jar.js';
import { ModrinthSource } from './modrinth-source.js';

const USER_AGENT = 'minefleet-tests/0.1.0 (tests@minefleet.invalid)';
let api: ApiServer;
let source: ModrinthSource;
let tamper = false;

beforeAll(async () => {
  api = await startApiServer(({ url }, server) => {
    const hosts = { 'https://cdn.modrinth.com/': `${server.baseUrl}/modrinth-cdn/` };
    switch (url.pathname) {
      case '/v2/search':
        return { body: fixture('modrinth/search-chunky.json', hosts) };
      case '/v2/project/chunkyborder':
      case '/v2/project/s86X568j':
        return { body: fixture('modrinth/project-chunkyborder.json', hosts) };
      case '/v2/project/s86X568j/version':
        return { body: fixture('modrinth/project-chunkyborder-versions.json', hosts) };
      case '/v2/project/s86X568j/members':
        return { body: fixture('modrinth/project-chunkyborder-members.json', hosts) };
      case '/v2/versions':
        return { body: fixture('modrinth/versions-by-ids.json', hosts) };
      case '/modrinth-cdn/data/s86X568j/versions/hpu2D9Zq/ChunkyBorder-Bukkit-1.2.23.jar': {
        const jar = fixtureJar('ChunkyBorder-Bukkit-1.2.23.jar', 96_114);
        if (tamper) jar.writeUInt8(jar.readUInt8(5_000) ^ 0xff, 5_000);
        return { body: jar };
      }
      default:
        return undefined;
    }
  });
  source = new ModrinthSource({ baseUrl: `${api.baseUrl}/v2`, userAgent: USER_AGENT, retryBaseDelayMs: 5 });
});

afterAll(async () => {
  await api.close();
});

describe('ModrinthSource', () => {
  it('searches with facets for loaders, server side, game version and category', async () => {
    api.requests.length = 0;
    const hits = await source.search({
      q: 'chunky',
      minecraftVersion: '1.21',
      category: 'utility',
      distribution: 'paper',
      limit: 10,
      offset: 0,
    });
    const request = api.requests[0]!;
    expect(request.headers['user-agent']).toBe(USER_AGENT);
    expect(request.url.searchParams.get('query')).toBe('chunky');
    expect(JSON.parse(request.url.searchParams.get('facets')!)).toEqual([
      ['categories:bukkit', 'categories:spigot', 'categories:paper'],
      ['server_side:required', 'server_side:optional'],
      ['versions:1.21'],
      ['categories:utility'],
    ]);
    expect(request.url.searchParams.get('limit')).toBe('10');
    expect(hits[0]).toEqual({
      id: 'modrinth:fALzjamp',
      source: 'modrinth',
      sourceId: 'fALzjamp',
      name: 'Chunky',
      description: 'Pre-generates chunks, quickly and efficiently',
      category: 'management',
      author: 'pop4959',
      homepage: 'https://modrinth.com/mod/chunky',
      minecraftVersions: [
        '1.19.4',
        '1.20',
        '1.20.1',
        '1.20.2',
        '1.20.3',
        '1.20.4',
        '1.20.5',
        '1.20.6',
        '1.21',
        '1.21.1',
      ],
      distributions: ['fabric', 'paper', 'purpur'],
      downloads: 4_018_734,
    });
    expect(hits.map((h) => h.id)).toEqual(['modrinth:fALzjamp', 'modrinth:s86X568j']);
  });

  it('asks nothing for distributions no Modrinth loader serves', async () => {
    api.requests.length = 0;
    expect(await source.search({ distribution: 'flying-squid', limit: 10, offset: 0 })).toEqual([]);
    expect(await source.search({ distribution: 'vanilla', limit: 10, offset: 0 })).toEqual([]);
    expect(api.requests).toEqual([]);
  });

  it('gets a project with its installable versions, hashes and dependencies mapped', async () => {
    api.requests.length = 0;
    const plugin = await source.get('chunkyborder');
    expect(plugin).toMatchObject({
      id: 'modrinth:s86X568j',
      sourceId: 's86X568j',
      name: 'ChunkyBorder',
      category: 'utility',
      author: 'pop4959',
      homepage: 'https://github.com/pop4959/ChunkyBorder',
    });
    // The archived 1.2.22 and the Forge-only 1.1.47 are not offered; the two 1.2.23 builds are told apart.
    expect(plugin!.versions).toEqual([
      {
        version: '1.2.23+paper.purpur',
        sourceVersionId: 'hpu2D9Zq',
        minecraftVersions: ['1.20.4', '1.20.5', '1.20.6', '1.21', '1.21.1'],
        distributions: ['paper', 'purpur'],
        dependencies: [
          { pluginId: 'modrinth:fALzjamp', versionRange: '*', optional: false },
          { pluginId: 'modrinth:swbUV1cr', versionRange: '*', optional: true },
        ],
        downloadUrl: `${api.baseUrl}/modrinth-cdn/data/s86X568j/versions/hpu2D9Zq/ChunkyBorder-Bukkit-1.2.23.jar`,
        fileName: 'ChunkyBorder-Bukkit-1.2.23.jar',
        sha512:
          'ce698ff2dd01b498ce2f34b1036cef3fff44cb7237515af9c2010e56c271bdc8b4c7964ae76dac386fe3106c05d8c38d8f4bc6f8285fc10f6fae30069770f8dd',
        sha1: '83d511c811807db43a6fa558f871b554988b6b1f',
        sizeBytes: 96_114,
        publishedAt: '2024-08-12T18:20:09.112345Z',
      },
      expect.objectContaining({
        version: '1.2.23+fabric',
        distributions: ['fabric'],
        // A dependency pinned to a version id becomes that exact version; a file-only one is dropped.
        dependencies: [
          { pluginId: 'modrinth:fALzjamp', versionRange: '=1.4.10', optional: false },
          { pluginId: 'modrinth:P7dR8mSH', versionRange: '*', optional: false },
        ],
      }),
    ]);
    const lookup = api.requests.find((r) => r.url.pathname === '/v2/versions');
    expect(JSON.parse(lookup!.url.searchParams.get('ids')!)).toEqual(['dPliWter']);
  });

  it('answers null for a project Modrinth does not have', async () => {
    expect(await source.get('no-such-project')).toBeNull();
  });

  describe('verified download', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'minefleet-modrinth-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('downloads the primary file and verifies it against the published sha512', async () => {
      const version = (await source.get('s86X568j'))!.versions[0]!;
      const file = await downloadVerified(await source.download(version), version, dir, version.fileName);
      expect(file.sha512).toBe(version.sha512);
      expect(await readdir(dir)).toEqual(['ChunkyBorder-Bukkit-1.2.23.jar']);
    });

    it('refuses a file that does not match, leaving the folder as it was', async () => {
      const version = (await source.get('s86X568j'))!.versions[0]!;
      const before = await readdir(dir);
      tamper = true;
      try {
        const error = await downloadVerified(await source.download(version), version, dir, 'other.jar').catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(DomainError);
        expect((error as DomainError).code).toBe('PLUGIN_HASH_MISMATCH');
      } finally {
        tamper = false;
      }
      expect(await readdir(dir)).toEqual(before);
    });
  });
});
