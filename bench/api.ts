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
 * The reference, in the same run: a bare Node HTTP server (its own process) answering the list's exact
 * bytes, under the same load. Each row carries the 1-minute load average before it.
 * BENCH_MODE=idle instead measures the control plane's RSS after BENCH_IDLE_S (60) seconds idle with 22
 * stopped servers, signed in once and the list asked once, in BENCH_REPEAT (3) fresh processes.
 * Prints a table; figures go into docs/benchmarks.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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

const MODE = process.env.BENCH_MODE ?? 'load';
const SERVERS = MODE === 'idle' ? 22 : 1000;
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
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

async function startServer(
  env: NodeJS.ProcessEnv,
  script = 'apps/server/dist/main.js',
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_SERVER_NODE_ARGS && script.endsWith('main.js')
        ? process.env.BENCH_SERVER_NODE_ARGS.split(' ')
        : []),
      script,
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
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/v1/health`)).ok) return { child, url };
    } catch {
      // starting
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('control plane did not start');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

interface Result {
  load: number;
  cpuMsPerRequest: number | undefined;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** CPU time (user + system) a process has used, in milliseconds. */
async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line (11 and 12 after the command), in clock ticks.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/**
 * Load for DURATION_S; with `pid`, also the server's CPU milliseconds per answered request, which
 * depends far less than req/s on what else the machine runs.
 */
async function load(
  url: string,
  token: string | undefined,
  rate: number | undefined,
  pid?: number,
  backgroundMsPerS = 0,
): Promise<Result> {
  const cpuBefore = pid ? await cpuMsOf(pid) : 0;
  const startedAt = performance.now();
  // A fixed rate is paced per connection (20 connections × rate/20 per second): autocannon's overall
  // rate sends each second's requests in one burst, which measures its own bursts, not the server.
  const loadAverage = os.loadavg()[0]!;
  const result = await autocannon({
    url,
    connections: rate ? 20 : 16,
    pipelining: 1,
    duration: DURATION_S,
    ...(rate ? { connectionRate: rate / 20 } : {}),
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  // Less what the process spends with no request at all (its background loops), measured before.
  const background = (backgroundMsPerS * (performance.now() - startedAt)) / 1000;
  const cpuMs = pid ? Math.max(0, (await cpuMsOf(pid)) - cpuBefore - background) : 0;
  return {
    load: loadAverage,
    cpuMsPerRequest: pid && result.requests.total > 0 ? cpuMs / result.requests.total : undefined,
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** A fresh, seeded database for one backend; `drop` removes it. */
async function prepare(name: 'pglite' | 'postgres'): Promise<{
  dataDir: string;
  dbUrl: string | undefined;
  drop: () => Promise<void>;
}> {
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
  return {
    dataDir,
    dbUrl,
    drop: async () => {
      await dropDb?.();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function signIn(url: string): Promise<{ token: string; listBody: string }> {
  const login = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const { token } = (await login.json()) as { token: string };
  const list = await fetch(`${url}/api/v1/servers?per_page=20`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const listBody = await list.text();
  const body = JSON.parse(listBody) as { pagination: { total: number } };
  if (body.pagination.total !== SERVERS)
    throw new Error(`expected ${SERVERS} servers, got ${body.pagination.total}`);
  return { token, listBody };
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/**
 * The reference: a bare Node HTTP server in its own process answering every request with the list's
 * exact bytes — what HTTP alone costs on this machine at this moment.
 */
async function startReference(body: string): Promise<{ child: ChildProcess; url: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-ref-'));
  const script = path.join(dir, 'reference.mjs');
  await writeFile(
    script,
    `import http from 'node:http';
