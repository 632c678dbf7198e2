import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '@minefleet/domain/errors';
import type { PluginFileToPlace } from '@minefleet/domain/ports/plugin-folder';
import { ServerPluginFolder } from './server-plugin-folder.js';

const folder = new ServerPluginFolder();
let dir: string;

beforeEach(async () => {
  dir = path.join(await mkdtemp(path.join(tmpdir(), 'minefleet-server-folder-')), 'plugins');
});
afterEach(async () => {
  await rm(path.dirname(dir), { recursive: true, force: true });
});

function file(fileName: string, content: string, publish = content): PluginFileToPlace {
  const published = Buffer.from(publish);
  return {
    fileName,
    sha256: createHash('sha256').update(published).digest('hex'),
    sizeBytes: published.length,
    open: () =>
      Promise.resolve(
        (async function* () {
          await Promise.resolve();
          yield Buffer.from(content);
        })(),
      ),
  };
}

describe('ServerPluginFolder', () => {
  it('places every file or none: one bad download leaves the folder as it was', async () => {
    await folder.place(dir, 'paper', [file('Core-1.0.jar', 'core 1.0')]);
    const before = (await readdir(dir)).sort();
    const attempt = folder.place(dir, 'paper', [
      file('Lib-2.0.jar', 'a fine library'),
      file('Shop-1.0.jar', 'shop, altered', 'shop, original'),
    ]);
    await expect(attempt).rejects.toMatchObject({ code: 'PLUGIN_HASH_MISMATCH' });
    expect((await readdir(dir)).sort()).toEqual(before);
  });

  it('an upgrade under a new file name removes the old file, enabled or disabled', async () => {
    await folder.place(dir, 'paper', [file('Core-1.0.jar', 'core 1.0'), file('Other-1.0.jar', 'other')]);
    await folder.setEnabled(dir, 'Other-1.0.jar', false);
    await folder.place(
      dir,
      'paper',
      [file('Core-1.1.jar', 'core 1.1'), file('Other-1.1.jar', 'other 1.1')],
      ['Core-1.0.jar', 'Other-1.0.jar'],
    );
    expect((await readdir(dir)).sort()).toEqual(['Core-1.1.jar', 'Other-1.1.jar']);
  });

  it('disables by renaming to .disabled and back; both are idempotent', async () => {
    await folder.place(dir, 'flying-squid', [file('hello.js', 'module.exports = {};\n')]);
    await folder.setEnabled(dir, 'hello.js', false);
    await folder.setEnabled(dir, 'hello.js', false);
    expect(existsSync(path.join(dir, 'hello.js.disabled'))).toBe(true);
    expect(existsSync(path.join(dir, 'hello.js'))).toBe(false);
    await folder.setEnabled(dir, 'hello.js', true);
    await folder.setEnabled(dir, 'hello.js', true);
    expect(await readFile(path.join(dir, 'hello.js'), 'utf8')).toBe('module.exports = {};\n');
  });

  it('flying-squid: commonjs marker, load order by slug, config written; removal keeps plugin data', async () => {
    await folder.place(dir, 'flying-squid', [file('spawn.js', 'x'), file('mf-core.js', 'y')]);
    expect(JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    await folder.writeLoadOrder(dir, 'flying-squid', ['mf-core.js', 'spawn.js']);
    expect(JSON.parse(await readFile(path.join(dir, 'load-order.json'), 'utf8'))).toEqual([
      'mf-core',
      'spawn',
    ]);
    await folder.writeConfig(dir, 'flying-squid', 'spawn.js', { message: 'Back "home"\n' });
    await writeFile(path.join(dir, 'spawn', 'spawn.json'), '{"x":1}');
    await folder.remove(dir, 'flying-squid', 'spawn.js');
    expect(existsSync(path.join(dir, 'spawn.js'))).toBe(false);
    expect(existsSync(path.join(dir, 'spawn', 'config.json'))).toBe(false);
    expect(existsSync(path.join(dir, 'spawn', 'spawn.json'))).toBe(true);
    expect(folder.capabilities('flying-squid')).toEqual({ liveReload: false, configOverrides: true });
    expect(folder.capabilities('paper').configOverrides).toBe(false);
  });

  it('refuses file names that leave the folder, before downloading anything', async () => {
    await mkdir(dir, { recursive: true });
    for (const name of ['../evil.js', 'a/b.jar', '.hidden.js']) {
      const error = await folder.place(dir, 'paper', [file(name, 'x')]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('VALIDATION_FAILED');
    }
    expect(await readdir(dir)).toEqual([]);
  });
});
