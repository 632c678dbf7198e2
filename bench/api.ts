/**
 * npm run bench:api — API latency and throughput on PGlite and on PostgreSQL.
 *
 * For each backend: seeds 1,000 servers in one tenant, starts the built control plane as its own
 * process (so the load generator does not share its event loop), then measures with autocannon:
 *   1. a fixed rate of 1,000 requests/s (the target: p99 < 20 ms) for GET /api/v1/servers?per_page=20
 *      and GET /api/v1/health;
 *   2. the highest rate it sustains (as many requests as 16 connections can push).
 * PostgreSQL is used when DATABASE_URL is set (a fresh database is created and dropped).
 * BENCH_SERVER_NODE_ARGS passes Node flags to the control plane (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 * Prints a table; figures go into docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { connectPglite, connectPostgres } from '@minefleet/db/connect';
import type { Database } from '@minefleet/db/database';
import { migrate } from '@minefleet/db/migrate';
import { memberships, servers, tenants, users } from '@minefleet/db/schema';
import { hashPassword } from '@minefleet/services/passwords';
import { seedSkus } from '@minefleet/services/skus';

const SERVERS = 1000;
const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const EMAIL = 'bench@example.com';
const PASSWORD = 'a long benchmark passphrase';

async function seed(db: Database): Promise<void> {
  await migrate(db);
  await seedSkus(db);
  const passwordHash = await hashPassword(PASSWORD);
  await db.system(async (tx) => {
    const [tenant] = await tx
      .insert(tenants)
      .values({ name: 'Bench', maxServers: SERVERS * 2, maxMemoryMb: SERVERS * 2048 })
      .returning();
    const [user] = await tx
      .insert(users)
      .values({ email: EMAIL, passwordHash, displayName: 'Bench' })
      .returning();
    await tx.insert(memberships).values({ tenantId: tenant!.id, userId: user!.id, role: 'owner' });
    for (let i = 0; i < SERVERS; i += 250) {
      await tx.insert(servers).values(
        Array.from({ length: Math.min(250, SERVERS - i) }, (_, j) => ({
          tenantId: tenant!.id,
          name: `bench-${String(i + j).padStart(4, '0')}`,
          skuId: 'starter',
          distribution: 'flying-squid' as const,
          minecraftVersion: '1.20.2',
          status: 'stopped' as const,
          cpuMillicores: 1000,
          memoryMb: 1024,
          storageMb: 5120,
          maxPlayers: 10,
          serverProperties: { motd: `Server ${i + j}`, difficulty: 'easy' },
        })),
      );
    }
  });
}

async function freePort(): Promise<number> {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVER_NODE_ARGS ? process.env.BENCH_SERVER_NODE_ARGS.split(' ') : []),
      'apps/server/dist/main.js',
    ],
    {
      env: {
        ...process.env,
        ...env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        MINEFLEET_LOGIN_RATE_LIMIT: '1000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) return { child, url };
    } catch {
      // starting
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('control plane did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string, token: string | undefined, rate: number | undefined): Promise<Result> {
  // A fixed rate is paced per connection (20 connections × rate/20 per second): autocannon's overall
  // rate sends each second's requests in one burst, which measures its own bursts, not the server.
  const result = await autocannon({
    url,
    connections: rate ? 20 : 16,
    pipelining: 1,
    duration: DURATION_S,
    ...(rate ? { connectionRate: rate / 20 } : {}),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

async function benchBackend(name: 'pglite' | 'postgres'): Promise<Record<string, Result>> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-'));
  let dbUrl: string | undefined;
  let dropDb: (() => Promise<void>) | undefined;
  if (name === 'pglite') {
    const { database } = await connectPglite({ dataDir: path.join(dataDir, 'pglite') });
    await seed(database);
    await database.close();
  } else {
    const base = process.env.DATABASE_URL!;
    const dbName = `mf_bench_${Date.now()}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`create database ${dbName}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${dbName}`;
    dbUrl = u.toString();
    const database = connectPostgres({ url: dbUrl });
    await seed(database);
    await database.close();
    dropDb = async () => {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`drop database if exists ${dbName} with (force)`);
      await c.end();
    };
  }
  const { child, url } = await startServer({ MINEFLEET_DATA_DIR: dataDir, DATABASE_URL: dbUrl ?? '' });
  try {
    const login = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
    });
    const { token } = (await login.json()) as { token: string };
    const list = await fetch(`${url}/api/v1/servers?per_page=20`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await list.json()) as { pagination: { total: number } };
    if (body.pagination.total !== SERVERS)
      throw new Error(`expected ${SERVERS} servers, got ${body.pagination.total}`);
    // Warm-up: JIT, connection pool, prepared plans.
    await load(`${url}/api/v1/servers?per_page=20`, token, undefined);
    return {
      'GET /servers?per_page=20 @1000/s': await load(`${url}/api/v1/servers?per_page=20`, token, 1000),
      'GET /health @1000/s': await load(`${url}/api/v1/health`, undefined, 1000),
      'GET /servers?per_page=20 max': await load(`${url}/api/v1/servers?per_page=20`, token, undefined),
      'GET /health max': await load(`${url}/api/v1/health`, undefined, undefined),
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await dropDb?.();
    await rm(dataDir, { recursive: true, force: true });
  }
}

const backends: ('pglite' | 'postgres')[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
const rows: string[] = [];
for (const backend of backends) {
  const results = await benchBackend(backend);
  for (const [what, r] of Object.entries(results)) {
    rows.push(`| ${backend} | ${what} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} |`);
  }
}
process.stdout.write(
  `\nAPI benchmark: ${SERVERS} servers in one tenant, ${DURATION_S} s per run, ${os.cpus().length} cores, Node ${process.version}\n\n` +
    '| backend | request | req/s | p50 ms | p99 ms | errors |\n|---|---|---|---|---|---|\n' +
    rows.join('\n') +
    '\n',
);