const body = Buffer.from(${JSON.stringify(body)});
http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
}).listen(Number(process.env.PORT), process.env.HOST);
`,
  );
  const started = await startServer({}, script);
  started.child.once('exit', () => void rm(dir, { recursive: true, force: true }));
  return started;
}

async function benchBackend(name: 'pglite' | 'postgres'): Promise<Record<string, Result>> {
  const db = await prepare(name);
  const { child, url } = await startServer({ MINEFLEET_DATA_DIR: db.dataDir, DATABASE_URL: db.dbUrl ?? '' });
  const pid = child.pid!;
  try {
    const { token, listBody } = await signIn(url);
    // Warm-up: JIT, connection pool, prepared plans.
    await load(`${url}/api/v1/servers?per_page=20`, token, undefined);
    // The control plane's own CPU with no request, per second, over 5 s: taken off each load's figure.
    const idleBefore = await cpuMsOf(pid);
    await new Promise((r) => setTimeout(r, 5000));
    const bg = ((await cpuMsOf(pid)) - idleBefore) / 5;
    const results: Record<string, Result> = {
      'GET /servers?per_page=20 @1000/s': await load(
        `${url}/api/v1/servers?per_page=20`,
        token,
        1000,
        pid,
        bg,
      ),
      'GET /health @1000/s': await load(`${url}/api/v1/health`, undefined, 1000, pid, bg),
      'GET /servers?per_page=20 max': await load(
        `${url}/api/v1/servers?per_page=20`,
        token,
        undefined,
        pid,
        bg,
      ),
      'GET /health max': await load(`${url}/api/v1/health`, undefined, undefined, pid, bg),
    };
    if (name === backends[0]) {
      // The reference runs once, with the first database measured, while the control plane sits idle:
      // same machine, same minute.
      const reference = await startReference(listBody);
      try {
        await load(reference.url, undefined, undefined);
        results['reference: bare node:http, same bytes, max'] = await load(
          reference.url,
          undefined,
          undefined,
          reference.child.pid,
        );
      } finally {
        await stop(reference.child);
      }
    }
    return results;
  } finally {
    await stop(child);
    await db.drop();
  }
}

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

/** RSS (MiB) of a fresh control plane after `IDLE_S` seconds idle (signed in once, list asked once). */
async function idleRss(name: 'pglite' | 'postgres'): Promise<{ load: number; rss: number }> {
  const db = await prepare(name);
  const { child, url } = await startServer({ MINEFLEET_DATA_DIR: db.dataDir, DATABASE_URL: db.dbUrl ?? '' });
  try {
    await signIn(url);
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    return { load: os.loadavg()[0]!, rss: await rssOf(child.pid!) };
  } finally {
    await stop(child);
    await db.drop();
  }
}

const available: ('pglite' | 'postgres')[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
// BENCH_BACKENDS=postgres (or pglite) measures one database only.
const backends = process.env.BENCH_BACKENDS
  ? available.filter((b) => process.env.BENCH_BACKENDS!.split(',').includes(b))
  : available;
if (backends.length === 0) throw new Error(`BENCH_BACKENDS names none of: ${available.join(', ')}`);
const header = `${os.cpus().length} cores, Node ${process.version}, load average before the run ${os
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' / ')}`;
if (MODE === 'idle') {
  const rows: string[] = [];
  for (const backend of backends) {
    const runs: { load: number; rss: number }[] = [];
    for (let i = 0; i < REPEAT; i++) runs.push(await idleRss(backend));
    const sorted = runs.map((r) => r.rss).sort((a, b) => a - b);
    rows.push(
      `| ${backend} | ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} | ${runs.map((r) => r.rss.toFixed(0)).join(', ')} | ${runs.map((r) => r.load.toFixed(1)).join(', ')} |`,
    );
  }
  process.stdout.write(
    `\nControl plane RSS after ${IDLE_S} s idle, ${SERVERS} stopped servers; ${header}\n\n` +
      '| backend | median MiB | runs MiB | load average at each reading |\n|---|---|---|---|\n' +
      rows.join('\n') +
      '\n',
  );
} else {
  const rows: string[] = [];
  for (const backend of backends) {
    const results = await benchBackend(backend);
    for (const [what, r] of Object.entries(results)) {
      rows.push(
        `| ${backend} | ${what} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors + r.non2xx} | ${r.cpuMsPerRequest?.toFixed(3) ?? '-'} | ${r.load.toFixed(1)} |`,
      );
    }
  }
  process.stdout.write(
    `\nAPI benchmark: ${SERVERS} servers in one tenant, ${DURATION_S} s per run; ${header}\n\n` +
      '| backend | request | req/s | p50 ms | p99 ms | errors | server CPU ms/request | load avg |\n|---|---|---|---|---|---|---|---|\n' +
      rows.join('\n') +
      '\n',
  );
}
