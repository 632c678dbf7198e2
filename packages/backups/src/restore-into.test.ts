import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createArchive } from './create-archive.js';
import { recoverInterruptedRestore, restoreInto } from './restore-into.js';
import { makeServerFolder, snapshot } from './test-worlds.js';

let work: string;
let parent: string;
let server: string;
/** The server folder's archive, as bytes, and its checksum: what a backup store would hold. */
let backup: { bytes: Buffer; sha256: string };

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'mf-restore-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(async () => {
  parent = await mkdtemp(path.join(work, 'servers-'));
  server = path.join(parent, 'srv');
  await makeServerFolder(server);
  const archive = createArchive(server, { compression: 'zstd' });
  const chunks: Buffer[] = [];
  for await (const chunk of archive.stream) chunks.push(Buffer.from(chunk));
  backup = { bytes: Buffer.concat(chunks), sha256: (await archive.summary).sha256 };
});

async function* bytes(buffer: Buffer): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < buffer.length; offset += 50_000) {
    await new Promise((resolve) => setImmediate(resolve));
    yield buffer.subarray(offset, offset + 50_000);
  }
}

/** The server after a backup: the world changed, a new region appeared, logs grew. */
async function playAfterBackup(): Promise<void> {
  await writeFile(path.join(server, 'world/level.dat'), 'changed level');
  await writeFile(path.join(server, 'world/region/r.5.5.mca'), 'new region');
  await writeFile(path.join(server, 'logs/latest.log'), 'today’s log');
}

describe('restoreInto', () => {
  it('puts the backed-up world back, drops what came later, keeps what backups exclude', async () => {
    const atBackup = await snapshot(server);
    await playAfterBackup();
    const result = await restoreInto(server, bytes(backup.bytes), {
      compression: 'zstd',
      expectedSha256: backup.sha256,
    });
    const restored = await snapshot(server);
    expect(restored['world/level.dat']).toBe(atBackup['world/level.dat']);
    expect(restored['world/region/r.5.5.mca']).toBeUndefined();
    // Excluded from backups, so carried over from the folder as it was: the jar, logs, the cache.
    expect(await readFile(path.join(server, 'logs/latest.log'), 'utf8')).toBe('today’s log');
    expect(restored['paper.jar']).toBe(atBackup['paper.jar']);
    expect(result.preserved).toEqual(['cache', 'logs', 'paper.jar', 'world/session.lock']);
    expect(await readdir(parent)).toEqual(['srv']);
  });

  it('with preserve: [] leaves exactly the archive', async () => {
    await restoreInto(server, bytes(backup.bytes), { compression: 'zstd', preserve: [] });
    await expect(stat(path.join(server, 'paper.jar'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(path.join(server, 'logs'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('creates the folder when it does not exist (restore into a new server)', async () => {
    const fresh = path.join(parent, 'new-server');
    await restoreInto(fresh, bytes(backup.bytes), { compression: 'zstd', expectedSha256: backup.sha256 });
    expect(await readFile(path.join(fresh, 'server.properties'), 'utf8')).toContain('max-players=20');
  });

  it('refuses a corrupted archive and leaves the current folder untouched', async () => {
    await playAfterBackup();
    const before = await snapshot(server);
    const corrupted = Buffer.from(backup.bytes);
    corrupted[corrupted.length - 10] = corrupted[corrupted.length - 10]! ^ 0xff;
    await expect(
      restoreInto(server, bytes(corrupted), { compression: 'zstd', expectedSha256: backup.sha256 }),
    ).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
    expect(await snapshot(server)).toEqual(before);
    expect(await readdir(parent)).toEqual(['srv']);
  });

  it('refuses an archive with a different checksum than recorded, leaving the folder untouched', async () => {
    await playAfterBackup();
    const before = await snapshot(server);
    await expect(
      restoreInto(server, bytes(backup.bytes), { compression: 'zstd', expectedSha256: '0'.repeat(64) }),
    ).rejects.toMatchObject({
      code: 'BACKUP_CORRUPT',
      details: expect.objectContaining({ reason: 'checksum-mismatch' }) as unknown,
    });
    expect(await snapshot(server)).toEqual(before);
    expect(await readdir(parent)).toEqual(['srv']);
  });

  it('leaves the folder untouched when the store fails midway', async () => {
    const before = await snapshot(server);
    const failing = (async function* () {
      yield* bytes(backup.bytes.subarray(0, 100_000));
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    })();
    await expect(restoreInto(server, failing, { compression: 'zstd' })).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    expect(await snapshot(server)).toEqual(before);
    expect(await readdir(parent)).toEqual(['srv']);
  });

  it('puts the old folder back when the process died between the two renames', async () => {
    const before = await snapshot(server);
    // The state a crash leaves after "rename old aside" and before "rename new in".
    execFileSync('mv', [server, path.join(parent, '.srv.mf-old-0123456789ab')]);
    await mkdir(path.join(parent, '.srv.mf-restore-ba9876543210'));
    const actions = await recoverInterruptedRestore(server);
    expect(actions).toEqual([
      'removed .srv.mf-restore-ba9876543210',
      'renamed .srv.mf-old-0123456789ab back',
    ]);
    expect(await snapshot(server)).toEqual(before);
    expect(await readdir(parent)).toEqual(['srv']);
  });

  it('removes an old folder left after a swap that completed', async () => {
    await mkdir(path.join(parent, '.srv.mf-old-0123456789ab'));
    expect(await recoverInterruptedRestore(server)).toEqual(['removed .srv.mf-old-0123456789ab']);
    expect(await readdir(parent)).toEqual(['srv']);
  });
});

/**
 * A failure at the swap itself: the server folder is a mount point, which cannot be renamed (EBUSY).
 * Needs mount rights (as on the dev machines and CI); reported as skipped elsewhere.
 */
const canMount = (() => {
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

describe.skipIf(!canMount)('restoreInto when the swap fails', () => {
  it('keeps the current folder in place and usable, and leaves no new folder behind', async () => {
    const mounted = path.join(parent, 'mounted');
    await mkdir(mounted);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mounted]);
    try {
      await makeServerFolder(mounted);
      await writeFile(path.join(mounted, 'world/level.dat'), 'current level');
      const before = await snapshot(mounted);
      await expect(restoreInto(mounted, bytes(backup.bytes), { compression: 'zstd' })).rejects.toMatchObject({
        code: 'EBUSY',
      });
      expect(await snapshot(mounted)).toEqual(before);
      expect((await readdir(parent)).sort()).toEqual(['mounted', 'srv']);
    } finally {
      execFileSync('umount', [mounted]);
    }
  });
});
