import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { MIGRATIONS_DIR } from '@minefleet/db/migrate';
import type { SchemaLevel } from '@minefleet/db/platform-dump';

/**
 * What a platform backup archive is (docs/operations.md, "Backing up the platform"): its files, manifest
 * and refusal codes, shared by the offline backup and restore (platform-backup.ts) and the online backup
 * the running control plane streams (platform-backup-online.ts).
 */

export const PLATFORM_BACKUP_FORMAT = 'minefleet-platform-backup';
export const FORMAT_VERSION = 1;
/** Secrets the control plane generates into the data folder (config.ts) that tokens and links depend on. */
export const SECRET_FILES = ['jwt-secret', 'metrics-token'] as const;
export const PGLITE_FILE = 'pglite.tar.gz';
export const PGDUMP_FILE = 'database.pgdump';
export const MANIFEST = 'manifest.json';

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
export async function serverVersion(): Promise<string> {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export async function sha256Of(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

export function run(command: string, args: string[]): Promise<void> {
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

export function requireLevel(level: SchemaLevel | undefined): SchemaLevel {
  if (level) return level;
  throw new PlatformBackupError(
    'PLATFORM_DATABASE_MISSING',
    'the database holds no Minefleet schema to back up.',
  );
}

export function pgliteFolder(dataDir: string): string {
  return path.join(dataDir, 'pglite');
}
