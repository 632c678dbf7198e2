/**
 * npm run bench:live — the live platform under load, with real flying-squid servers.
 *
 * 1. Sampling cost: the control plane's own CPU while its metrics collector samples BENCH_SERVERS (50)
 *    running servers every 5 s, against the same control plane with the collector idle (interval 1 h),
 *    both over BENCH_CPU_SECONDS (60) with nothing else asked of it. Target: under 5% of one core.
 * 2. WebSocket fan-out: BENCH_CLIENTS (500) clients (in BENCH_CLIENT_THREADS worker threads), each
 *    subscribed to the status, metrics and console of BENCH_WATCHED (20) servers, the other servers
 *    stopped meanwhile; `say` commands at two rates (one server per second, every watched server per
 *    second); latency from the event's own time (the console line's stamp in the game process, the
 *    metrics sample's time) to its arrival at each client; p50/p99 over every delivery.
 *
 * The control plane is the built apps/server as its own process on the embedded database (in-process
 * event bus); with BENCH_NATS=1 and NATS_URL set, part 2 runs again over NATS JetStream.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { spawnControlPlane, type ControlPlaneProcess } from '@minefleet/testkit/control-plane-process';
import { LiveClient } from '@minefleet/testkit/live-client';
import { freePortRange } from '@minefleet/testkit/ports';

const SERVERS = Number(process.env.BENCH_SERVERS ?? 50);
const WATCHED = Math.min(SERVERS, Number(process.env.BENCH_WATCHED ?? 20));
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 500);
const CPU_SECONDS = Number(process.env.BENCH_CPU_SECONDS ?? 60);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const VERSION = '1.20.2';

const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** CPU seconds (user + system) a process has used so far. */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function loadAverage(): Promise<string> {
  return (await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ');
}

/** The control plane's CPU use over a window, as % of one core. */
async function measureCpu(
  cp: ControlPlaneProcess,
  seconds: number,
): Promise<{ percent: number; load: string }> {
  const pid = cp.proc.pid!;
  const before = await cpuSeconds(pid);
  const started = now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const used = (await cpuSeconds(pid)) - before;
  return { percent: (used / ((now() - started) / 1000)) * 100, load: await loadAverage() };
}

async function killGames(dataDir: string): Promise<void> {
  for (const id of await readdir(path.join(dataDir, 'servers')).catch(() => [] as string[])) {
    try {
      const file = path.join(dataDir, 'servers', id, '.minefleet', 'process.json');
      const { pid } = JSON.parse(await readFile(file, 'utf8')) as { pid: number };
      process.kill(-pid, 'SIGKILL');
    } catch {
      // not running
    }
  }
}

/**
 * The client worker is TypeScript: a worker thread does not inherit the `--import tsx` hooks, so it
 * starts from a data: module that registers tsx (by absolute URL) and then imports the worker file.
 */
const WORKER_BOOTSTRAP = new URL(
  `data:text/javascript,${encodeURIComponent(
    `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))};
     register();
     await import(${JSON.stringify(new URL('./live-clients.ts', import.meta.url).href)});`,
  )}`,
);

/** Client threads: the bench's own JSON parsing must not be what it measures. */
const CLIENT_THREADS = Number(process.env.BENCH_CLIENT_THREADS ?? 2);

interface Profile {
  label: string;
  /** Servers that get a `say` command each second (each prints two console lines: echo and output). */
  perSecond: number;
}

