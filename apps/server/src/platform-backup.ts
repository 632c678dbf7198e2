import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createArchive } from '@minefleet/backups/create-archive';
import { extractArchive, siblingPath } from '@minefleet/backups/extract-archive';
import {
  isEmptyFolder,
  loadPglite,
  postgresLevel,
  preparePostgresRestore,
  snapshotPglite,
  type SchemaLevel,
} from '@minefleet/db/platform-dump';
import { privatiseTree, secureDataFolder } from './data-folder.js';
import {
  FORMAT_VERSION,
  MANIFEST,
  PGDUMP_FILE,
  PGLITE_FILE,
  PLATFORM_BACKUP_FORMAT,
  PlatformBackupError,
  SECRET_FILES,
  codeSchemaLevel,
  pgliteFolder,
  requireLevel,
  run,
  serverVersion,
  sha256Of,
  type PlatformLocation,
  type PlatformManifest,
} from './platform-backup-format.js';

export {
  PLATFORM_BACKUP_FORMAT,
  PlatformBackupError,
  codeSchemaLevel,
  type PlatformBackupCode,
  type PlatformLocation,
  type PlatformManifest,
} from './platform-backup-format.js';

/**
 * Backup and restore of the control plane's own state (docs/operations.md, "Backing up the platform"):
 * the database (a PGlite snapshot or a `pg_dump --format=custom`) and the secrets generated into the data
 * folder, in one gzip tar with a manifest of checksums. Offline here (`minefleet admin backup` on the
 * machine: PGlite with the control plane stopped, since two processes must never open one PGlite folder);
 * online through the running control plane in platform-backup-online.ts.
 */

/** An open embedded database leaves postmaster.pid in its folder until it is closed. */
function assertPgliteClosed(folder: string, force: boolean): void {
  if (!force && existsSync(path.join(folder, 'postmaster.pid'))) {
    throw new PlatformBackupError(
      'PLATFORM_DATABASE_IN_USE',
      `${folder} is open (postmaster.pid): back it up online through the running control plane (minefleet admin backup --url <its URL>, as a platform administrator), or stop it first. If it is not running (it was killed), pass --force.`,
    );
  }
}

/** Writes the database's copy into `staging`: its file name there and the schema level it holds. */
export type DatabaseCapture = (staging: string) => Promise<{ file: string; level: SchemaLevel }>;

/** The offline capture: pg_dump for PostgreSQL, or a closed PGlite folder opened and snapshotted. */
function offlineCapture(location: PlatformLocation & { force?: boolean }): DatabaseCapture {
  return async (staging) => {
    if (location.databaseUrl) return capturePostgres(location.databaseUrl, staging);
    const folder = pgliteFolder(location.dataDir);
    if (!existsSync(path.join(folder, 'PG_VERSION'))) {
      throw new PlatformBackupError('PLATFORM_DATABASE_MISSING', `no embedded database in ${folder}.`);
    }
    assertPgliteClosed(folder, location.force === true);
    const level = requireLevel(await snapshotPglite(folder, path.join(staging, PGLITE_FILE)));
    return { file: PGLITE_FILE, level };
  };
}

/** `pg_dump` reads one transaction snapshot (repeatable read): consistent while the control plane writes. */
export async function capturePostgres(
  databaseUrl: string,
  staging: string,
): Promise<{ file: string; level: SchemaLevel }> {
  const level = requireLevel(await postgresLevel(databaseUrl));
  await run('pg_dump', [
    '--format=custom',
    '--no-owner',
    `--file=${path.join(staging, PGDUMP_FILE)}`,
    `--dbname=${databaseUrl}`,
  ]);
  return { file: PGDUMP_FILE, level };
}

/**
 * Fills the private folder `staging` with an archive's contents: the database (by `capture`), the
 * secrets found in the data folder, and the manifest of checksums. Online and offline backups share it.
 */
