/**
 * npm run bench:fleet — the load test, for real: a storm of starts, then a large fleet at rest.
 *
 * The built control plane runs as its own process on the embedded database; game servers are real
 * flying-squid 1.20.2 processes (~100 MB each).
 *
 * Phase 1, the storm: BENCH_SERVERS (100) servers created with `start: true` at once (all requests in
 * flight together). Prints the create answers' p50/p99, the time until every one is `running` and
 * answers a server-list ping, the slowest server (create sent → its `started_at`), the control
 * plane's CPU (user + system from /proc over the storm) and peak RSS, and another tenant's
 * `GET /servers` latency, one request sent every 100 ms whatever the previous one does.
 *
 * Phase 2, a fleet at rest: BENCH_LIST_SERVERS (1,000) server records, BENCH_LIST_RUNNING (50) of them
 * running. `GET /servers?per_page=20` with 10 connections for 10 s (p50/p99, req/s); then the CPU of
 * one metrics sampling pass: the control plane restarted twice over the same folder (the game
 * processes are adopted), once with the collector idle and once sampling every 2 s, 30 s each; the
 * difference divided by the rounds.
 *
 * Memory: BENCH_SERVERS × ~100 MB of game processes (10 GB for 100); check `free -g` first. Every
 * process the bench started is ended on exit, also on Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import minecraftProtocol from 'minecraft-protocol';
import { freePortRange } from '@minefleet/testkit/ports';
import { endGameProcesses } from '@minefleet/testkit/processes';

const STORM = Number(process.env.BENCH_SERVERS ?? 100);
const LIST_SERVERS = Number(process.env.BENCH_LIST_SERVERS ?? 1000);
/** Extra Node arguments for the control plane only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`. */
const CONTROL_PLANE_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const LIST_RUNNING = Math.min(Number(process.env.BENCH_LIST_RUNNING ?? 50), STORM);
const VERSION = '1.20.2';
const METRICS_TOKEN = 'bench-fleet-metrics-token';

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number) =>
  sorted(xs)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function procStat(pid: number): Promise<{ cpuMs: number; rss: number }> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return {
      // utime + stime, in clock ticks of 10 ms.
      cpuMs: (Number(fields[11]) + Number(fields[12])) * 10,
      rss: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024,
    };
  } catch {
    return { cpuMs: 0, rss: 0 };
  }
}

async function ping(port: number): Promise<boolean> {
  try {
    await minecraftProtocol.ping({ host: '127.0.0.1', port, version: VERSION, closeTimeout: 1000 });
    return true;
  } catch {
    return false;
  }
}

/** Runs `fn` over `items`, `width` at a time. */
async function pool<T, R>(items: T[], width: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-fleet-'));
const httpPort = await freePort();
// Below the kernel's range for outgoing connections: a game port in that range can be taken by any
// client's connection before its server listens (a run failed so, EADDRINUSE).
const gamePorts = await freePortRange(STORM + 11);
const url = `http://127.0.0.1:${httpPort}/api/v1`;
let child: ChildProcess | undefined;

/** Starts the control plane and keeps it in `child` at once, so clean-up ends it even if it never answers. */
async function startControlPlane(extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const started = (child = spawn(process.execPath, [...CONTROL_PLANE_NODE_ARGS, 'apps/server/dist/main.js'], {
    env: {
      ...process.env,
      DATABASE_URL: '',
      PORT: String(httpPort),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      MINEFLEET_DATA_DIR: dataDir,
      MINEFLEET_METRICS_TOKEN: METRICS_TOKEN,
      MINEFLEET_PORT_RANGE: `${gamePorts.from}-${gamePorts.to}`,
      MINEFLEET_QUOTA_MAX_SERVERS: String(LIST_SERVERS + 10),
      MINEFLEET_QUOTA_MAX_MEMORY_MB: String((LIST_SERVERS + 10) * 1024),
      // The plans say 1 GB each; flying-squid uses ~100 MB: admission by plan memory would stop at ~23.
      MINEFLEET_HOST_MEMORY_PERCENT: '0',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  }));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return started;
    } catch {
      // starting
    }
    if (i > 3000 || started.exitCode !== null) throw new Error('control plane did not start');
    await sleep(100);
  }
}

async function stopControlPlane(): Promise<void> {
  const running = child;
  child = undefined;
  if (!running || running.exitCode !== null) return;
  running.kill('SIGTERM');
  await new Promise((r) => running.once('exit', r));
}

const timers = new Set<NodeJS.Timeout>();
let cleaned = false;
async function cleanUp(): Promise<void> {
  if (cleaned) return;
  cleaned = true;
  for (const timer of timers) clearInterval(timer);
  await stopControlPlane().catch(() => child?.kill('SIGKILL'));
  // Game servers outlive their control plane by design: end the bench's.
  await endGameProcesses(dataDir, 15_000);
  await rm(dataDir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void cleanUp().finally(() => process.exit(130));
  });
}

