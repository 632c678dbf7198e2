/**
 * The Hangar client against a local HTTP server answering with recorded Hangar API v1 payloads
 * (fixtures/hangar), paginating like Hangar does.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVerified } from './download-verified.js';
import { fixture, startApiServer, type ApiServer } from './fixtures/api-server.js';
import { fixtureJar } from './fixtures/fixture-jar.js';
import { HangarSource } from './hangar-source.js';

const USER_AGENT = 'minefleet-tests/0.1.0 (tests@minefleet.invalid)';

interface VersionPage {
  pagination: { limit: number; offset: number; count: number };
  result: { name: string }[];
}

/** Answers a page of `all` the way Hangar paginates (limit and offset from the query). */
function page(all: VersionPage['result'], url: URL): VersionPage {
  const limit = Number(url.searchParams.get('limit') ?? 25);
  const offset = Number(url.searchParams.get('offset') ?? 0);
  return { pagination: { limit, offset, count: all.length }, result: all.slice(offset, offset + limit) };
}

let api: ApiServer;
let source: HangarSource;
let manyVersions = false;

beforeAll(async () => {
  api = await startApiServer(({ url }, server) => {
    const hosts = { 'https://hangarcdn.papermc.io/': `${server.baseUrl}/hangar-cdn/` };
    const versions = (fixture('hangar/project-viabackwards-versions.json', hosts) as VersionPage).result;
    switch (decodeURIComponent(url.pathname)) {
      case '/api/v1/projects':
        return { body: fixture('hangar/projects-search-via.json', hosts) };
      case '/api/v1/projects/ViaBackwards':
        return { body: fixture('hangar/project-viabackwards.json', hosts) };
      case '/api/v1/projects/ViaBackwards/versions': {
        if (!manyVersions) return { body: page(versions, url) };
        const template = versions[1]!;
        const all = Array.from({ length: 30 }, (_, i) => ({
          ...template,
          id: 1000 + i,
          name: `5.1.${29 - i}`,
        }));
        return { body: page(all, url) };
      }
      case '/hangar-cdn/plugins/ViaVersion/ViaBackwards/versions/5.2.1/PAPER/ViaBackwards-5.2.1.jar':
        return { body: fixtureJar('ViaBackwards-5.2.1.jar', 301_517) };
      default:
        return undefined;
    }
  });
  source = new HangarSource({ baseUrl: `${api.baseUrl}/api/v1`, userAgent: USER_AGENT, retryBaseDelayMs: 5 });
});

afterAll(async () => {
  await api.close();
});

describe('HangarSource', () => {
  it('searches projects for the PAPER platform with text, category and version', async () => {
    api.requests.length = 0;
    const hits = await source.search({
      q: 'via',
      category: 'misc',
      minecraftVersion: '1.21.4',
      distribution: 'purpur',
      limit: 50,
      offset: 0,
    });
    const { url, headers } = api.requests[0]!;
    expect(headers['user-agent']).toBe(USER_AGENT);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      query: 'via',
      category: 'misc',
      platform: 'PAPER',
      version: '1.21.4',
      limit: '25',
      offset: '0',
    });
    expect(hits[0]).toEqual({
      id: 'hangar:ViaVersion',
      source: 'hangar',
      sourceId: 'ViaVersion',
      name: 'ViaVersion',
      description: 'Allow newer clients to join older server versions',
      category: 'misc',
      author: 'ViaVersion',
      homepage: 'https://hangar.papermc.io/ViaVersion/ViaVersion',
      minecraftVersions: ['1.8-1.21.4'],
      distributions: ['paper', 'purpur'],
      downloads: 3_198_765,
    });
    expect(hits).toHaveLength(2);
  });

  it('asks nothing for distributions Hangar does not serve', async () => {
    api.requests.length = 0;
    expect(await source.search({ distribution: 'fabric', limit: 10, offset: 0 })).toEqual([]);
    expect(api.requests).toEqual([]);
  });

  it('gets a project with its PAPER versions, sha256 and dependencies mapped', async () => {
    const plugin = await source.get('ViaBackwards');
    expect(plugin).toMatchObject({ id: 'hangar:ViaBackwards', author: 'ViaVersion', category: 'misc' });
    // 4.10.2 is only downloadable from an external URL, without a hash: not offered.
    expect(plugin!.versions.map((v) => v.version)).toEqual(['5.2.2-SNAPSHOT+381', '5.2.1']);
    const [snapshot, release] = plugin!.versions;
    expect(release).toEqual({
      version: '5.2.1',
      sourceVersionId: '349011',
      minecraftVersions: [
        '1.20',
        '1.20.1',
        '1.20.2',
        '1.20.3',
        '1.20.4',
        '1.20.5',
        '1.20.6',
        '1.21',
        '1.21.1',
        '1.21.2',
        '1.21.3',
        '1.21.4',
      ],
      distributions: ['paper', 'purpur'],
      // The optional external Geyser is dropped.
      dependencies: [{ pluginId: 'hangar:ViaVersion', versionRange: '*', optional: false }],
      downloadUrl: `${api.baseUrl}/hangar-cdn/plugins/ViaVersion/ViaBackwards/versions/5.2.1/PAPER/ViaBackwards-5.2.1.jar`,
      fileName: 'ViaBackwards-5.2.1.jar',
      sha256: 'f533085be94dd754af0bd367bfde7a858fecbd9498a3c357a5cd6bfc9a202aac',
      sizeBytes: 301_517,
      publishedAt: '2024-12-04T16:45:50.330918Z',
    });
    // A required dependency that is not on Hangar stays, so the resolver refuses rather than installs it broken.
    expect(snapshot!.dependencies).toEqual([
      { pluginId: 'hangar:ViaVersion', versionRange: '*', optional: false },
      { pluginId: 'external:ProtocolLib', versionRange: '*', optional: false },
    ]);
  });

  it('follows the pagination of versions', async () => {
    api.requests.length = 0;
    manyVersions = true;
    try {
      const plugin = await source.get('ViaBackwards');
      expect(plugin!.versions).toHaveLength(30);
    } finally {
      manyVersions = false;
    }
    const offsets = api.requests
      .filter((r) => r.url.pathname.endsWith('/versions'))
      .map((r) => [
        r.url.searchParams.get('platform'),
        r.url.searchParams.get('limit'),
        r.url.searchParams.get('offset'),
      ]);
    expect(offsets).toEqual([
      ['PAPER', '25', '0'],
      ['PAPER', '25', '25'],
    ]);
  });

  it('answers null for a project Hangar does not have', async () => {
    expect(await source.get('NoSuchPlugin')).toBeNull();
  });

  it('downloads a version and verifies it against the published sha256', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'minefleet-hangar-'));
    try {
      const version = (await source.get('ViaBackwards'))!.versions[1]!;
      const file = await downloadVerified(await source.download(version), version, dir, version.fileName);
      expect(file.sha256).toBe(version.sha256);
      expect(await readdir(dir)).toEqual(['ViaBackwards-5.2.1.jar']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
