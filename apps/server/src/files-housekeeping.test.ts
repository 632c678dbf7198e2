import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { folderBytes } from '@minefleet/runtime-local/disk-usage';
import { LocalServerFiles } from '@minefleet/runtime-local/local-server-files';
import { FileTrash, TRASH_RETENTION_MS } from '@minefleet/services/files/file-trash';
import { FileUploads, UPLOAD_TTL_MS } from '@minefleet/services/files/file-uploads';
import { FilesHousekeeping, LEFTOVER_MIN_AGE_MS } from '@minefleet/services/files/files-housekeeping';

/**
 * The files API's upkeep over real server folders on disk (the local adapter), with an injected clock:
 * expired trash items are purged by the periodic job, fresh ones stay; what interrupted saves,
 * extractions and uploads left in `.minefleet/files` is swept, what is still in use stays.
 */
describe('files housekeeping', () => {
  let root: string;
  let clock: number;
  const now = () => clock;
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';
  let files: LocalServerFiles;
  let housekeeping: FilesHousekeeping;
  const folder = (id: string) => path.join(root, id);
  const state = (id: string, ...rel: string[]) => path.join(folder(id), '.minefleet', 'files', ...rel);

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'minefleet-housekeeping-'));
    await mkdir(folder(A));
    await mkdir(folder(B));
    clock = Date.parse('2026-12-01T00:00:00Z');
    files = new LocalServerFiles(folder);
    housekeeping = new FilesHousekeeping({ files, serverIds: async () => [A, B], now });
  });
  afterEach(async () => {
    await housekeeping.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('purges trash items older than 7 days on its interval and keeps younger ones', async () => {
    const trash = new FileTrash(files, now);
    await writeFile(path.join(folder(A), 'old-world.dat'), 'old');
    await writeFile(path.join(folder(B), 'recent.txt'), 'recent');
    const old = await trash.put(A, 'old-world.dat', 'u');
    clock += 3 * 24 * 3600_000;
    const recent = await trash.put(B, 'recent.txt', 'u');

    // Day 3: nothing has expired.
    expect(await housekeeping.purgeExpiredTrash()).toEqual({});
    expect(existsSync(state(A, 'trash', old.id))).toBe(true);

    // Just past the old item's 7 days: the job removes it, on its timer, without anyone listing the trash.
    clock = Date.parse(old.deletedAt) + TRASH_RETENTION_MS + 1;
    housekeeping.start(20);
    await vi.waitFor(() => expect(existsSync(state(A, 'trash', old.id))).toBe(false), { timeout: 5000 });
    expect(existsSync(state(B, 'trash', recent.id, 'entry'))).toBe(true);
    expect((await trash.list(B)).map((i) => i.path)).toEqual(['recent.txt']);

    clock = Date.parse(recent.expiresAt);
    expect(await housekeeping.purgeExpiredTrash()).toEqual({ [B]: 1 });
    expect(existsSync(state(B, 'trash', recent.id))).toBe(false);
  });

  it('sweeps leftovers of interrupted saves, extractions and uploads, and keeps work in progress', async () => {
    const uploads = new FileUploads(files, now);
    const quota = 1024 ** 3;
    const storage = { storageUsed: (id: string) => folderBytes(folder(id)) };
    // Work files are judged by their mtime on disk: this test's clock runs with the real one here.
    // (Creating an upload drops the expired ones, so the expired one is made last.)
    clock = Date.now() - 3600_000;
    const open = await uploads.create(A, 'other.zip', 100, false, 'u', quota, storage);
    clock = Date.now() - UPLOAD_TTL_MS - 3600_000;
    const expired = await uploads.create(A, 'big.zip', 100, false, 'u', quota, storage);
    clock = Date.now();

    const old = new Date(clock - LEFTOVER_MIN_AGE_MS - 60_000);
    const write = async (p: string, stale: boolean) => {
      await mkdir(path.dirname(p), { recursive: true });
      await writeFile(p, 'x');
      if (stale) await utimes(p, old, old);
    };
    // A save killed before its rename, and one being written right now.
    await write(state(A, 'tmp', 'dead.tmp'), true);
    await write(state(A, 'tmp', 'live.tmp'), false);
    // An extraction killed mid-way: its staging folder.
    await write(state(B, 'extract', 'a5f0', 'world', 'level.dat'), false);
    await utimes(state(B, 'extract', 'a5f0'), old, old);
    // An upload's partial file whose record was never written.
    await write(state(B, 'uploads', '33333333-3333-4333-8333-333333333333.part'), true);

    const removed = await housekeeping.sweepLeftovers();
    expect(removed[A]?.sort()).toEqual(
      [
        '.minefleet/files/tmp/dead.tmp',
        `.minefleet/files/uploads/${expired.id}.json`,
        `.minefleet/files/uploads/${expired.id}.part`,
      ].sort(),
    );
    expect(removed[B]?.sort()).toEqual(
      [
        '.minefleet/files/extract/a5f0',
        '.minefleet/files/uploads/33333333-3333-4333-8333-333333333333.part',
      ].sort(),
    );
    expect(existsSync(state(A, 'tmp', 'dead.tmp'))).toBe(false);
    expect(existsSync(state(A, 'tmp', 'live.tmp'))).toBe(true);
    expect(existsSync(state(B, 'extract', 'a5f0'))).toBe(false);
    expect(existsSync(state(A, 'uploads', `${expired.id}.part`))).toBe(false);
    expect(existsSync(state(A, 'uploads', `${open.id}.part`))).toBe(true);
    expect((await uploads.state(A, open.id)).path).toBe('other.zip');

    // A second pass finds nothing more.
    expect(await housekeeping.sweepLeftovers()).toEqual({});
  });
});
