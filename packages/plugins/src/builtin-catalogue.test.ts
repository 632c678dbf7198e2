/**
 * The shipped catalogue stays true to its files: a built-in plugin edited without updating its entry
 * fails here (and would fail every install with PLUGIN_HASH_MISMATCH). Fix it with
 * `node packages/plugins/scripts/hash-builtins.js`.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolvePluginInstall } from '@minefleet/domain/plugin-resolver';
import { BUILTIN_CATALOGUE_DIR, LocalCatalogueSource } from './local-catalogue-source.js';
import { catalogueOf } from './source-catalogue.test-support.js';

interface Entry {
  slug: string;
  versions: { version: string; file: string; sha256: string; size_bytes: number }[];
}

const catalogue = JSON.parse(await readFile(path.join(BUILTIN_CATALOGUE_DIR, 'catalogue.json'), 'utf8')) as {
  plugins: Entry[];
};

describe('the built-in catalogue', () => {
  it.each(catalogue.plugins.flatMap((p) => p.versions.map((v) => [`${p.slug}@${v.version}`, v] as const)))(
    '%s matches its file (run scripts/hash-builtins.js after editing a plugin)',
    async (_, version) => {
      const bytes = await readFile(path.join(BUILTIN_CATALOGUE_DIR, version.file));
      expect({ sha256: createHash('sha256').update(bytes).digest('hex'), size_bytes: bytes.length }).toEqual({
        sha256: version.sha256,
        size_bytes: version.size_bytes,
      });
    },
  );

  it('lists every built-in plugin file', async () => {
    const files = (await readdir(path.join(BUILTIN_CATALOGUE_DIR, 'flying-squid'))).map(
      (f) => `flying-squid/${f}`,
    );
    const listed = catalogue.plugins.flatMap((p) => p.versions.map((v) => v.file));
    expect(files.sort()).toEqual([...new Set(listed)].sort());
  });

  it('resolves every plugin on flying-squid, mf-core first', async () => {
    const source = await LocalCatalogueSource.load();
    const { lookup } = await catalogueOf(
      source,
      catalogue.plugins.map((p) => p.slug),
    );
    for (const { slug } of catalogue.plugins) {
      const plan = resolvePluginInstall({
        pluginId: `local:${slug}`,
        minecraftVersion: '1.20.2',
        distribution: 'flying-squid',
        catalogue: lookup,
        installed: [],
      });
      expect(plan.loadOrder.at(-1)).toBe(`local:${slug}`);
      if (slug !== 'mf-core') expect(plan.loadOrder[0]).toBe('local:mf-core');
    }
  });
});
