import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchive } from './create-archive.js';
import { restoreInto } from './restore-into.js';
import { makeServerFolder, snapshot } from './test-worlds.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'mf-restore-bounds-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

async function archiveOf(folder: string): Promise<Buffer> {
  const archive = createArchive(folder, { compression: 'zstd' });
  const chunks: Buffer[] = [];
  for await (const chunk of archive.stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function* bytes(buffer: Buffer): AsyncGenerator<Uint8Array> {
  yield buffer;
}

describe('restore bounds', () => {
  it('stops a decompression bomb at the size limit and keeps the current folder', async () => {
    const source = path.join(work, 'bomb-source');
    await makeServerFolder(source);
    // 64 MiB of zeros: a few kilobytes compressed.
    await writeFile(path.join(source, 'world', 'bomb.dat'), Buffer.alloc(64 * 1024 * 1024));
    const archive = await archiveOf(source);
    expect(archive.length).toBeLessThan(1024 * 1024);
    const server = path.join(work, 'bombed', 'srv');
    await makeServerFolder(server);
    const before = await snapshot(server);
    await expect(
      restoreInto(server, bytes(archive), {
        compression: 'zstd',
        limits: { maxBytes: 8 * 1024 * 1024, maxEntries: 10_000 },
      }),
    ).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', details: { reason: 'too-large' } });
    expect(await snapshot(server)).toEqual(before);
    expect(await readdir(path.dirname(server))).toEqual(['srv']);
  });

  it('stops an archive with more entries than allowed', async () => {
    const source = path.join(work, 'many-source');
    await makeServerFolder(source);
    await mkdir(path.join(source, 'many'));
    for (let i = 0; i < 300; i++) await writeFile(path.join(source, 'many', `f${i}`), '');
    const server = path.join(work, 'many', 'srv');
    await makeServerFolder(server);
    await expect(
      restoreInto(server, bytes(await archiveOf(source)), {
        compression: 'zstd',
        limits: { maxBytes: 1024 * 1024 * 1024, maxEntries: 100 },
      }),
    ).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', details: { reason: 'too-large' } });
  });

  it('keeps the folder private when it was (a restore never widens its mode)', async () => {
    const server = path.join(work, 'private', 'srv');
    await makeServerFolder(server);
    const archive = await archiveOf(server);
    await chmod(server, 0o700);
    await restoreInto(server, bytes(archive), { compression: 'zstd' });
    expect((await stat(server)).mode & 0o777).toBe(0o700);
  });
});
