/**
 * npm run bench:gateway — what the gateway costs, side by side with direct connections.
 *
 * 1. Connection setup: connect, send a handshake, receive the backend's first byte; through the gateway
 *    vs straight to the backend (a trivial TCP server), sequential, p50/p99 and the difference.
 * 2. Bulk throughput: 256 MiB each way through the gateway vs direct.
 * 3. Status answers per second for a sleeping server (the gateway answers from its cache), 32 clients.
 * 4. Wake: a bot's join to a sleeping server until it spawned, through the control plane's gateway, vs a
 *    bare start of the same server (launched directly, bot joining as soon as it can); and the freeze
 *    tier (join to a frozen server until spawned) vs a join to a running one.
 * The gateway of 1–3 runs in a process of its own; 4 runs the built control plane as its own process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mcString, packet, varInt } from '@minefleet/gateway/varint';
import { joinBot } from '@minefleet/testkit/minecraft';
import { endGameProcesses } from '@minefleet/testkit/processes';
import { loopbackEnv, spawnControlPlane } from '@minefleet/testkit/control-plane-process';
import { freePort, freePortRange } from '@minefleet/testkit/ports';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CONNECTS = Number(process.env.BENCH_CONNECTS ?? 1000);
const BULK_MIB = Number(process.env.BENCH_BULK_MIB ?? 256);
const VERSION = '1.20.2';
const LAUNCHER = path.resolve('packages/runtime-local/launcher/flying-squid.cjs');

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
};
const median = (values: number[]) => percentile(values, 50);
const ms = (v: number) => `${v.toFixed(3)} ms`;

function handshake(host: string, next: number): Buffer {
  return packet(0x00, varInt(764), mcString(host), Buffer.from([0x63, 0xdd]), varInt(next));
}

/** A backend that answers the first bytes of each connection with one byte, then counts or echoes. */
function backend(): Promise<{ port: number; server: net.Server; received: () => number }> {
  let received = 0;
  const server = net.createServer({ noDelay: true }, (socket) => {
    let first = true;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (first) {
        first = false;
        socket.write(Buffer.from([1]));
      }
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as net.AddressInfo).port, server, received: () => received }),
    ),
  );
}

function firstByte(port: number, opening: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('connect', () => socket.write(opening));
    socket.once('data', () => {
      resolve(performance.now() - started);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

async function setupLatency(port: number, opening: Buffer): Promise<number[]> {
  for (let i = 0; i < 100; i++) await firstByte(port, opening); // warm-up
  const out: number[] = [];
  for (let i = 0; i < CONNECTS; i++) out.push(await firstByte(port, opening));
  return out;
}

/** A backend that streams `BULK_MIB` MiB to each connection once the opening arrived. */
function streamer(): Promise<{ port: number; server: net.Server }> {
  const total = BULK_MIB * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const server = net.createServer((socket) => {
    let sent = 0;
    socket.once('data', () => {
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
        socket.end();
      };
      pump();
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ port: (server.address() as net.AddressInfo).port, server }),
    ),
  );
}

/** MiB/s of `BULK_MIB` MiB written by the client to the counting backend (upload) or streamed to it. */
function bulk(port: number, opening: Buffer, upload: boolean): Promise<number> {
  const total = BULK_MIB * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const base = received();
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket = net.connect({ host: '127.0.0.1', port });
    let got = 0;
    let sent = 0;
    const finish = () => {
      socket.destroy();
      resolve(BULK_MIB / ((performance.now() - started) / 1000));
    };
    socket.once('connect', () => {
      socket.write(opening);
      if (!upload) return;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!socket.write(chunk)) return void socket.once('drain', pump);
        }
      };
      pump();
    });
    socket.on('data', (d: Buffer) => {
      got += d.length;
      if (!upload && got >= total) finish();
    });
    socket.on('error', reject);
    if (upload) {
      const check = setInterval(() => {
        if (received() - base >= total) {
          clearInterval(check);
          finish();
        }
      }, 1);
    }
  });
}
let received: () => number = () => 0;

async function statusRate(port: number, host: string, seconds: number): Promise<number> {
  const opening = Buffer.concat([handshake(host, 1), packet(0x00), packet(0x01, Buffer.alloc(8))]);
  let done = 0;
  const until = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < until) {
      await new Promise<void>((resolve) => {
        const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
        socket.once('connect', () => socket.write(opening));
        socket.on('data', () => {});
        socket.once('close', () => {
          done++;
          resolve();
        });
        socket.once('error', () => resolve());
      });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return done / seconds;
}

async function startChild(routes: unknown): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [
      // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": where the gateway's own time goes.
      ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      path.resolve('bench/gateway-child.ts'),
      JSON.stringify(routes),
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve) =>
    child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
  );
  return { child, port };
}

