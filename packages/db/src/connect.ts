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
  // Nor a client that is checked out (a transaction between two statements, a lease being renewed):
  // the pool takes its own listener off while a client is lent, and node-postgres emits the socket's
  // error (ECONNRESET when the database restarts) on the client, which without a listener ends the
  // process. With this one the client's pending and next queries fail instead, and the pool drops
  // the client when it comes back (it is no longer queryable).
  pool.on('connect', (client) => client.on('error', () => {}));
  const db = drizzlePg(new BeginGuardPool(pool) as unknown as pg.Pool, { schema }) as unknown as DrizzleDb;
  return new Database({
    dialect: 'postgres',
    drizzle: db,
    url: options.url,
    close: () => pool.end(),
    stats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    simpleQuery: async (text) => {
      // Without parameters node-postgres uses the simple protocol: one message, one implicit transaction.
      const result = (await pool.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(result) ? result : [result]) as { rows: Record<string, unknown>[] }[];
    },
  });
}

/**
 * The pool as drizzle sees it. drizzle's `transaction()` checks a client out and sends BEGIN *before*
 * the try/finally that releases it, so a BEGIN that fails (the connection was reset just as the client
 * was handed out: a database restart) never gives the client back, and the pool is one connection
 * smaller for good (a chaos run found a replica at 4 of 5 after one reset). Here a client whose first
 * statement fails is handed back at once, destroyed, and drizzle's later release (if any) does nothing.
 * drizzle tells a pool from a client by the class name, hence the name.
 */
class BeginGuardPool {
  constructor(private readonly pool: pg.Pool) {}

  query(...args: unknown[]): unknown {
    return (this.pool.query as (...a: unknown[]) => unknown)(...args);
  }

  async connect(): Promise<GuardedClient> {
    return new GuardedClient(await this.pool.connect());
  }
}

class GuardedClient {
  private first = true;
  private released = false;

  constructor(private readonly client: pg.PoolClient) {}

  async query(...args: unknown[]): Promise<unknown> {
    const query = (...a: unknown[]) =>
      (this.client.query as (...b: unknown[]) => Promise<unknown>).apply(this.client, a);
    if (!this.first) return query(...args);
    this.first = false;
    try {
      return await query(...args);
    } catch (error) {
      this.release(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
  }

  release(error?: Error | boolean): void {
    if (this.released) return;
    this.released = true;
    this.client.release(error);
  }
}

export interface PgliteOptions {
  /** Folder of the database files; absent means in memory. */
  dataDir?: string;
  /** A dump made by `dumpDataDir()` to start from (tests start from a migrated snapshot). */
  loadDataDir?: Blob;
  /**
   * PostgreSQL's page cache inside the WebAssembly memory, in MiB (default 16). PostgreSQL's default of
   * 128 MiB is touched as the database is read and never given back: a reopened control plane sat
   * ~175 MiB higher with it (docs/benchmarks.md). The files stay in the operating system's cache.
   */
  sharedBuffersMb?: number;
}

/** The embedded database: real PostgreSQL compiled to WebAssembly, in this process. */
export async function connectPglite(
  options: PgliteOptions = {},
): Promise<{ database: Database; client: PGlite }> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const client = await PGlite.create({
    ...(options.dataDir ? { dataDir: path.resolve(options.dataDir) } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    postgresqlconf: [`shared_buffers=${options.sharedBuffersMb ?? 16}MB`],
  });
  const db = drizzlePglite(client, { schema }) as unknown as DrizzleDb;
  const database = new Database({
    dialect: 'pglite',
    drizzle: db,
    close: () => client.close(),
    simpleQuery: async (text) => await client.exec(text),
    snapshot: async () => {
      // A checkpoint first: the copy's pages are current and opening it replays little write-ahead log.
      await client.exec('CHECKPOINT');
      // Every query and transaction of PGlite holds this lock while it runs: inside it, none is open, and
      // requests wait (milliseconds for a small database) instead of landing half in the copy.
      return await client._runExclusiveTransaction(() => client.dumpDataDir('gzip'));
    },
    listen: (channel, onPayload) => client.listen(channel, onPayload),
  });
  return { database, client };
}