async function call(
  method: string,
  p: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${url}${p}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json();
  return { status: res.status, body: json, ms: performance.now() - t0 };
}

async function account(name: string): Promise<string> {
  const creds = { email: `${name}@example.com`, password: 'a long benchmark passphrase' };
  await call('POST', '/auth/signup', '', creds);
  const login = await call('POST', '/auth/login', '', creds);
  if (!login.body.token) throw new Error(`login failed: ${JSON.stringify(login.body)}`);
  return login.body.token as string;
}

interface Listed {
  id: string;
  name: string;
  status: string;
  status_reason: string | null;
  started_at: string | null;
  address: { port: number } | null;
}

async function listAll(token: string, query = ''): Promise<Listed[]> {
  const all: Listed[] = [];
  for (let page = 1; ; page++) {
    const res = await call('GET', `/servers?per_page=100&page=${page}${query}`, token);
    all.push(...(res.body.servers as Listed[]));
    if (all.length >= res.body.pagination.total || res.body.servers.length === 0) return all;
  }
}

async function count(token: string, status: string): Promise<number> {
  return (await call('GET', `/servers?per_page=1&status=${status}`, token)).body.pagination.total as number;
}

const lines: string[] = [];
const say = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

try {
  say(
    `Fleet benchmark: ${os.cpus().length} cores, ${mb(os.totalmem())} memory (${mb(os.freemem())} free), Node ${process.version}, flying-squid ${VERSION}`,
  );
  say(`Load average before: ${load()}`);
  const stormPid = (await startControlPlane()).pid!;
  const stormToken = await account('storm');
  const otherToken = await account('other');
  await call('POST', '/servers', otherToken, {
    name: 'other-one',
    sku_id: 'starter',
    minecraft_version: VERSION,
  });

  // Phase 1: the storm.
  const cpu0 = await procStat(stormPid);
  let peakRss = cpu0.rss;
  const rssTimer = setInterval(() => {
    void procStat(stormPid).then((s) => (peakRss = Math.max(peakRss, s.rss)));
  }, 200);
  timers.add(rssTimer);
  const otherLatencies: number[] = [];
  const otherPending = new Set<Promise<void>>();
  let otherErrors = 0;
  const otherTimer = setInterval(() => {
    const request = call('GET', '/servers', otherToken)
      .then((res) => {
        if (res.status !== 200) otherErrors++;
        otherLatencies.push(res.ms);
      })
      .catch(() => {
        otherErrors++;
      })
      .finally(() => otherPending.delete(request));
    otherPending.add(request);
  }, 100);
  timers.add(otherTimer);

  const t0 = performance.now();
  const wallStart = Date.now();
  const created = await Promise.all(
    Array.from({ length: STORM }, (_, i) =>
      call('POST', '/servers', stormToken, {
        name: `storm-${String(i).padStart(3, '0')}`,
        sku_id: 'starter',
        minecraft_version: VERSION,
        start: true,
      }),
    ),
  );
  const refused = created.filter((c) => c.status !== 202);
  if (refused.length > 0)
    throw new Error(`${refused.length} creates refused: ${JSON.stringify(refused[0]!.body)}`);
  const createMs = created.map((c) => c.ms);
  say(`Phase 1: ${STORM} servers created with start: true at once`);
  say(
    `  create answers: p50 ${ms(pct(createMs, 0.5))}, p99 ${ms(pct(createMs, 0.99))}, max ${ms(Math.max(...createMs))} (all 202 after ${ms(performance.now() - t0)})`,
  );

  let running = 0;
  for (;;) {
    running = await count(stormToken, 'running');
    const failed = await count(stormToken, 'failed');
    if (failed > 0) {
      const reasons = (await listAll(stormToken, '&status=failed')).map((s) => s.status_reason);
      throw new Error(`${failed} servers failed: ${[...new Set(reasons)].join('; ')}`);
    }
    if (running >= STORM) break;
    if (performance.now() - t0 > 600_000) throw new Error(`only ${running} of ${STORM} running after 600 s`);
    await sleep(250);
  }
  const runningMs = performance.now() - t0;
  const servers = await listAll(stormToken);
  const unanswered = new Set(servers.map((s) => s.id));
  while (unanswered.size > 0) {
    await pool(
      servers.filter((s) => unanswered.has(s.id)),
      10,
      async (s) => {
        if (s.address && (await ping(s.address.port))) unanswered.delete(s.id);
      },
    );
    if (performance.now() - t0 > 700_000) throw new Error(`${unanswered.size} servers never answered a ping`);
  }
  const pingedMs = performance.now() - t0;
  clearInterval(otherTimer);
  clearInterval(rssTimer);
  const cpu1 = await procStat(stormPid);
  await Promise.all([...otherPending]);
  const slowest = servers
    .map((s) => ({ name: s.name, ms: Date.parse(s.started_at!) - wallStart }))
    .sort((a, b) => b.ms - a.ms)[0]!;
  say(
    `  all running after ${(runningMs / 1000).toFixed(1)} s; all answered a ping after ${(pingedMs / 1000).toFixed(1)} s`,
  );
  say(`  slowest server: ${slowest.name}, running ${(slowest.ms / 1000).toFixed(1)} s after the storm began`);
  say(
    `  control plane during the storm: CPU ${(((cpu1.cpuMs - cpu0.cpuMs) / pingedMs) * 100).toFixed(0)}% of one core (${((cpu1.cpuMs - cpu0.cpuMs) / 1000).toFixed(1)} s CPU), peak RSS ${mb(peakRss)}`,
  );
  say(
    `  other tenant's GET /servers every 100 ms (${otherLatencies.length} answered, ${otherErrors} errors): p50 ${ms(pct(otherLatencies, 0.5))}, p99 ${ms(pct(otherLatencies, 0.99))}, max ${ms(Math.max(...otherLatencies))}`,
  );
  say(`  load average after the storm: ${load()}`);

  // Phase 2: a fleet at rest.
  const toKill = servers.slice(LIST_RUNNING);
  await pool(toKill, 10, (s) => call('POST', `/servers/${s.id}/kill`, stormToken));
  while ((await count(stormToken, 'running')) > LIST_RUNNING) await sleep(250);
  const more = Math.max(0, LIST_SERVERS - STORM - 1);
  await pool(
    Array.from({ length: more }, (_, i) => i),
    8,
    async (i) => {
      const res = await call('POST', '/servers', stormToken, {
        name: `rest-${String(i).padStart(4, '0')}`,
        sku_id: 'starter',
        minecraft_version: VERSION,
      });
      if (res.status !== 202) throw new Error(`create refused: ${JSON.stringify(res.body)}`);
    },
  );
  while ((await count(stormToken, 'deploying')) > 0) await sleep(250);
  const total = (await call('GET', '/servers?per_page=1', stormToken)).body.pagination.total as number;
  say(
    `Phase 2: ${total + 1} server records (${total} in one tenant), ${await count(stormToken, 'running')} running; load average ${load()}`,
  );
  await autocannon({
    url: `${url}/servers?per_page=20`,
    connections: 10,
    duration: 3,
    headers: { authorization: `Bearer ${stormToken}` },
  });
  const list = await autocannon({
    url: `${url}/servers?per_page=20`,
    connections: 10,
    duration: 10,
    headers: { authorization: `Bearer ${stormToken}` },
  });
  say(
    `  GET /servers?per_page=20, 10 connections, 10 s: ${Math.round(list.requests.average)} req/s, p50 ${list.latency.p50} ms, p99 ${list.latency.p99} ms, errors ${list.errors + list.non2xx}`,
  );

  // The metrics collector's cost: the same control plane with it idle, then sampling every 2 s.
  const cpuOver = async (seconds: number) => {
    await sleep(10_000); // adoption and the first reconcile settle
    const a = await procStat(child!.pid!);
    await sleep(seconds * 1000);
    const b = await procStat(child!.pid!);
    return b.cpuMs - a.cpuMs;
  };
  const WINDOW_S = 30;
  await stopControlPlane();
  await startControlPlane({ MINEFLEET_METRICS_INTERVAL_SECONDS: '3600' });
  const idleCpu = await cpuOver(WINDOW_S);
  await stopControlPlane();
  await startControlPlane({ MINEFLEET_METRICS_INTERVAL_SECONDS: '2' });
  const sampledCpu = await cpuOver(WINDOW_S);
  const metrics = await (
    await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    })
  ).text();
  const roundS = Number(/^minefleet_metrics_round_seconds (\S+)$/m.exec(metrics)?.[1] ?? NaN);
  const rounds = WINDOW_S / 2;
  say(
    `  metrics sampling (${LIST_RUNNING} running servers): control plane CPU over ${WINDOW_S} s idle ${(idleCpu / WINDOW_S / 10).toFixed(1)}% of one core, sampling every 2 s ${(sampledCpu / WINDOW_S / 10).toFixed(1)}% → ${((sampledCpu - idleCpu) / rounds).toFixed(0)} ms CPU per pass; last pass took ${(roundS * 1000).toFixed(0)} ms`,
  );
  say(`Load average at the end: ${load()}`);
} catch (error) {
  process.exitCode = 1;
  process.stderr.write(`bench:fleet failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  await cleanUp();
}
