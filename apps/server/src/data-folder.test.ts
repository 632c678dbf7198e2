import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connectPglite } from '@minefleet/db/connect';
import { ConfigError, loadConfig } from './config.js';
import { privatiseTree } from './data-folder.js';

const roots: string[] = [];
async function tempRoot(): Promise<string> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'minefleet-datadir-'));
  roots.push(root);
  return root;
}
afterAll(async () => {
  await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
});

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    yield full;
    if (entry.isDirectory()) yield* walk(full);
  }
}

describe('the data folder', () => {
  it('is created 0700, its secrets 0600', async () => {
    const dataDir = path.join(await tempRoot(), 'new', 'data');
    await loadConfig({ MINEFLEET_DATA_DIR: dataDir });
    expect((await stat(dataDir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dataDir, 'jwt-secret'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dataDir, 'metrics-token'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a folder other users can enter, naming the command that fixes it', async () => {
    const dataDir = path.join(await tempRoot(), 'shared data');
    await mkdir(dataDir);
    await chmod(dataDir, 0o755);
    const loading = loadConfig({ MINEFLEET_DATA_DIR: dataDir });
    await expect(loading).rejects.toBeInstanceOf(ConfigError);
    await expect(loading).rejects.toThrow(`chmod -R go-rwx '${dataDir}'`);
  });

  it('holds an embedded database no other user can read (PGlite asks for 0666 files)', async () => {
    const dataDir = path.join(await tempRoot(), 'data');
    await loadConfig({ MINEFLEET_DATA_DIR: dataDir });
    const { database } = await connectPglite({ dataDir: path.join(dataDir, 'pglite') });
    await privatiseTree(path.join(dataDir, 'pglite'));
    await database.close();
    let files = 0;
    for await (const file of walk(dataDir)) {
      files++;
      expect((await stat(file)).mode & 0o077, file).toBe(0);
    }
    expect(files).toBeGreaterThan(10);
    // And, where this test can act as another user, that user really cannot read a database file.
    if (process.getuid?.() === 0) {
      const read = spawnSync('setpriv', [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        'cat',
        path.join(dataDir, 'pglite', 'PG_VERSION'),
      ]);
      expect(read.status).not.toBe(0);
      expect(read.stderr.toString()).toMatch(/Permission denied/);
    }
  }, 120_000);
});
