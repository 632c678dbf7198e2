import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema.js';
import { Database, type DrizzleDb } from './database.js';

export interface PostgresOptions {
  url: string;
  /** Pool size (default 10). */
  maxConnections?: number;
}

/** A PostgreSQL (or CockroachDB) server through a connection pool. */
export function connectPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 5_000,
  });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = drizzlePg(pool, { schema }) as unknown as DrizzleDb;
  return new Database({
    dialect: 'postgres',
    drizzle: db,
    close: () => pool.end(),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    simpleQuery: async (text) => {
      // Without parameters node-postgres uses the simple protocol: one message, one implicit transaction.
      const result = (await pool.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(result) ? result : [result]) as { rows: Record<string, unknown>[] }[];
    },
  });
}

export interface PgliteOptions {
  /** Folder of the database files; absent means in memory. */
  dataDir?: string;
  /** A dump made by `dumpDataDir()` to start from (tests start from a migrated snapshot). */
  loadDataDir?: Blob;
}

/** The embedded database: real PostgreSQL compiled to WebAssembly, in this process. */
export async function connectPglite(
  options: PgliteOptions = {},
): Promise<{ database: Database; client: PGlite }> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const client = await PGlite.create({
    ...(options.dataDir ? { dataDir: path.resolve(options.dataDir) } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  const db = drizzlePglite(client, { schema }) as unknown as DrizzleDb;
  const database = new Database({
    dialect: 'pglite',
    drizzle: db,
    close: () => client.close(),
    simpleQuery: async (text) => await client.exec(text),
  });
  return { database, client };
}
