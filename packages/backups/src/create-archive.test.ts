import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKUP_COMPRESSIONS, type BackupCompression } from '@minefleet/domain/enums';
import { createArchive, type ArchiveProgress } from './create-archive.js';
import { extractArchive } from './extract-archive.js';
import { LocalBackupStore } from './local-store.js';
import { makeServerFolder, regionLike, snapshot } from './test-worlds.js';

const hasZstdCli = spawnSync('zstd', ['--version']).status === 0;
const TAR_FLAG: Record<BackupCompression, string[]> = { none: [], gzip: ['-z'], zstd: ['--zstd'] };

describe('createArchive', () => {
  let work: string;
  let server: string;
  let socketServer: Server;

  beforeAll(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'mf-create-'));
    server = path.join(work, 'server');
    await makeServerFolder(server);
    // Things no archive should carry: a socket, and a symlink leading out of the folder.
    // (kept listening: closing a Unix socket server removes its file)
    socketServer = createServer();
    await new Promise<void>((resolve) => socketServer.listen(path.join(server, 'control.sock'), resolve));
    await writeFile(path.join(work, 'secret.txt'), 'host secret');
    await symlink('../../secret.txt', path.join(server, 'world/escape'));
    await symlink('/etc/passwd', path.join(server, 'world/absolute'));
  });
  afterAll(async () => {
    await new Promise((resolve) => socketServer.close(resolve));
    await rm(work, { recursive: true, force: true });
  });

  async function archiveTo(
    compression: BackupCompression,
    file: string,
    onProgress?: (p: ArchiveProgress) => void,
  ) {
    const archive = createArchive(server, { compression, ...(onProgress ? { onProgress } : {}) });
    await pipeline(Readable.from(archive.stream), createWriteStream(file));
    return archive.summary;
  }

  /** The archive's bytes, each chunk copied as it comes (nothing handed back). */
  async function archiveBytes(folder: string, compression: BackupCompression): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of createArchive(folder, { compression, exclude: [] }).stream)
      chunks.push(Buffer.from(chunk));
    return Buffer.concat(chunks);
  }

  it.each(BACKUP_COMPRESSIONS)(
    'reports the sha256 and size of the bytes it produced (%s)',
    async (compression) => {
      const file = path.join(work, `sum.${compression}`);
      const summary = await archiveTo(compression, file);
      const bytes = await readFile(file);
      expect(summary.sizeBytes).toBe(bytes.length);
      expect(summary.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(summary.files).toBe(11);
      if (compression === 'none') expect(summary.uncompressedBytes).toBe(bytes.length);
      else expect(summary.sizeBytes).toBeLessThan(summary.uncompressedBytes);
    },
  );

  it.each(BACKUP_COMPRESSIONS)(
    'writes an archive GNU tar reads, without excluded paths (%s)',
    async (compression) => {
      if (compression === 'zstd' && !hasZstdCli) return; // GNU tar needs the zstd program for --zstd
      const file = path.join(work, `gnu.${compression}`);
      await archiveTo(compression, file);
      const listing = execFileSync('tar', ['-t', ...TAR_FLAG[compression], '-f', file], { encoding: 'utf8' })
        .trim()
        .split('\n');
      expect(listing).toContain('world/region/r.0.0.mca');
      expect(listing).toContain('plugins/Essentials.jar'); // plugin jars are kept, server jars are not
      expect(listing).toContain(`world/data/${'long-name-'.repeat(12)}.dat`);
      expect(listing).toContain('world/data/ünïcödé-☃.json');
      expect(listing).toContain('world/empty-dir/');
      for (const left of [
        'paper.jar',
        'logs/',
        'logs/latest.log',
        'cache/',
        'world/session.lock',
        'control.sock',
      ]) {
        expect(listing).not.toContain(left);
      }
      expect(listing.filter((entry) => entry.includes('escape') || entry.includes('absolute'))).toEqual([]);

      const out = path.join(work, `gnu-out-${compression}`);
      await mkdir(out);
      execFileSync('tar', ['-x', ...TAR_FLAG[compression], '-f', file, '-C', out]);
      const original = await snapshot(server);
      const extracted = await snapshot(out);
      for (const [entry, digest] of Object.entries(extracted)) expect(original[entry]).toBe(digest);
      expect(extracted['world/latest-region']).toBe('-> region/r.0.0.mca');
    },
  );

  it.each(BACKUP_COMPRESSIONS)('round-trips through extractArchive (%s)', async (compression) => {
    const archive = createArchive(server, { compression });
    const target = path.join(work, `round-${compression}`);
    const result = await extractArchive(archive.stream, target, { compression });
    const summary = await archive.summary;
    expect(result.sha256).toBe(summary.sha256);
    expect(result.files).toBe(summary.files);
    const original = await snapshot(server);
    const restored = await snapshot(target);
    const expected = Object.fromEntries(
      Object.entries(original).filter(
        ([p]) =>
          !/^(paper\.jar|logs|cache|control\.sock)(\/|$)/.test(p) &&
          p !== 'world/session.lock' &&
          p !== 'world/escape' &&
          p !== 'world/absolute',
      ),
    );
    expect(restored).toEqual(expected);
  });

  it('is deterministic: the same folder gives the same bytes', async () => {
    for (const compression of BACKUP_COMPRESSIONS) {
      const first = await archiveTo(compression, path.join(work, `det-a.${compression}`));
      const second = await archiveTo(compression, path.join(work, `det-b.${compression}`));
      expect(second.sha256).toBe(first.sha256);
    }
  });

  it('archives everything with exclude: [] and lists what it skipped', async () => {
    const archive = createArchive(server, { compression: 'none', exclude: [] });
    const target = path.join(work, 'no-excludes');
    await extractArchive(archive.stream, target, { compression: 'none' });
    const summary = await archive.summary;
    expect(summary.files).toBe(15);
    expect(await stat(path.join(target, 'paper.jar'))).toBeTruthy();
    expect(summary.skipped).toEqual(
      expect.arrayContaining([
        { path: 'control.sock', reason: 'excluded-type' },
        { path: 'world/escape', reason: 'symlink-outside' },
        { path: 'world/absolute', reason: 'symlink-outside' },
      ]),
    );
  });

  it('reports progress in bytes read, ending at the total of the files archived', async () => {
    const seen: ArchiveProgress[] = [];
    const summary = await archiveTo('gzip', path.join(work, 'progress.tgz'), (p) => seen.push(p));
    const reads = seen.map((p) => p.bytesRead);
    expect(reads).toEqual([...reads].sort((a, b) => a - b));
    // What GNU tar finds in the archive, as an independent count of the file bytes archived.
    const listing = execFileSync('tar', ['-tvzf', path.join(work, 'progress.tgz')], { encoding: 'utf8' });
    const total = listing
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('-'))
      .reduce((sum, line) => sum + Number(line.split(/\s+/)[2]), 0);
    expect(seen.at(-1)).toEqual({ bytesRead: total, files: summary.files });
  });

  it('rejects its summary when the consumer stops early, and stops reading', async () => {
    const archive = createArchive(server, { compression: 'gzip' });
    for await (const _chunk of archive.stream) break;
    await expect(archive.summary).rejects.toThrow(/closed before its end/);
  });

  it('does not follow a file swapped for a symlink while the backup runs (no host file in the archive)', async () => {
    const racy = path.join(work, 'racy');
    await mkdir(racy);
    await writeFile(path.join(racy, 'a-big.mca'), Buffer.alloc(32 * 1024 * 1024, 1));
    await writeFile(path.join(racy, 'b-small.dat'), 'innocent');
    const archive = createArchive(racy, { compression: 'none' });
    const chunks: Buffer[] = [];
    let swapped = false;
    for await (const chunk of archive.stream) {
      chunks.push(Buffer.from(chunk));
      if (!swapped) {
        // The folder is listed, the first file is being read: a server process swaps the second.
        swapped = true;
        await rm(path.join(racy, 'b-small.dat'));
        await symlink(path.join(work, 'secret.txt'), path.join(racy, 'b-small.dat'));
      }
    }
    const summary = await archive.summary;
    expect(Buffer.concat(chunks).includes('host secret')).toBe(false);
    expect(summary.skipped).toContainEqual({ path: 'b-small.dat', reason: 'symlink-outside' });
    expect(summary.files).toBe(1);
  });

  it.each(BACKUP_COMPRESSIONS)(
    'reads into the memory of chunks the store has written; what it stores restores whole (%s)',
    async (compression) => {
      // Files past the small-file size (read in pieces into the pool's buffers), odd sizes, small ones.
      const folder = path.join(work, `reused-${compression}`);
      await mkdir(path.join(folder, 'region'), { recursive: true });
      for (const [i, size] of [3 * 1024 * 1024, 1_234_567, 5 * 1024 * 1024 + 17].entries())
        await writeFile(path.join(folder, 'region', `r.${i}.mca`), regionLike(size, 40 + i));
      for (let i = 0; i < 30; i++) await writeFile(path.join(folder, `small-${i}.dat`), regionLike(9_000, i));
      const expected = await archiveBytes(folder, compression);

      const store = new LocalBackupStore(path.join(work, `store-${compression}`));
      const archive = createArchive(folder, { compression, exclude: [] });
      const memories = new Map<ArrayBufferLike, number>();
      const watched = (async function* () {
        for await (const chunk of archive.stream) {
          memories.set(chunk.buffer, (memories.get(chunk.buffer) ?? 0) + 1);
          yield chunk;
        }
      })();
      await store.put('reused', watched, { onWritten: (chunk) => archive.release(chunk) });
      const summary = await archive.summary;
      expect(summary.sha256).toBe(createHash('sha256').update(expected).digest('hex'));
      // Without compression the chunks stored are the read buffers: the same memory went out again.
      if (compression === 'none') expect(Math.max(...memories.values())).toBeGreaterThan(1);
      const target = path.join(work, `reused-restored-${compression}`);
      await extractArchive(await store.get('reused'), target, {
        compression,
        expectedSha256: summary.sha256,
      });
      expect(await snapshot(target)).toEqual(await snapshot(folder));
    },
  );

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    const archive = createArchive(server, { compression: 'zstd', signal: controller.signal });
    await expect(
      (async () => {
        for await (const _chunk of archive.stream) {
          // consume
        }
      })(),
    ).rejects.toThrow('cancelled');
    await expect(archive.summary).rejects.toThrow('cancelled');
  });
});
