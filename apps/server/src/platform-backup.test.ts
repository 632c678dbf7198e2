import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPglite } from '@minefleet/db/platform-dump';
import { pgliteSnapshot } from '@minefleet/testkit/databases';
import {
  createPlatformBackup,
  restorePlatformBackup,
  verifyPlatformBackup,
  type PlatformBackupCode,
} from './platform-backup.js';

/** The refusals of the platform backup on a real embedded database (the full drill: test/e2e/platform-dr.test.ts). */
describe('platform backup refusals', () => {
  let root: string;
  let dataDir: string;
  let archive: string;

  const refusal = async (work: Promise<unknown>): Promise<PlatformBackupCode> => {
    const error = await work.then(
      () => undefined,
      (e: unknown) => e as { code?: PlatformBackupCode },
    );
    if (!error?.code) throw new Error(`expected a refusal, got ${JSON.stringify(error)}`);
    return error.code;
  };

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'minefleet-platform-backup-'));
    dataDir = path.join(root, 'data');
    await mkdir(dataDir, { mode: 0o700 });
    const snapshot = path.join(root, 'snapshot.tar.gz');
    await writeFile(snapshot, Buffer.from(await (await pgliteSnapshot()).arrayBuffer()));
    await loadPglite(path.join(dataDir, 'pglite'), snapshot);
    await writeFile(path.join(dataDir, 'jwt-secret'), `${'s'.repeat(64)}\n`, { mode: 0o600 });
    archive = path.join(root, 'platform.tar.gz');
    const manifest = await createPlatformBackup({ dataDir, output: archive });
    expect(manifest.files.map((f) => f.name)).toEqual(['pglite.tar.gz', 'jwt-secret']);
  }, 120_000);

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('an empty data folder has nothing to back up', async () => {
    const empty = path.join(root, 'empty');
    expect(await refusal(createPlatformBackup({ dataDir: empty, output: path.join(root, 'x.tar.gz') }))).toBe(
      'PLATFORM_DATABASE_MISSING',
    );
    expect(existsSync(path.join(root, 'x.tar.gz'))).toBe(false);
  });

  it('an existing output is not overwritten', async () => {
    expect(await refusal(createPlatformBackup({ dataDir, output: archive }))).toBe(
      'PLATFORM_RESTORE_NOT_EMPTY',
    );
    expect((await verifyPlatformBackup(archive)).database).toBe('pglite');
  });

  it('a truncated archive is corrupt', async () => {
    const cut = path.join(root, 'cut.tar.gz');
    await writeFile(cut, await readFile(archive));
    await truncate(cut, 4096);
    expect(await refusal(verifyPlatformBackup(cut))).toBe('PLATFORM_BACKUP_CORRUPT');
  });

  it('a PGlite archive is not restored into PostgreSQL, nor over a different secret, nor over a database', async () => {
    const target = path.join(root, 'target');
    expect(
      await refusal(
        restorePlatformBackup({
          dataDir: target,
          databaseUrl: 'postgres://nobody@127.0.0.1:9/none',
          archive,
        }),
      ),
    ).toBe('PLATFORM_BACKUP_WRONG_DATABASE');
    await writeFile(path.join(target, 'jwt-secret'), `${'o'.repeat(64)}\n`, { mode: 0o600 });
    expect(await refusal(restorePlatformBackup({ dataDir: target, archive }))).toBe(
      'PLATFORM_RESTORE_NOT_EMPTY',
    );
    expect(existsSync(path.join(target, 'pglite'))).toBe(false);
    await rm(path.join(target, 'jwt-secret'));
    await restorePlatformBackup({ dataDir: target, archive });
    expect(await readFile(path.join(target, 'jwt-secret'), 'utf8')).toBe(`${'s'.repeat(64)}\n`);
    expect(await refusal(restorePlatformBackup({ dataDir: target, archive }))).toBe(
      'PLATFORM_RESTORE_NOT_EMPTY',
    );
    // What was restored is a database this release can back up again.
    const again = await createPlatformBackup({ dataDir: target, output: path.join(root, 'again.tar.gz') });
    expect(again.schema_migration).toBeGreaterThanOrEqual(0);
  }, 120_000);
});
