import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createArchive } from '@minefleet/backups/create-archive';
import { extractArchive, siblingPath } from '@minefleet/backups/extract-archive';
import { MIGRATIONS_DIR } from '@minefleet/db/migrate';
import {
  isEmptyFolder,
  loadPglite,
  postgresLevel,
  preparePostgresRestore,
  snapshotPglite,
  type SchemaLevel,
} from '@minefleet/db/platform-dump';
import { privatiseTree, secureDataFolder } from './data-folder.js';

/**
 * Backup and restore of the control plane's own state (docs/operations.md, "Backing up the platform"):
 * the database (a PGlite snapshot or a `pg_dump --format=custom`) and the secrets generated into the data
 * folder, in one gzip tar with a manifest of checksums. Taken offline for PGlite (the control plane
 * stopped: two processes must never open the same PGlite folder) and online for PostgreSQL.
 */

export const PLATFORM_BACKUP_FORMAT = 'minefleet-platform-backup';
const FORMAT_VERSION = 1;
/** Secrets the control plane generates into the data folder (config.ts) that tokens and links depend on. */
const SECRET_FILES = ['jwt-secret', 'metrics-token'] as const;
const PGLITE_FILE = 'pglite.tar.gz';
const PGDUMP_FILE = 'database.pgdump';
const MANIFEST = 'manifest.json';

export type PlatformBackupCode =
  | 'PLATFORM_BACKUP_CORRUPT'
  | 'PLATFORM_BACKUP_NEWER_SCHEMA'
  | 'PLATFORM_BACKUP_WRONG_DATABASE'
  | 'PLATFORM_RESTORE_NOT_EMPTY'
  | 'PLATFORM_DATABASE_IN_USE'
  | 'PLATFORM_DATABASE_MISSING'
  | 'PLATFORM_TOOL_FAILED';

/** A refused or failed platform backup or restore; `code` is stable (docs/operations.md). */
export class PlatformBackupError extends Error {
  constructor(
    readonly code: PlatformBackupCode,
    message: string,
  ) {
    super(message);
    this.name = 'PlatformBackupError';
  }
}

export interface PlatformManifest {
  format: typeof PLATFORM_BACKUP_FORMAT;
  format_version: number;
  minefleet_version: string;
  created_at: string;
  database: 'pglite' | 'postgres';
  /** Highest migration applied to the database when it was backed up (`minefleet_migrations.id`). */
  schema_migration: number;
  schema_tag: string;
  files: { name: string; bytes: number; sha256: string }[];
}

export interface PlatformLocation {
  dataDir: string;
  /** PostgreSQL URL; absent means the embedded database in `<dataDir>/pglite`. */
  databaseUrl?: string | undefined;
}

/** The newest migration this release knows (its journal), which bounds what it may restore. */
export async function codeSchemaLevel(): Promise<{ id: number; tag: string }> {
  const journal = JSON.parse(await readFile(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')) as {
    entries: { idx: number; tag: string }[];
  };
  const last = [...journal.entries].sort((a, b) => b.idx - a.idx)[0];
  return { id: last?.idx ?? -1, tag: last?.tag ?? '' };
}

/** The control plane's release (its package's version, read beside src/ and dist/). */
async function serverVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function sha256Of(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child.on('error', (error) =>
      reject(
        new PlatformBackupError(
          'PLATFORM_TOOL_FAILED',
          `${command} could not run (${error.message}); install the PostgreSQL client tools (the server's major version or newer).`,
        ),
      ),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new PlatformBackupError(
              'PLATFORM_TOOL_FAILED',
              `${command} failed (exit ${code}): ${stderr.trim()}`,
            ),
          ),
    );
  });
}

function requireLevel(level: SchemaLevel | undefined): SchemaLevel {
  if (level) return level;
  throw new PlatformBackupError(
    'PLATFORM_DATABASE_MISSING',
    'the database holds no Minefleet schema to back up.',
  );
}

function pgliteFolder(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}

/** An open embedded database leaves postmaster.pid in its folder until it is closed. */
function assertPgliteClosed(folder: string, force: boolean): void {
  if (!force && existsSync(path.join(folder, 'postmaster.pid'))) {
    throw new PlatformBackupError(
      'PLATFORM_DATABASE_IN_USE',
      `${folder} is open (postmaster.pid): stop the control plane first. If it is not running (it was killed), pass --force.`,
    );
  }
}

/** Writes the platform backup archive to `output` (created 0600; must not exist). */
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
    let level: SchemaLevel;
    let databaseFile: string;
    if (location.databaseUrl) {
      level = requireLevel(await postgresLevel(location.databaseUrl));
      databaseFile = PGDUMP_FILE;
      // One transaction snapshot (repeatable read): consistent while the control plane keeps writing.
      await run('pg_dump', [
        '--format=custom',
        '--no-owner',
        `--file=${path.join(staging, PGDUMP_FILE)}`,
        `--dbname=${location.databaseUrl}`,
      ]);
    } else {
      const folder = pgliteFolder(location.dataDir);
      if (!existsSync(path.join(folder, 'PG_VERSION'))) {
        throw new PlatformBackupError('PLATFORM_DATABASE_MISSING', `no embedded database in ${folder}.`);
      }
      assertPgliteClosed(folder, location.force === true);
      level = requireLevel(await snapshotPglite(folder, path.join(staging, PGLITE_FILE)));
      databaseFile = PGLITE_FILE;
    }
    const names = [databaseFile];
    for (const secret of SECRET_FILES) {
      const source = path.join(location.dataDir, secret);
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
      database: location.databaseUrl ? 'postgres' : 'pglite',
      schema_migration: level.id,
      schema_tag: level.tag,
      files,
    };
    await writeFile(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    const archive = createArchive(staging, { compression: 'gzip', exclude: [] });
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