export async function stagePlatformBackup(options: {
  dataDir: string;
  staging: string;
  database: 'pglite' | 'postgres';
  capture: DatabaseCapture;
}): Promise<PlatformManifest> {
  const { staging } = options;
  const { file: databaseFile, level } = await options.capture(staging);
  const names = [databaseFile];
  for (const secret of SECRET_FILES) {
    const source = path.join(options.dataDir, secret);
    if (!existsSync(source)) continue;
    await writeFile(path.join(staging, secret), await readFile(source), { mode: 0o600 });
    names.push(secret);
  }
  const files = [];
  for (const name of names) files.push({ name, ...(await sha256Of(path.join(staging, name))) });
  const manifest: PlatformManifest = {
    format: PLATFORM_BACKUP_FORMAT,
    format_version: FORMAT_VERSION,
    minefleet_version: await serverVersion(),
    created_at: new Date().toISOString(),
    database: options.database,
    schema_migration: level.id,
    schema_tag: level.tag,
    files,
  };
  await writeFile(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

/** The archive of a staged folder: a gzip tar, as `admin restore` and `admin verify` read it. */
export function packPlatformBackup(staging: string): ReturnType<typeof createArchive> {
  return createArchive(staging, { compression: 'gzip', exclude: [] });
}

/** Writes the platform backup archive to `output` (created 0600; must not exist), offline. */
export async function createPlatformBackup(
  location: PlatformLocation & { output: string; force?: boolean },
): Promise<PlatformManifest> {
  await secureDataFolder(location.dataDir);
  const output = path.resolve(location.output);
  if (existsSync(output))
    throw new PlatformBackupError('PLATFORM_RESTORE_NOT_EMPTY', `${output} exists already.`);
  const staging = siblingPath(output, 'platform-backup');
  await mkdir(staging, { recursive: true, mode: 0o700 });
  try {
    const manifest = await stagePlatformBackup({
      dataDir: location.dataDir,
      staging,
      database: location.databaseUrl ? 'postgres' : 'pglite',
      capture: offlineCapture(location),
    });
    const archive = packPlatformBackup(staging);
    const partial = `${output}.partial`;
    try {
      await pipeline(archive.stream, createWriteStream(partial, { mode: 0o600, flags: 'wx' }));
      await archive.summary;
      await rename(partial, output);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return manifest;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Unpacks an archive into a private folder beside `near` and checks it: the manifest's shape, every
 * file's checksum, and a schema no newer than this release's. The caller removes the folder.
 */
async function openArchive(
  archive: string,
  near: string,
): Promise<{ folder: string; manifest: PlatformManifest }> {
  const folder = siblingPath(near, 'platform-restore');
  try {
    await extractArchive(createReadStream(archive), folder, {
      compression: 'gzip',
      limits: { maxBytes: 64 * 1024 ** 3, maxEntries: 16 },
    });
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    throw new PlatformBackupError(
      'PLATFORM_BACKUP_CORRUPT',
      `${archive} is not a readable platform backup: ${(error as Error).message}`,
    );
  }
  try {
    const manifest = await readManifest(folder);
    await verifyFiles(folder, manifest);
    const code = await codeSchemaLevel();
    if (manifest.schema_migration > code.id) {
      throw new PlatformBackupError(
        'PLATFORM_BACKUP_NEWER_SCHEMA',
        `the archive's schema (${manifest.schema_tag}) is newer than this release knows (${code.tag}): restore it with Minefleet ${manifest.minefleet_version} or later.`,
      );
    }
    return { folder, manifest };
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
}

async function readManifest(folder: string): Promise<PlatformManifest> {
  let manifest: PlatformManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(folder, MANIFEST), 'utf8')) as PlatformManifest;
  } catch (error) {
    throw new PlatformBackupError(
      'PLATFORM_BACKUP_CORRUPT',
      `the archive has no readable ${MANIFEST}: ${(error as Error).message}`,
    );
  }
  const allowed = new Set<string>([PGLITE_FILE, PGDUMP_FILE, ...SECRET_FILES]);
  const valid =
    manifest?.format === PLATFORM_BACKUP_FORMAT &&
    manifest.format_version === FORMAT_VERSION &&
    (manifest.database === 'pglite' || manifest.database === 'postgres') &&
    Number.isInteger(manifest.schema_migration) &&
    Array.isArray(manifest.files) &&
    manifest.files.every((f) => allowed.has(f.name) && /^[0-9a-f]{64}$/.test(f.sha256)) &&
    manifest.files.some((f) => f.name === (manifest.database === 'pglite' ? PGLITE_FILE : PGDUMP_FILE));
  if (!valid)
    throw new PlatformBackupError(
      'PLATFORM_BACKUP_CORRUPT',
      `${MANIFEST} is not a Minefleet platform backup manifest.`,
    );
  return manifest;
}

async function verifyFiles(folder: string, manifest: PlatformManifest): Promise<void> {
  const present = new Set(await readdir(folder));
  for (const file of manifest.files) {
    if (!present.has(file.name)) {
      throw new PlatformBackupError(
        'PLATFORM_BACKUP_CORRUPT',
        `${file.name} is listed in the manifest but missing.`,
      );
    }
    const actual = await sha256Of(path.join(folder, file.name));
    if (actual.sha256 !== file.sha256 || actual.bytes !== file.bytes) {
      throw new PlatformBackupError(
        'PLATFORM_BACKUP_CORRUPT',
        `${file.name} does not match its checksum in the manifest.`,
      );
    }
  }
}

/** Checks an archive without restoring it; its manifest when sound. */
export async function verifyPlatformBackup(archive: string): Promise<PlatformManifest> {
  const { folder, manifest } = await openArchive(path.resolve(archive), path.resolve(archive));
  await rm(folder, { recursive: true, force: true });
  return manifest;
}

/**
 * Restores an archive into an empty database (an absent or empty `<dataDir>/pglite`, or a PostgreSQL
 * database without tables) and writes the secrets into the data folder. Game server folders are left
 * alone: the next control plane adopts the processes still running.
 */
export async function restorePlatformBackup(
  location: PlatformLocation & { archive: string },
): Promise<PlatformManifest> {
  await secureDataFolder(location.dataDir);
  const { folder, manifest } = await openArchive(path.resolve(location.archive), location.dataDir);
  try {
    const wanted = location.databaseUrl ? 'postgres' : 'pglite';
    if (manifest.database !== wanted) {
      throw new PlatformBackupError(
        'PLATFORM_BACKUP_WRONG_DATABASE',
        `the archive holds a ${manifest.database} database and the target is ${wanted}; restore it into the same kind (docs/operations.md).`,
      );
    }
    await assertSecretsFit(folder, manifest, location.dataDir);
    if (location.databaseUrl) await restorePostgres(location.databaseUrl, path.join(folder, PGDUMP_FILE));
    else await restorePglite(location.dataDir, path.join(folder, PGLITE_FILE));
    for (const file of manifest.files) {
      if (!(SECRET_FILES as readonly string[]).includes(file.name)) continue;
      const target = path.join(location.dataDir, file.name);
      if (!existsSync(target))
        await writeFile(target, await readFile(path.join(folder, file.name)), { mode: 0o600, flag: 'wx' });
    }
    return manifest;
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

/** A secret already in the data folder must be the archive's: replacing it silently would end sessions. */
async function assertSecretsFit(folder: string, manifest: PlatformManifest, dataDir: string): Promise<void> {
  for (const file of manifest.files) {
    if (!(SECRET_FILES as readonly string[]).includes(file.name)) continue;
    const target = path.join(dataDir, file.name);
    if (!existsSync(target)) continue;
    const [mine, theirs] = await Promise.all([
      readFile(target, 'utf8'),
      readFile(path.join(folder, file.name), 'utf8'),
    ]);
    if (mine.trim() !== theirs.trim()) {
      throw new PlatformBackupError(
        'PLATFORM_RESTORE_NOT_EMPTY',
        `${target} holds a different secret than the archive; move it away to restore the archive's.`,
      );
    }
  }
}

async function restorePglite(dataDir: string, dump: string): Promise<void> {
  const folder = pgliteFolder(dataDir);
  if (!(await isEmptyFolder(folder))) {
    throw new PlatformBackupError(
      'PLATFORM_RESTORE_NOT_EMPTY',
      `${folder} is not empty: restore only into an empty database (move the folder away first).`,
    );
  }
  try {
    await loadPglite(folder, dump);
  } catch (error) {
    // The folder was empty: leave it so, and a retry is not refused as "not empty".
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  await privatiseTree(folder);
}

async function restorePostgres(url: string, dump: string): Promise<void> {
  if (!(await preparePostgresRestore(url))) {
    throw new PlatformBackupError(
      'PLATFORM_RESTORE_NOT_EMPTY',
      'the target database has tables: restore only into an empty database (createdb a new one).',
    );
  }
  await run('pg_restore', ['--no-owner', '--exit-on-error', '--single-transaction', `--dbname=${url}`, dump]);
}

/** Size of an archive, for the CLI's summary line. */
export async function archiveBytes(file: string): Promise<number> {
  return (await stat(file)).size;
}
