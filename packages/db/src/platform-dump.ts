import { existsSync, openAsBlob } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { APP_ROLE, type Database } from './database.js';

/**
 * The database side of the platform backup (apps/server/src/platform-backup.ts): reading the schema level,
 * snapshotting a closed PGlite folder, loading a snapshot into an empty one, and readying an empty
 * PostgreSQL database for pg_restore.
 */

export interface SchemaLevel {
  /** `minefleet_migrations.id` of the newest applied migration; undefined: not a Minefleet database. */
  id: number;
  tag: string;
}

async function levelOf(
  query: (sql: string) => Promise<Record<string, unknown>[]>,
): Promise<SchemaLevel | undefined> {
  try {
    const [row] = await query('select id, tag from minefleet_migrations order by id desc limit 1');
    return row ? { id: Number(row.id), tag: String(row.tag) } : undefined;
  } catch {
    return undefined;
  }
}

/** Opens a PGlite folder (which no other process may have open), writes its gzip snapshot to `file`. */
export async function snapshotPglite(folder: string, file: string): Promise<SchemaLevel | undefined> {
  const db = await PGlite.create({ dataDir: folder });
  try {
    const level = await levelOf(async (sql) => (await db.query<Record<string, unknown>>(sql)).rows);
    if (!level) return undefined;
    const dump = await db.dumpDataDir('gzip');
    await writeFile(file, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
    return level;
  } finally {
    await db.close();
  }
}

/**
 * The online counterpart of snapshotPglite: the running control plane's own open embedded database,
 * copied between transactions (Database.snapshot) while it keeps serving.
 */
export async function snapshotOpenPglite(database: Database, file: string): Promise<SchemaLevel | undefined> {
  const snapshot = database.snapshot;
  if (!snapshot) throw new Error('only the embedded database can be snapshotted in process');
  const level = await levelOf((text) => database.simpleRows(text));
  if (!level) return undefined;
  const dump = await snapshot();
  await writeFile(file, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
  return level;
}

/** Whether `folder` holds nothing (or does not exist). */
export async function isEmptyFolder(folder: string): Promise<boolean> {
  return !existsSync(folder) || (await readdir(folder)).length === 0;
}

/** Loads a snapshot made by snapshotPglite into an empty or absent folder. */
export async function loadPglite(folder: string, file: string): Promise<void> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const db = await PGlite.create({ dataDir: path.resolve(folder), loadDataDir: await openAsBlob(file) });
  await db.close();
}

/** The schema level of a PostgreSQL database. */
export async function postgresLevel(url: string): Promise<SchemaLevel | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await levelOf(async (sql) => (await client.query(sql)).rows as Record<string, unknown>[]);
  } finally {
    await client.end();
  }
}

/**
 * Whether a PostgreSQL database has no tables; when it has none, makes the application role (roles are
 * cluster-wide, outside any dump, and the restored policies and grants name it).
 */
export async function preparePostgresRestore(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(
      `select count(*) as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')`,
    );
    if (Number(rows[0]?.n) > 0) return false;
    const role = await client.query(`select 1 from pg_roles where rolname = $1`, [APP_ROLE]);
    if (role.rowCount === 0) await client.query(`create role ${APP_ROLE} nologin nosuperuser nobypassrls`);
    return true;
  } finally {
    await client.end();
  }
}
