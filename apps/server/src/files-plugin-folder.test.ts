import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PluginFileToPlace } from '@minefleet/domain/ports/plugin-folder';
import { FilesPluginFolder, filesPluginDir } from '@minefleet/plugins/files-plugin-folder';
import { ServerPluginFolder } from '@minefleet/plugins/server-plugin-folder';
import { LocalServerFiles } from '@minefleet/runtime-local/local-server-files';

/**
 * The plugin folder over the files port (what servers on Kubernetes get, through their pods' agents),
 * here over the local files adapter on real folders: it keeps the local folder's guarantees and writes
 * what the local folder writes, byte for byte.
 */
const SERVER = '33333333-3333-4333-8333-333333333333';
let root: string;
let folder: FilesPluginFolder;
const dir = filesPluginDir(SERVER, 'plugins');
const plugins = () => path.join(root, SERVER, 'plugins');

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'minefleet-files-plugins-'));
  await mkdir(path.join(root, SERVER));
  folder = new FilesPluginFolder(new LocalServerFiles((id) => path.join(root, id)));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
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

describe('FilesPluginFolder', () => {
  it('places every file or none: one bad download leaves the server untouched', async () => {
    await folder.place(dir, 'flying-squid', [file('core.js', 'module.exports = {}')]);
    const before = (await readdir(plugins())).sort();
    const attempt = folder.place(dir, 'flying-squid', [
      file('lib.js', 'a fine library'),
      file('shop.js', 'shop, altered', 'shop, original'),
    ]);
    await expect(attempt).rejects.toMatchObject({ code: 'PLUGIN_HASH_MISMATCH' });
    expect((await readdir(plugins())).sort()).toEqual(before);
  });

  it('writes what the local folder writes: files, package.json, load order, config; disables and removes', async () => {
    const local = path.join(root, 'local-plugins');
    const both = async (
      act: (target: ServerPluginFolder | FilesPluginFolder, where: string) => Promise<void>,
    ) => {
      await act(new ServerPluginFolder(), local);
      await act(folder, dir);
    };
    await both((f, d) => f.place(d, 'flying-squid', [file('hello.js', 'hello'), file('old.js', 'old')]));
    await both((f, d) => f.place(d, 'flying-squid', [file('core.js', 'core')], ['old.js']));
    await both((f, d) => f.writeLoadOrder(d, 'flying-squid', ['core.js', 'hello.js']));
    await both((f, d) => f.writeConfig(d, 'flying-squid', 'hello.js', { greeting: 'Hi "{player}"\n' }));
    await both((f, d) => f.setEnabled(d, 'core.js', false));
    await both((f, d) => f.setEnabled(d, 'core.js', false));
    const snapshot = async (at: string) => {
      const out: Record<string, string> = {};
      for (const entry of await readdir(at, { recursive: true, withFileTypes: true }))
        if (entry.isFile()) {
          const full = path.join(entry.parentPath, entry.name);
          out[path.relative(at, full)] = await readFile(full, 'utf8');
        }
      return out;
    };
    const written = await snapshot(plugins());
    expect(written).toEqual(await snapshot(local));
    expect(Object.keys(written).sort()).toEqual([
      'core.js.disabled',
      'hello.js',
      'hello/config.json',
      'load-order.json',
      'package.json',
    ]);
    await both((f, d) => f.remove(d, 'flying-squid', 'hello.js'));
    expect(Object.keys(await snapshot(plugins())).sort()).toEqual([
      'core.js.disabled',
      'load-order.json',
      'package.json',
    ]);
  });

  it('refuses file names that leave the folder and addresses it does not know', async () => {
    await expect(folder.place(dir, 'flying-squid', [file('../escape.js', 'x')])).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(folder.setEnabled(dir, '.hidden.js', false)).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(folder.remove('/srv/plugins', 'flying-squid', 'a.js')).rejects.toThrow(
      /Not a plugin folder/,
    );
    expect(await readdir(path.join(root, SERVER))).toEqual([]);
  });
});
