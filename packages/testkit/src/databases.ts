import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectPglite, connectPostgres } from '@minefleet/db/connect';
import { migrate, MIGRATIONS_DIR } from '@minefleet/db/migrate';
import type { Database } from '@minefleet/db/database';

export type Backend = 'pglite' | 'postgres';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CACHE_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'minefleet');

/**
 * The database backends the suite runs against: PGlite always, PostgreSQL when DATABASE_URL is set.
 * With MINEFLEET_REQUIRE_POSTGRES=1 (CI) a missing DATABASE_URL is an error, never a silent skip.
 */
export function testBackends(): Backend[] {
  if (process.env.MINEFLEET_REQUIRE_POSTGRES === '1' && !process.env.DATABASE_URL) {
    throw new Error(
      'MINEFLEET_REQUIRE_POSTGRES=1 but DATABASE_URL is not set: the suite must run on PostgreSQL too.',
    );
  }
  return process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
}

/** The backend end-to-end suites use: PostgreSQL where CI provides it, else PGlite. */
export function primaryBackend(): Backend {
  return testBackends().includes('postgres') ? 'postgres' : 'pglite';
}

export interface TestDatabase {
  backend: Backend;
  database: Database;
  /** For PostgreSQL, the URL of the fresh database (so a spawned control plane can use it). */
  url?: string;
  /** For PGlite, where its files are (only when made with `onDisk`). */
  dataDir?: string;
  close(): Promise<void>;
}

async function migrationsHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith('.sql')).sort();
  for (const f of files) hash.update(f).update(await readFile(path.join(MIGRATIONS_DIR, f)));
  hash.update(await readFile(path.join(MIGRATIONS_DIR, 'meta', '_journal.json')));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A migrated PGlite snapshot, made once per set of migrations and cached on disk: a fresh init takes
 * 6–8 s, loading a snapshot under 2 s.
 */
export async function pgliteSnapshot(): Promise<Blob> {
  const file = path.join(CACHE_DIR, `pglite-${await migrationsHash()}.tar.gz`);
  try {
    return new Blob([await readFile(file)]);
  } catch {
    const { database, client } = await connectPglite();
    await migrate(database);
    const dump = await client.dumpDataDir('gzip');
    await database.close();
    const bytes = Buffer.from(await dump.arrayBuffer());
    await mkdir(CACHE_DIR, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, bytes);
    await rename(tmp, file);
    return new Blob([bytes]);
  }
}

/** A fresh, migrated, empty database of the given backend. */
export async function createTestDatabase(
  backend: Backend,
  options: { onDiskDir?: string } = {},
): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const snapshot = await pgliteSnapshot();
    const { database } = await connectPglite({
      loadDataDir: snapshot,
      ...(options.onDiskDir ? { dataDir: options.onDiskDir } : {}),
    });
    return {
      backend,
      database,
      ...(options.onDiskDir ? { dataDir: options.onDiskDir } : {}),
      close: () => database.close(),
    };
  }
  const baseUrl = process.env.DATABASE_URL;
  if (!baseUrl) throw new Error('DATABASE_URL is required for the postgres backend.');
  const name = `mf_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(baseUrl, name);
  const database = connectPostgres({ url, maxConnections: 10 });
  await migrate(database);
  return {
    backend,
    database,
    url,
    async close() {
      await database.close();
      const drop = new pg.Client({ connectionString: baseUrl });
      await drop.connect();
      try {
        await drop.query(`drop database if exists ${name} with (force)`);
      } finally {
        await drop.end();
      }
    },
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
