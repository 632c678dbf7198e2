import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sweepCrashLeftovers } from './crash-leftovers.js';

describe('crash leftovers', () => {
  const roots: string[] = [];
  afterAll(async () => {
    await Promise.all(roots.map((r) => rm(r, { recursive: true, force: true })));
  });

  it('removes stale partial archives and plugin staging, keeps fresh ones and everything else', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'minefleet-leftovers-'));
    roots.push(root);
    const dataDir = path.join(root, 'data');
    const backupDir = path.join(dataDir, 'backups');
    const incoming = path.join(backupDir, '.incoming');
    const plugins = path.join(dataDir, 'servers', 's1', 'plugins');
    await mkdir(incoming, { recursive: true });
    await mkdir(path.join(plugins, '.minefleet-staging-abc123'), { recursive: true });
    await mkdir(path.join(plugins, '.minefleet-staging-fresh'), { recursive: true });
    const old = new Date(Date.now() - 3_600_000);
    const stale = [
      path.join(incoming, 'deadbeef.part'),
      path.join(plugins, '.chunky.jar.a1b2c3.part'),
      path.join(plugins, '.minefleet-staging-abc123', 'x.jar'),
    ];
    for (const file of stale) await writeFile(file, 'partial');
    await writeFile(path.join(incoming, 'writing-now.part'), 'in progress');
    await writeFile(path.join(plugins, 'real-plugin.js'), 'kept');
    await mkdir(path.join(backupDir, 't'), { recursive: true });
    await writeFile(path.join(backupDir, 't', 'archive.tar.zst'), 'kept');
    for (const file of [...stale, path.join(plugins, '.minefleet-staging-abc123')])
      await utimes(file, old, old);

    const removed = await sweepCrashLeftovers({ dataDir, backupDir, minAgeMs: 600_000 });
    expect(removed.sort()).toEqual(
      [stale[0]!, stale[1]!, path.join(plugins, '.minefleet-staging-abc123')].sort(),
    );
    expect(await readdir(incoming)).toEqual(['writing-now.part']);
    expect((await readdir(plugins)).sort()).toEqual(['.minefleet-staging-fresh', 'real-plugin.js']);
    expect(await readdir(path.join(backupDir, 't'))).toEqual(['archive.tar.zst']);
  });
});
