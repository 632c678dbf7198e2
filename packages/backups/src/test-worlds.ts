import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A small but realistic server folder for tests: a world with region files (partly compressible),
 * player data, plugins with configs, and what backups leave out (logs, the server jar, a cache).
 */
export async function makeServerFolder(root: string): Promise<void> {
  const files: Record<string, Buffer | string> = {
    'server.properties': 'motd=A Minecraft Server\nmax-players=20\n',
    'eula.txt': 'eula=true\n',
    'paper.jar': Buffer.alloc(50_000, 7),
    'logs/latest.log': '[12:00:00] Server started\n',
    'cache/mojang_1.21.jar': Buffer.alloc(10_000, 1),
    'plugins/Essentials.jar': Buffer.alloc(30_000, 3),
    'plugins/Essentials/config.yml': 'spawn: true\n',
    'world/level.dat': Buffer.from([0x0a, 0, 0, 1, 2, 3]),
    'world/session.lock': 'lock',
    'world/region/r.0.0.mca': regionLike(300_000, 1),
    'world/region/r.0.-1.mca': regionLike(200_000, 2),
    'world/playerdata/069a79f4-44e9-4726-a5be-fca90e38aaf5.dat': Buffer.alloc(700, 9),
    'world_nether/DIM-1/region/r.0.0.mca': regionLike(100_000, 3),
    [`world/data/${'long-name-'.repeat(12)}.dat`]: 'a path longer than 100 bytes',
    'world/data/ünïcödé-☃.json': '{"snow": true}',
  };
  for (const [relative, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    await writeFile(path.join(root, relative), content);
  }
  await mkdir(path.join(root, 'world/empty-dir'), { recursive: true });
  await symlink('region/r.0.0.mca', path.join(root, 'world/latest-region'));
}

/** Data like a region file: runs of random bytes (chunk data, compressed) between zero padding. */
export function regionLike(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size);
  let state = seed * 2654435761;
  for (let offset = 0; offset < size; offset += 4096) {
    state = (state * 1103515245 + 12345) >>> 0;
    const used = 1024 + (state % 2048);
    for (let i = offset; i < Math.min(offset + used, size); i++) {
      state = (state * 1103515245 + 12345) >>> 0;
      out[i] = state >>> 24;
    }
  }
  return out;
}

/** path → sha256 of content (files), `dir` (directories) or `-> target` (symlinks), sorted. */
export async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const visit = async (relative: string): Promise<void> => {
    for (const name of (await readdir(path.join(root, relative))).sort()) {
      const child = relative === '' ? name : `${relative}/${name}`;
      const stats = await lstat(path.join(root, child));
      if (stats.isDirectory()) {
        out[child] = 'dir';
        await visit(child);
      } else if (stats.isSymbolicLink()) {
        out[child] = `-> ${await readlink(path.join(root, child))}`;
      } else if (!stats.isFile()) {
        out[child] = 'special';
      } else {
        out[child] = createHash('sha256')
          .update(await readFile(path.join(root, child)))
          .digest('hex');
      }
    }
  };
  await visit('');
  return out;
}