async function protocolFigures(): Promise<void> {
  const b = await backend();
  received = b.received;
  const stream = await streamer();
  const { child, port } = await startChild([
    { serverId: 'bulk', hostnames: ['bulk.bench.test'], status: 'running', port: b.port },
    { serverId: 'stream', hostnames: ['stream.bench.test'], status: 'running', port: stream.port },
    { serverId: 'sleepy', hostnames: ['sleepy.bench.test'], status: 'sleeping', port: null },
  ]);
  const opening = (host: string) =>
    Buffer.concat([handshake(host, 2), packet(0x00, varInt(5), Buffer.from('Bench'))]);
  for (let run = 0; run < RUNS; run++) {
    const direct = await setupLatency(b.port, opening('bulk.bench.test'));
    const via = await setupLatency(port, opening('bulk.bench.test'));
    const upDirect = await bulk(b.port, opening('bulk.bench.test'), true);
    const upVia = await bulk(port, opening('bulk.bench.test'), true);
    const downDirect = await bulk(stream.port, opening('stream.bench.test'), false);
    const downVia = await bulk(port, opening('stream.bench.test'), false);
    const rate = await statusRate(port, 'sleepy.bench.test', 3);
    console.log(
      `run ${run + 1}: setup direct p50 ${ms(median(direct))} p99 ${ms(percentile(direct, 99))} | via gateway p50 ${ms(median(via))} p99 ${ms(percentile(via, 99))} | added p50 ${ms(median(via) - median(direct))} p99 ${ms(percentile(via, 99) - percentile(direct, 99))}`,
    );
    console.log(
      `        upload direct ${upDirect.toFixed(0)} MiB/s, via ${upVia.toFixed(0)} MiB/s (${((upVia / upDirect) * 100).toFixed(0)}%) | download direct ${downDirect.toFixed(0)} MiB/s, via ${downVia.toFixed(0)} MiB/s (${((downVia / downDirect) * 100).toFixed(0)}%) | sleeping status answers ${rate.toFixed(0)}/s`,
    );
  }
  child.kill('SIGTERM');
  b.server.close();
  stream.server.close();
}

/** Joins with a bot until it spawns (retrying while the server is not up); ms until spawned. */
async function joinUntilSpawned(port: number, serverHost: string | undefined, name: string): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      const bot = await joinBot(
        { host: '127.0.0.1', port },
        { username: name, version: VERSION, timeoutMs: 30_000, ...(serverHost ? { serverHost } : {}) },
      );
      const took = performance.now() - started;
      await bot.quit();
      return took;
    } catch (error) {
      if (performance.now() - started > 60_000) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

async function wakeFigures(): Promise<void> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-gateway-'));
  const gatewayPort = await freePort();
  const cp = await spawnControlPlane(
    loopbackEnv({
      port: await freePort(),
      dataDir,
      portRange: await freePortRange(6),
      extra: {
        MINEFLEET_GATEWAY: 'on',
        MINEFLEET_GATEWAY_HOST: '127.0.0.1',
        MINEFLEET_GATEWAY_PORT: String(gatewayPort),
        MINEFLEET_GAME_DOMAIN: 'bench.test',
        MINEFLEET_SLEEP_CHECK_SECONDS: '1',
        MINEFLEET_GATEWAY_RATE_PER_SECOND: '1000',
      },
    }),
    { timeoutMs: 180_000 },
  );
  const { api } = cp;
  try {
    const { token } = await api.signup('gateway');
    const call = async (method: 'POST' | 'PATCH', p: string, body?: unknown): Promise<any> =>
      (await api.request(method, `/api/v1${p}`, { token, body })).body;
    const waitStatus = (id: string, status: string) => api.waitForStatus(id, token, status, 120_000);
    const server = await call('POST', '/servers', {
      name: 'wake',
      sku_id: 'starter',
      minecraft_version: VERSION,
      start: true,
    });
    await waitStatus(server.id, 'running');
    const settings = await call('PATCH', `/servers/${server.id}/gateway`, {
      sleep_enabled: true,
      idle_after_seconds: 1,
    });
    const host = settings.platform_hostname as string;
    const wake: number[] = [];
    const bare: number[] = [];
    const freeze: number[] = [];
    const running: number[] = [];
    const launchFile = path.join(dataDir, 'servers', server.id, '.minefleet', 'launch.json');
    for (let run = 0; run < RUNS; run++) {
      await waitStatus(server.id, 'sleeping');
      wake.push(await joinUntilSpawned(gatewayPort, host, `Waker${run}`));
      // Bare: the same server launched directly, a bot joining as soon as it can.
      await call('PATCH', `/servers/${server.id}/gateway`, { sleep_enabled: false });
      await call('POST', `/servers/${server.id}/stop`, {});
      await waitStatus(server.id, 'stopped');
      const game = spawn(process.execPath, ['--max-old-space-size=768', LAUNCHER, launchFile], {
        cwd: path.dirname(path.dirname(launchFile)),
        stdio: 'ignore',
        detached: true,
      });
      bare.push(await joinUntilSpawned(server.address.port, undefined, `Bare${run}`));
      game.kill('SIGTERM');
      await new Promise((r) => game.once('exit', r));
      await call('POST', `/servers/${server.id}/start`, {});
      await waitStatus(server.id, 'running');
      running.push(await joinUntilSpawned(gatewayPort, host, `Player${run}`));
      await call('PATCH', `/servers/${server.id}/gateway`, { sleep_enabled: true, sleep_mode: 'freeze' });
      await waitStatus(server.id, 'frozen');
      freeze.push(await joinUntilSpawned(gatewayPort, host, `Thaw${run}`));
      await call('PATCH', `/servers/${server.id}/gateway`, { sleep_mode: 'stop' });
      console.log(
        `run ${run + 1}: wake→spawned ${wake[run]!.toFixed(0)} ms | bare start→spawned ${bare[run]!.toFixed(0)} ms | frozen→spawned ${freeze[run]!.toFixed(0)} ms | running→spawned ${running[run]!.toFixed(0)} ms`,
      );
    }
    console.log(
      `median: wake ${median(wake).toFixed(0)} ms vs bare ${median(bare).toFixed(0)} ms (+${(median(wake) - median(bare)).toFixed(0)} ms); frozen ${median(freeze).toFixed(0)} ms vs running ${median(running).toFixed(0)} ms (+${(median(freeze) - median(running)).toFixed(0)} ms)`,
    );
  } finally {
    await cp.stop();
    // Game servers outlive their control plane by design: end the bench's.
    await endGameProcesses(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.env.BENCH_PART !== 'wake') await protocolFigures();
if (process.env.BENCH_PART !== 'protocol') await wakeFigures();
console.log(
  `load average: ${os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
