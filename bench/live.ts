/**
 * npm run bench:live — the live platform under load, with real flying-squid servers.
 *
 * 1. Sampling cost: the control plane's own CPU while its metrics collector samples BENCH_SERVERS (50)
 *    running servers every 5 s, against the same control plane with the collector idle (interval 1 h),
 *    both over BENCH_CPU_SECONDS (60) with nothing else asked of it. Target: under 5% of one core.
 * 2. WebSocket fan-out: BENCH_CLIENTS (500) clients, each subscribed to the status, metrics and console
 *    of BENCH_WATCHED (20) servers; a `say` command per watched server per second; latency from the
 *    event's time (the console line's stamp in the game process, or the metrics sample's time) to its
 *    arrival at each client. p50/p99 over every delivery.
 *
 * The control plane is the built apps/server as its own process on the embedded database (in-process
 * event bus); with BENCH_NATS=1 and NATS_URL set, part 2 runs again over NATS JetStream.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
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

async function fanOut(
  cp: ControlPlaneProcess,
  token: string,
  watched: string[],
  label: string,
): Promise<Record<string, string | number>> {
  const latencies: number[] = [];
  const clients: LiveClient[] = [];
  for (let i = 0; i < CLIENTS; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, CLIENTS - i) }, () => LiveClient.open(cp.url, token)),
    );
    clients.push(...batch);
  }
  let measuring = false;
  let dropped = 0;
  for (const client of clients) {
    client.onMessage((m) => {
      if (m.type === 'dropped') dropped += m.data.count as number;
      if (!measuring || (m.type !== 'console' && m.type !== 'metrics' && m.type !== 'status')) return;
      latencies.push(m.receivedAt - Date.parse(m.ts));
    });
  }
  await Promise.all(
    clients.map(async (client) => {
      for (const id of watched) await client.subscribe(id, ['status', 'metrics', 'console']);
      // Keep memory flat: this bench counts, it does not keep every message.
      client.messages.length = 0;
    }),
  );
  const cpuBefore = await cpuSeconds(cp.proc.pid!);
  const started = now();
  measuring = true;
  const commander = clients[0]!;
  for (let round = 0; round < ROUNDS; round++) {
    const tick = now();
    await Promise.all(watched.map((id) => commander.command(id, `say bench ${round}`)));
    commander.messages.length = 0;
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (now() - tick))));
  }
  await new Promise((r) => setTimeout(r, 2000));
  measuring = false;
  const cpu = (((await cpuSeconds(cp.proc.pid!)) - cpuBefore) / ((now() - started) / 1000)) * 100;
  for (const client of clients) client.socket.terminate();
  latencies.sort((a, b) => a - b);
  return {
    case: label,
    clients: CLIENTS,
    'servers watched per client': watched.length,
    deliveries: latencies.length,
    'deliveries/s': Math.round(latencies.length / ((now() - started) / 1000)),
    'p50 ms': percentile(latencies, 50),
    'p99 ms': percentile(latencies, 99),
    'max ms': latencies[latencies.length - 1] ?? NaN,
    dropped,
    'control-plane CPU %': Math.round(cpu),
    load: await loadAverage(),
  };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-live-'));
  const ports = await freePortRange(3);
  const games = await freePortRange(SERVERS + 5);
  const run = randomBytes(3).toString('hex');
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
    console.log(`${ids.length} running (${Math.round(gameRss)} MB of game processes); settling 15 s`);
    await new Promise((r) => setTimeout(r, 15_000));

    const sampling = await measureCpu(cp, CPU_SECONDS);
    const metrics = (await cp.api.request('GET', '/metrics')).body as string;
    const round = Number(/^minefleet_metrics_round_seconds (\S+)/m.exec(metrics)?.[1] ?? NaN);
    const token = user.token;
    const fan = await fanOut(cp, token, ids.slice(0, WATCHED), 'in-process bus');
    console.table([fan]);
    results.push(fan);
    await cp.stop('SIGTERM');

    // The same servers (adopted by a new control plane), collector idle: the baseline.
    cp = await spawnControlPlane(env(ports.from + 1, { MINEFLEET_METRICS_INTERVAL_SECONDS: '3600' }));
    await new Promise((r) => setTimeout(r, 15_000));
    const idle = await measureCpu(cp, CPU_SECONDS);
    const idleRss = await rssMb(cp.proc.pid!);
    await cp.stop('SIGTERM');
    const table = [
      {
        case: `${ids.length} running servers, collector every 5 s`,
        'CPU % of one core': sampling.percent.toFixed(2),
        'last round ms': Math.round(round * 1000),
        load: sampling.load,
      },
      {
        case: `${ids.length} running servers, collector idle`,
        'CPU % of one core': idle.percent.toFixed(2),
        'last round ms': '-',
        load: idle.load,
      },
      {
        case: 'sampling cost (difference)',
        'CPU % of one core': (sampling.percent - idle.percent).toFixed(2),
        'last round ms': '-',
        load: `control plane RSS ${Math.round(idleRss)} MB`,
      },
    ];
    console.table(table);

    if (process.env.BENCH_NATS === '1' && process.env.NATS_URL) {
      const stream = `MFBENCH_${run}`;
      cp = await spawnControlPlane(
        env(ports.to, {
          MINEFLEET_METRICS_INTERVAL_SECONDS: '5',
          NATS_URL: process.env.NATS_URL,
          NATS_STREAM: stream,
          NATS_SUBJECT_PREFIX: `mfbench_${run}`,
          NATS_STREAM_STORAGE: 'memory',
        }),
      );
      await new Promise((r) => setTimeout(r, 10_000));
      const login = await cp.api.post('/auth/login', { email: user.email, password: user.password });
      const nats = await fanOut(cp, login.body.token as string, ids.slice(0, WATCHED), 'NATS JetStream bus');
      console.table([nats]);
      results.push(nats);
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
