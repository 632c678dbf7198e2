import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '@minefleet/domain/errors';
import { preparePluginFolder, writeLoadOrder, writePluginConfig } from './flying-squid-plugin-folder.js';
import { BUILTIN_CATALOGUE_DIR } from './local-catalogue-source.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'minefleet-folder-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('the flying-squid plugin folder', () => {
  it('makes CommonJS plugins loadable under a "type": "module" project', async () => {
    const project = await mkdtemp(path.join(work, 'project-'));
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ type: 'module' }));
    const pluginsDir = path.join(project, 'server', 'plugins');
    const require = createRequire(path.join(project, 'index.js'));

    await preparePluginFolder(pluginsDir);
    await copyFile(
      path.join(BUILTIN_CATALOGUE_DIR, 'flying-squid', 'hello.js'),
      path.join(pluginsDir, 'hello.js'),
    );
    expect(Object.keys(require(path.join(pluginsDir, 'hello.js')) as object)).toEqual(['server']);
    expect(JSON.parse(await readFile(path.join(pluginsDir, 'package.json'), 'utf8'))).toEqual({
      type: 'commonjs',
    });
    await preparePluginFolder(pluginsDir); // idempotent
  });

  it('writes the load order and configurations as JSON', async () => {
    const pluginsDir = path.join(work, 'plugins');
    await preparePluginFolder(pluginsDir);
    await writeLoadOrder(pluginsDir, ['mf-core', 'hello']);
    expect(JSON.parse(await readFile(path.join(pluginsDir, 'load-order.json'), 'utf8'))).toEqual([
      'mf-core',
      'hello',
    ]);
    const hostile = { greeting: 'Hi"}\n{"x": 1, \u2028 </script>' };
    const file = await writePluginConfig(pluginsDir, 'hello', hostile);
    expect(file).toBe(path.join(pluginsDir, 'hello', 'config.json'));
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(hostile);
  });

  it.each(['../evil', 'a/b', '', '.hidden', 'x'.repeat(101)])('refuses the slug %j', async (slug) => {
    const pluginsDir = path.join(work, 'plugins');
    for (const attempt of [writeLoadOrder(pluginsDir, [slug]), writePluginConfig(pluginsDir, slug, {})]) {
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('VALIDATION_FAILED');
    }
  });
});
