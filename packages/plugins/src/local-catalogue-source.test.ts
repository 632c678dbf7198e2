import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@minefleet/domain/errors';
import { downloadVerified } from './download-verified.js';
import { BUILTIN_CATALOGUE_DIR, LocalCatalogueSource } from './local-catalogue-source.js';

let source: LocalCatalogueSource;
let work: string;

beforeAll(async () => {
  source = await LocalCatalogueSource.load();
  work = await mkdtemp(path.join(tmpdir(), 'minefleet-local-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const all = { limit: 50, offset: 0 };

describe('LocalCatalogueSource — the shipped catalogue', () => {
  it('is trusted and searchable by text, category, Minecraft version and distribution', async () => {
    expect(source.trusted).toBe(true);
    const ids = async (query: object) => (await source.search({ ...all, ...query })).map((p) => p.id).sort();
    expect(await ids({ q: 'HELLO' })).toEqual(['local:hello']);
    expect(await ids({ q: 'spawn point' })).toEqual(['local:spawn']);
    expect(await ids({ category: 'chat' })).toEqual(['local:announcer', 'local:hello', 'local:join-message']);
    expect(await ids({ minecraftVersion: '1.20.2', distribution: 'flying-squid' })).toHaveLength(5);
    expect(await ids({ minecraftVersion: '1.7.10' })).toEqual([]);
    expect(await ids({ distribution: 'paper' })).toEqual([]);
    expect(await source.search({ limit: 2, offset: 4 })).toHaveLength(1);
  });

  it('gets a plugin with its versions, or null', async () => {
    const hello = await source.get('hello');
    expect(hello).toMatchObject({
      id: 'local:hello',
      source: 'local',
      sourceId: 'hello',
      author: 'Minefleet',
    });
    expect(hello!.versions[0]).toMatchObject({
      version: '1.0.0',
      distributions: ['flying-squid'],
      dependencies: [{ pluginId: 'local:mf-core', versionRange: '^1.0.0', optional: false }],
      downloadUrl: 'local:flying-squid/hello.js',
      fileName: 'hello.js',
    });
    expect(await source.get('nope')).toBeNull();
  });

  it('downloads a file that verifies against the catalogue entry', async () => {
    const version = (await source.get('spawn'))!.versions[0]!;
    const file = await downloadVerified(await source.download(version), version, work, version.fileName);
    expect(await readFile(file.path)).toEqual(
      await readFile(path.join(BUILTIN_CATALOGUE_DIR, 'flying-squid/spawn.js')),
    );
  });

  it('serves nothing outside its folder', async () => {
    const version = (await source.get('hello'))!.versions[0]!;
    for (const downloadUrl of [
      'local:../package.json',
      'local:/etc/passwd',
      'https://example.org/hello.js',
    ]) {
      const error = await source.download({ ...version, downloadUrl }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('PLUGIN_NOT_FOUND');
    }
  });
});

describe('LocalCatalogueSource — validation at load', () => {
  async function catalogueWith(
    edit: (catalogue: { plugins: Record<string, unknown>[] }) => void,
  ): Promise<string> {
    const dir = await mkdtemp(path.join(work, 'catalogue-'));
    await cp(BUILTIN_CATALOGUE_DIR, dir, { recursive: true });
    const file = path.join(dir, 'catalogue.json');
    const catalogue = JSON.parse(await readFile(file, 'utf8')) as { plugins: Record<string, unknown>[] };
    edit(catalogue);
    await writeFile(file, JSON.stringify(catalogue));
    return dir;
  }
  type Version = Record<string, unknown> & { dependencies: Record<string, unknown>[] };
  const firstVersion = (c: { plugins: Record<string, unknown>[] }, i = 1) =>
    (c.plugins[i]!.versions as Version[])[0]!;

  it('loads a copy, untrusted unless told otherwise', async () => {
    const dir = await catalogueWith(() => undefined);
    expect((await LocalCatalogueSource.load({ dir })).trusted).toBe(false);
    expect((await LocalCatalogueSource.load({ dir, trusted: true })).trusted).toBe(true);
  });

  it.each<[string, (c: { plugins: Record<string, unknown>[] }) => void, RegExp]>([
    ['a missing field', (c) => delete c.plugins[0]!.name, /name/],
    ['an unknown distribution', (c) => (firstVersion(c).distributions = ['bukkit']), /distributions/],
    ['a slug that is not kebab-case', (c) => (c.plugins[0]!.slug = 'Bad Slug'), /slug/],
    ['a duplicate slug', (c) => (c.plugins[2]!.slug = 'hello'), /not unique/],
    [
      'an invalid range',
      (c) => (firstVersion(c).dependencies[0]!.version_range = 'banana'),
      /invalid range banana/,
    ],
    [
      'a dependency not in the catalogue',
      (c) => (firstVersion(c).dependencies[0]!.plugin_id = 'local:ghost'),
      /local:ghost/,
    ],
    [
      'a file outside the folder',
      (c) => (firstVersion(c).file = '../package.json'),
      /outside the catalogue folder/,
    ],
    ['a missing file', (c) => (firstVersion(c).file = 'flying-squid/missing.js'), /does not exist/],
    ['a wrong size', (c) => (firstVersion(c).size_bytes = 3), /bytes, the catalogue says 3/],
    ['a malformed hash', (c) => (firstVersion(c).sha256 = 'abc'), /sha256/],
  ])('refuses %s, saying what is wrong', async (_, edit, message) => {
    const dir = await catalogueWith(edit);
    await expect(LocalCatalogueSource.load({ dir })).rejects.toThrow(message);
  });
});