async function fanOut(
  cp: ControlPlaneProcess,
  token: string,
  watched: string[],
  profiles: Profile[],
  bus: string,
): Promise<Record<string, string | number>[]> {
  const workers = Array.from({ length: CLIENT_THREADS }, (_, i) => {
    const clients = Math.floor(CLIENTS / CLIENT_THREADS) + (i < CLIENTS % CLIENT_THREADS ? 1 : 0);
    return new Worker(WORKER_BOOTSTRAP, { workerData: { url: cp.url, token, clients, watched } });
  });
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((resolve, reject) => {
          w.once('message', () => resolve());
          w.once('error', reject);
        }),
    ),
  );
  const commander = await LiveClient.open(cp.url, token);
  const rows: Record<string, string | number>[] = [];
  for (const profile of profiles) {
    for (const w of workers) w.postMessage('start');
    const cpuBefore = await cpuSeconds(cp.proc.pid!);
    const started = now();
    for (let round = 0; round < ROUNDS; round++) {
      const tick = now();
      const targets = Array.from(
        { length: profile.perSecond },
        (_, i) => watched[(round * profile.perSecond + i) % watched.length]!,
      );
      await Promise.all(targets.map((id) => commander.command(id, `say bench ${round}`)));
      commander.messages.length = 0;
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (now() - tick))));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const seconds = (now() - started) / 1000;
    const cpu = (((await cpuSeconds(cp.proc.pid!)) - cpuBefore) / seconds) * 100;
    const answers = await Promise.all(
      workers.map(
        (w) =>
          new Promise<{ latencies: Float64Array; dropped: number }>((resolve) => {
            w.once('message', resolve);
            w.postMessage('stop');
          }),
      ),
    );
    const latencies = answers.flatMap((a) => [...a.latencies]).sort((a, b) => a - b);
    rows.push({
      bus,
      events: profile.label,
      clients: CLIENTS,
      'servers per client': watched.length,
      deliveries: latencies.length,
      'deliveries/s': Math.round(latencies.length / seconds),
      'p50 ms': Number(percentile(latencies, 50).toFixed(1)),
      'p99 ms': Number(percentile(latencies, 99).toFixed(1)),
      'max ms': Number((latencies[latencies.length - 1] ?? NaN).toFixed(1)),
      dropped: answers.reduce((n, a) => n + a.dropped, 0),
      'control-plane CPU %': Math.round(cpu),
      load: await loadAverage(),
    });
  }
  commander.socket.terminate();
  for (const w of workers) w.postMessage('close');
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
  return rows;
}

