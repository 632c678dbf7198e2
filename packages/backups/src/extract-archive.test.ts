import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { Encoder } from '@toondepauw/node-zstd';
import tar, { type Header } from 'tar-stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BACKUP_COMPRESSIONS } from '@minefleet/domain/enums';
import { compressStream } from './codec.js';
import { createArchive } from './create-archive.js';
import { extractArchive } from './extract-archive.js';
import { makeServerFolder } from './test-worlds.js';

type Entry = Partial<Header> & { name: string; body?: string };

/** A tar made by tar-stream, which writes whatever header it is given: the hostile archives' author. */
async function tarOf(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const parts: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of pack) parts.push(chunk as Buffer);
  })();
  for (const { body, ...header } of entries) {
    await new Promise<void>((resolve, reject) => {
      pack.entry(header, body ?? '', (error) => (error ? reject(error) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(parts);
}

function source(buffer: Buffer, chunk = 7_777): AsyncIterable<Uint8Array> {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < buffer.length; offset += chunk)
    pieces.push(buffer.subarray(offset, offset + chunk));
  return Readable.from(pieces);
}

let work: string;
let parent: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'mf-extract-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  // Each extraction happens in its own parent folder, two levels deep, with a sentinel beside it, so a
  // test can see that nothing was written outside the target and that no temporary folder was left.
  parent = await mkdtemp(path.join(work, 'case-'));
  await mkdir(path.join(parent, 'deep', 'er'), { recursive: true });
  parent = path.join(parent, 'deep', 'er');
});

async function expectRefused(archive: Buffer, reason: string): Promise<void> {
  const target = path.join(parent, 'restored');
  const before = await readdir(path.resolve(parent, '..', '..'));
  await expect(extractArchive(source(archive), target, { compression: 'none' })).rejects.toMatchObject({
    code: 'BACKUP_CORRUPT',
    details: expect.objectContaining({ reason }) as unknown,
  });
  expect(await readdir(parent)).toEqual([]); // no target, no temporary folder
  expect(await readdir(path.resolve(parent, '..'))).toEqual(['er']);
  expect(await readdir(path.resolve(parent, '..', '..'))).toEqual(before);
  await expect(stat('/tmp/minefleet-evil')).rejects.toMatchObject({ code: 'ENOENT' });
}

describe('extractArchive refuses hostile archives (BACKUP_CORRUPT, nothing written outside, nothing left)', () => {
  const cases: [string, Entry[], string][] = [
    ['parent traversal', [{ name: '../evil', body: 'x' }], 'parent-traversal'],
    ['traversal after a folder', [{ name: 'world/../../evil', body: 'x' }], 'parent-traversal'],
    ['deep traversal', [{ name: 'a/b/../../../../../../tmp/minefleet-evil', body: 'x' }], 'parent-traversal'],
    ['absolute path', [{ name: '/tmp/minefleet-evil', body: 'x' }], 'absolute-path'],
    ['drive letter', [{ name: 'C:/Windows/evil', body: 'x' }], 'absolute-path'],
    ['backslash traversal', [{ name: '..\\..\\evil', body: 'x' }], 'backslash'],
    ['absolute directory', [{ name: '/tmp/minefleet-evil/', type: 'directory' }], 'absolute-path'],
    ['symlink to an absolute path', [{ name: 'etc', type: 'symlink', linkname: '/etc' }], 'link-absolute'],
    ['symlink out by ..', [{ name: 'up', type: 'symlink', linkname: '../../..' }], 'link-outside'],
    [
      'symlink to the folder itself',
      [{ name: 'world/self', type: 'symlink', linkname: '..' }],
      'link-outside',
    ],
    [
      'symlink then a file written through it',
      [
        { name: 'out', type: 'symlink', linkname: '/tmp' },
        { name: 'out/minefleet-evil', body: 'x' },
      ],
      'link-absolute',
    ],
    [
      'in-folder symlink then a file written through it',
      [
        { name: 'sub/', type: 'directory' },
        { name: 'alias', type: 'symlink', linkname: 'sub' },
        { name: 'alias/file', body: 'x' },
      ],
      'type-conflict',
    ],
    [
      'chain of links that only escapes for real (lexically inside)',
      [
        { name: 's/t/', type: 'directory' },
        { name: 'v/', type: 'directory' },
        { name: 's/t/u', type: 'symlink', linkname: '../../v' },
        { name: 'w', type: 'symlink', linkname: 's/t/u/../..' },
      ],
      'link-outside',
    ],
    [
      'dangling link with .. (undecidable)',
      [{ name: 'a/b', type: 'symlink', linkname: 'missing/../../c' }],
      'link-target-missing',
    ],
    [
      'hard link to an absolute path',
      [{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }],
      'absolute-path',
    ],
    [
      'hard link out by ..',
      [{ name: 'h', type: 'link', linkname: '../../../etc/passwd' }],
      'parent-traversal',
    ],
    ['hard link to nothing', [{ name: 'h', type: 'link', linkname: 'missing' }], 'link-target-missing'],
    [
      'character device',
      [{ name: 'null', type: 'character-device', devmajor: 1, devminor: 3 }],
      'unsupported-type',
    ],
    ['block device', [{ name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 }], 'unsupported-type'],
    ['FIFO', [{ name: 'pipe', type: 'fifo' }], 'unsupported-type'],
    [
      'file where a folder is needed',
      [
        { name: 'world', body: 'x' },
        { name: 'world/level.dat', body: 'y' },
      ],
      'type-conflict',
    ],
    [
      'folder replaced by a file',
      [
        { name: 'world/', type: 'directory' },
        { name: 'world', body: 'x' },
      ],
      'type-conflict',
    ],
    ['name longer than 4 KiB', [{ name: `${'a/'.repeat(2100)}x`, body: 'x' }], 'name-too-long'],
  ];

  it.each(cases)('%s', async (_label, entries, reason) => {
    await expectRefused(await tarOf(entries), reason);
  });

  it('an unknown entry type', async () => {
    const archive = await tarOf([{ name: 'odd', body: 'x' }]);
    archive[156] = 'Z'.charCodeAt(0); // typeflag
    let sum = 0;
    archive.fill(0x20, 148, 156);
    for (let i = 0; i < 512; i++) sum += archive[i]!;
    archive.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
    await expectRefused(archive, 'unsupported-type');
  });
});

describe('extractArchive', () => {
  it('keeps links that stay inside (symlinks, dangling ones, hard links) and drops setuid bits', async () => {
    const target = path.join(parent, 'ok');
    const archive = await tarOf([
      { name: 'world/region/', type: 'directory' },
      { name: 'world/region/r.0.0.mca', body: 'region', mode: 0o4755 },
      { name: 'world/latest', type: 'symlink', linkname: 'region/r.0.0.mca' },
      { name: 'world/soon', type: 'symlink', linkname: 'region/r.9.9.mca' },
      { name: 'copy.mca', type: 'link', linkname: 'world/region/r.0.0.mca' },
      { name: './', type: 'directory' },
    ]);
    await extractArchive(source(archive), target, { compression: 'none' });
    expect(await readlink(path.join(target, 'world/latest'))).toBe('region/r.0.0.mca');
    expect(await readlink(path.join(target, 'world/soon'))).toBe('region/r.9.9.mca');
    expect(await readFile(path.join(target, 'copy.mca'), 'utf8')).toBe('region');
    expect((await stat(path.join(target, 'copy.mca'))).ino).toBe(
      (await stat(path.join(target, 'world/region/r.0.0.mca'))).ino,
    );
    expect((await stat(path.join(target, 'world/region/r.0.0.mca'))).mode & 0o7777).toBe(0o755);
  });

  it.each(BACKUP_COMPRESSIONS)(
    'refuses an archive whose checksum does not match (%s)',
    async (compression) => {
      const server = path.join(parent, 'server');
      await makeServerFolder(server);
      const archive = createArchive(server, { compression });
      const target = path.join(parent, 'restored');
      await expect(
        extractArchive(archive.stream, target, { compression, expectedSha256: 'ab'.repeat(32) }),
      ).rejects.toMatchObject({
        code: 'BACKUP_CORRUPT',
        details: expect.objectContaining({ reason: 'checksum-mismatch' }) as unknown,
      });
      expect((await readdir(parent)).sort()).toEqual(['server']);
    },
  );

  it.each(BACKUP_COMPRESSIONS)(
    'accepts the matching checksum, in any letter case (%s)',
    async (compression) => {
      const server = path.join(parent, 'server');
      await makeServerFolder(server);
      const chunks: Buffer[] = [];
      for await (const chunk of createArchive(server, { compression }).stream)
        chunks.push(Buffer.from(chunk));
      const bytes = Buffer.concat(chunks);
      const sha256 = createHash('sha256').update(bytes).digest('hex').toUpperCase();
      const result = await extractArchive(source(bytes), path.join(parent, 'restored'), {
        compression,
        expectedSha256: sha256,
      });
      expect(result.sizeBytes).toBe(bytes.length);
      expect(result.files).toBe(11);
    },
  );

  it.each(BACKUP_COMPRESSIONS)('refuses a truncated or damaged archive (%s)', async (compression) => {
    const server = path.join(parent, 'server');
    await makeServerFolder(server);
    const chunks: Buffer[] = [];
    for await (const chunk of createArchive(server, { compression }).stream) chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    const truncated = bytes.subarray(0, Math.floor(bytes.length * 0.6));
    await expect(
      extractArchive(source(truncated), path.join(parent, 'a'), { compression }),
    ).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
    });
    const damaged = Buffer.from(bytes);
    for (let i = 100; i < 1_000; i++) damaged[i] = damaged[i]! ^ 0x5a;
    await expect(
      extractArchive(source(damaged), path.join(parent, 'b'), { compression }),
    ).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
    });
    expect((await readdir(parent)).sort()).toEqual(['server']);
  });

  it('refuses to read archives with the wrong compression', async () => {
    const plain = await tarOf([{ name: 'a', body: 'x' }]);
    await expect(
      extractArchive(source(plain), path.join(parent, 'a'), { compression: 'gzip' }),
    ).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
    });
    await expect(
      extractArchive(source(plain), path.join(parent, 'b'), { compression: 'zstd' }),
    ).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
    });
    await expect(
      extractArchive(source(gzipSync(plain)), path.join(parent, 'c'), { compression: 'none' }),
    ).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
    expect(await readdir(parent)).toEqual([]);
  });

  it('refuses a zstd frame that would decode to more than the frame limit (decompression bomb)', async () => {
    // 40 MiB of zeros is one small frame of RLE blocks; decoding it whole is what the limit prevents.
    const bomb = new Encoder(3).encodeSync(Buffer.alloc(40 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100_000);
    await expect(
      extractArchive(source(bomb), path.join(parent, 'a'), { compression: 'zstd' }),
    ).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
    });
    expect(await readdir(parent)).toEqual([]);
  });

  it('passes a failing source through unchanged (not the archive’s fault) and cleans up', async () => {
    const archive = await tarOf([{ name: 'a', body: 'x'.repeat(100_000) }]);
    const failing = (async function* () {
      yield archive.subarray(0, 2_000);
      await new Promise((resolve) => setImmediate(resolve));
      throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' });
    })();
    await expect(
      extractArchive(failing, path.join(parent, 'a'), { compression: 'none' }),
    ).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    expect(await readdir(parent)).toEqual([]);
  });

  it('refuses to extract into an existing folder', async () => {
    await mkdir(path.join(parent, 'exists'));
    await writeFile(path.join(parent, 'exists', 'keep'), 'mine');
    const archive = await tarOf([{ name: 'keep', body: 'theirs' }]);
    await expect(
      extractArchive(source(archive), path.join(parent, 'exists'), { compression: 'none' }),
    ).rejects.toMatchObject({
      code: 'EEXIST',
    });
    expect(await readFile(path.join(parent, 'exists', 'keep'), 'utf8')).toBe('mine');
  });

  it.each(['gzip', 'zstd'] as const)('reads archives made by GNU tar (%s)', async (compression) => {
    if (compression === 'zstd' && spawnSync('zstd', ['--version']).status !== 0) return;
    const server = path.join(parent, 'server');
    await makeServerFolder(server);
    const file = path.join(
      work,
      `gnu-made-${compression}-${path.basename(path.dirname(path.dirname(parent)))}`,
    );
    spawnSync('tar', ['-c', compression === 'gzip' ? '-z' : '--zstd', '-f', file, '-C', server, '.'], {
      stdio: 'inherit',
    });
    const result = await extractArchive(source(await readFile(file), 65_536), path.join(parent, 'restored'), {
      compression,
    });
    expect(result.files).toBe(15);
    expect(await readlink(path.join(parent, 'restored', 'world/latest-region'))).toBe('region/r.0.0.mca');
    expect((await lstat(path.join(parent, 'restored', 'world/empty-dir'))).isDirectory()).toBe(true);
  });

  it('extracts from tiny chunks (1 byte) the same as from big ones, for every compression', async () => {
    const server = path.join(parent, 'server');
    await mkdir(path.join(server, 'world'), { recursive: true });
    await writeFile(path.join(server, 'world', 'level.dat'), 'level');
    for (const compression of BACKUP_COMPRESSIONS) {
      const chunks: Buffer[] = [];
      for await (const chunk of compressStream(
        compression,
        Readable.from([await tarOf([{ name: 'world/level.dat', body: 'level' }])]),
      )) {
        chunks.push(Buffer.from(chunk));
      }
      const target = path.join(parent, `tiny-${compression}`);
      await extractArchive(source(Buffer.concat(chunks), 1), target, { compression });
      expect(await readFile(path.join(target, 'world', 'level.dat'), 'utf8')).toBe('level');
    }
  });
});