const PROFILES: Profile[] = [
  { label: '1 server/s (2 console events/s + metrics)', perSecond: 1 },
  { label: `all ${WATCHED} servers/s (${2 * WATCHED} console events/s + metrics)`, perSecond: WATCHED },
];

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-live-'));
  const ports = await freePortRange(10);
  const games = await freePortRange(SERVERS + 5);
  const run = randomBytes(3).toString('hex');
  const METRICS_TOKEN = `bench-live-metrics-${run}`;
  const env = (port: number, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    MINEFLEET_DATA_DIR: dataDir,
    MINEFLEET_JWT_SECRET: `bench-live-secret-${run}-0123456789abcdefghij`,
    MINEFLEET_PORT_RANGE: `${games.from}-${games.to}`,
    MINEFLEET_GAME_HOST: '127.0.0.1',
    MINEFLEET_GAME_BIND_HOST: '127.0.0.1',
    MINEFLEET_QUOTA_MAX_SERVERS: String(SERVERS + 5),
    MINEFLEET_QUOTA_MAX_MEMORY_MB: '100000000',
    MINEFLEET_LOGIN_RATE_LIMIT: '1000',
    MINEFLEET_METRICS_TOKEN: METRICS_TOKEN,
    ...extra,
  });
  const results: Record<string, unknown>[] = [];
  let cp: ControlPlaneProcess | undefined;
  try {
    cp = await spawnControlPlane(env(ports.from, { MINEFLEET_METRICS_INTERVAL_SECONDS: '5' }));
    const user = await cp.api.signup('bench');
    const ids: string[] = [];
    console.log(`starting ${SERVERS} flying-squid servers…`);
    for (let i = 0; i < SERVERS; i += 10) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(10, SERVERS - i) }, (_, j) =>
          cp!.api.post(
            '/servers',
            { name: `bench-${i + j}`, sku_id: 'starter', minecraft_version: VERSION, start: true },
            user.token,
          ),
        ),
      );
      for (const res of batch) {
        if (res.status !== 202) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
        ids.push(res.body.id as string);
      }
      for (const res of batch)
        await cp.api.waitForStatus(res.body.id as string, user.token, 'running', 180_000);
    }
    const gameRss = (
      await Promise.all(
        ids.map(async (id) => {
          const file = path.join(dataDir, 'servers', id, '.minefleet', 'process.json');
          return rssMb((JSON.parse(await readFile(file, 'utf8')) as { pid: number }).pid).catch(() => 0);
        }),
      )
    ).reduce((a, b) => a + b, 0);
    console.log(`${ids.length} running (${Math.round(gameRss)} MB of game processes)`);
    await cp.stop('SIGTERM');

    // Each measurement on a control plane that has just adopted the running servers (same state every
    // time: no start-up work of its own), collector on and off in turn, so drift shows as spread.
    let nextPort = ports.from + 1;
    const adopt = async (interval: string) => {
      cp = await spawnControlPlane(env(nextPort++, { MINEFLEET_METRICS_INTERVAL_SECONDS: interval }));
      await new Promise((r) => setTimeout(r, 20_000));
      const cpu = await measureCpu(cp, CPU_SECONDS);
      const metrics = (
        await cp.api.request('GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
      ).body as string;
      const round = Number(/^minefleet_metrics_round_seconds (\S+)/m.exec(metrics)?.[1] ?? NaN);
      return { ...cpu, round, rss: await rssMb(cp.proc.pid!) };
    };
    const table: Record<string, string | number>[] = [];
    const runs: { on: number[]; off: number[] } = { on: [], off: [] };
    const order = ['5', '3600', '5', '3600', '5'];
    for (const [i, interval] of order.entries()) {
      const m = await adopt(interval);
      (interval === '5' ? runs.on : runs.off).push(m.percent);
      table.push({
        case: `${ids.length} running servers, collector ${interval === '5' ? 'every 5 s' : 'idle'}`,
        'CPU % of one core': m.percent.toFixed(2),
        'last round ms': interval === '5' ? Math.round(m.round * 1000) : '-',
        'RSS MB': Math.round(m.rss),
        load: m.load,
      });
      // One control plane at a time (the embedded database is one process's); the last one stays for
      // the fan-out part.
      if (i < order.length - 1) await cp.stop('SIGTERM');
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    table.push({
      case: 'sampling cost (mean on − mean off)',
      'CPU % of one core': (mean(runs.on) - mean(runs.off)).toFixed(2),
      'last round ms': '-',
      'RSS MB': '-',
      load: '-',
    });
    console.table(table);

    // Fan-out on the last control plane (collector every 5 s). Only the watched servers keep running:
    // 50 ticking game servers would take the CPU the two cores have for it and the 500 clients.
    const token = (await cp.api.post('/auth/login', { email: user.email, password: user.password })).body
      .token as string;
    for (const id of ids.slice(WATCHED)) await cp.api.post(`/servers/${id}/stop`, {}, token);
    for (const id of ids.slice(WATCHED)) await cp.api.waitForStatus(id, token, 'stopped', 60_000);
    const fan = await fanOut(cp, token, ids.slice(0, WATCHED), PROFILES, 'in-process');
    console.table(fan);
    results.push(...fan);
    await cp.stop('SIGTERM');

    if (process.env.BENCH_NATS === '1' && process.env.NATS_URL) {
      const stream = `MFBENCH_${run}`;
      cp = await spawnControlPlane(
        env(nextPort++, {
          MINEFLEET_METRICS_INTERVAL_SECONDS: '5',
          NATS_URL: process.env.NATS_URL,
          NATS_STREAM: stream,
          NATS_SUBJECT_PREFIX: `mfbench_${run}`,
          NATS_STREAM_STORAGE: 'memory',
        }),
      );
      await new Promise((r) => setTimeout(r, 10_000));
      const login = await cp.api.post('/auth/login', { email: user.email, password: user.password });
      const natsToken = login.body.token as string;
      const nats = await fanOut(cp, natsToken, ids.slice(0, WATCHED), PROFILES, 'NATS JetStream');
      console.table(nats);
      results.push(...nats);
      await cp.stop('SIGTERM');
      const nc = await connect({ servers: process.env.NATS_URL });
      await (await jetstreamManager(nc)).streams.delete(stream).catch(() => undefined);
      await nc.close();
    }
    console.log(JSON.stringify({ sampling: table, fanOut: results }, null, 2));
  } finally {
    await cp?.stop('SIGKILL').catch(() => {});
    await killGames(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
