/**
 * npm run bench:runtime — what the control plane adds to running game servers.
 *
 * 1. Start latency: time from POST /servers/{id}/start to the API reporting `running`, against launching
 *    the same flying-squid server (same folder, same world, same launcher) directly and pinging it until
 *    it answers. Both are polled every 10 ms. Target: overhead under 10%.
 * 2. Twenty servers created with `start: true` at once: time until all are `running`, distinct ports,
 *    peak memory of the game processes and of the control plane.
 * 3. The control plane's own memory per managed server (settled RSS and V8 heap with 21 running minus with none).
 * 4. The Kubernetes column (runtime-kubernetes.ts): the same start through the API with
 *    MINEFLEET_RUNTIME=kubernetes against a real API server and the Kubernetes tests' node, where the time
 *    goes, and what it adds over the local runtime's start. Target: ≤ 1.5 s added. Left out, with the
 *    reason, where there are no Kubernetes binaries; `BENCH_KUBERNETES=0` leaves it out, `=only` runs it
 *    alone.
 * The control plane runs as its own process (the built apps/server), on the embedded database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import minecraftProtocol from 'minecraft-protocol';
import { LOOPBACK_METRICS_TOKEN, loopbackEnv } from '@minefleet/testkit/control-plane-process';
import { endGameProcesses, gameProcesses } from '@minefleet/testkit/processes';
import { STEPS, kubernetesStarts, type KubernetesStarts } from './runtime-kubernetes.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const KUBERNETES = process.env.BENCH_KUBERNETES ?? '1';
const MANY = Number(process.env.BENCH_SERVERS ?? 20);
const VERSION = '1.20.2';
const LAUNCHER = path.resolve('packages/runtime-local/launcher/flying-squid.cjs');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

async function rssOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function gamePids(dataDir: string): Promise<number[]> {
  return (await gameProcesses(dataDir)).filter((p) => p.cmdline.includes(LAUNCHER)).map((p) => p.pid);
}

async function ping(port: number): Promise<boolean> {
  try {
    await minecraftProtocol.ping({
      host: '127.0.0.1',
      port,
      version: VERSION,
      closeTimeout: 500,
      noPongTimeout: 300,
    });
    return true;
  } catch {
    return false;
  }
}

/**
 * The control plane's memory once it has settled: the median of 5 readings a second apart of its RSS
 * and of the V8 heap in use (from its own /metrics). One reading right after a burst of work mostly
 * measures garbage not yet collected and WASM pages not yet touched.
 */
async function settledMemory(pid: number): Promise<{ rss: number; heap: number }> {
  const rss: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rss.push(await rssOf(pid));
    const text = await (
      await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
        headers: { authorization: `Bearer ${LOOPBACK_METRICS_TOKEN}` },
      })
    ).text();
    heap.push(Number(/^minefleet_nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1] ?? 0));
  }
  return { rss: median(rss), heap: median(heap) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

const httpPort = await freePort();

/** The local runtime's part (1–3); answers its start → running runs through the API (ms). */
async function local(): Promise<number[]> {
  const viaApi: number[] = [];
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-runtime-'));
  const base = 20_000 + Math.floor(Math.random() * 30_000);
  const child: ChildProcess = spawn(process.execPath, ['apps/server/dist/main.js'], {
    env: loopbackEnv({
      port: httpPort,
      dataDir,
      portRange: { from: base, to: base + MANY + 10 },
      extra: {
        MINEFLEET_QUOTA_MAX_SERVERS: String(MANY + 5),
        MINEFLEET_QUOTA_MAX_MEMORY_MB: String((MANY + 5) * 1024),
      },
    }),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${httpPort}/api/v1`;
  let token = '';
  async function call(method: string, p: string, body?: unknown): Promise<any> {
    const res = await fetch(`${url}${p}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return res.json();
  }
  async function waitStatus(id: string, status: string, pollMs = 10, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await call('GET', `/servers/${id}`);
      if (s.status === status) return;
      if (s.status === 'failed') throw new Error(`server failed: ${s.status_reason}`);
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${status}; last ${s.status}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }

  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${url}/health`)).ok) break;
      } catch {
        // starting
      }
      if (i > 300) throw new Error('control plane did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
    const account = { email: 'runtime@example.com', password: 'a long benchmark passphrase' };
    // Sign-up answers the same for every address and opens no session: sign in after it.
    await call('POST', '/auth/signup', account);
    token = (await call('POST', '/auth/login', account)).token;
    const idle = await settledMemory(child.pid!);

    // 1. Start latency through the API vs direct.
    const server = await call('POST', '/servers', {
      name: 'latency',
      sku_id: 'starter',
      minecraft_version: VERSION,
    });
    if (!server.id) throw new Error(`create failed: ${JSON.stringify(server)}`);
    await waitStatus(server.id, 'stopped');
    // A first start creates the world; both measurements below load an existing one.
    const first = await call('POST', `/servers/${server.id}/start`);
    if (first.status !== 'starting') throw new Error(`start refused: ${JSON.stringify(first)}`);
    await waitStatus(server.id, 'running');
    // The game port is given at the first start (a created server has no address yet) and kept.
    const { port } = (await call('GET', `/servers/${server.id}`)).address as { port: number };
    await call('POST', `/servers/${server.id}/stop`);
    await waitStatus(server.id, 'stopped');
    const direct: number[] = [];
    const root = path.join(dataDir, 'servers', server.id);
    const launchFile = path.join(root, '.minefleet', 'launch.json');
    for (let run = 0; run < RUNS; run++) {
      const started = performance.now();
      await call('POST', `/servers/${server.id}/start`);
      await waitStatus(server.id, 'running');
      viaApi.push(performance.now() - started);
      await call('POST', `/servers/${server.id}/stop`);
      await waitStatus(server.id, 'stopped');

      const t0 = performance.now();
      const game = spawn(process.execPath, ['--max-old-space-size=768', LAUNCHER, launchFile], {
        cwd: root,
        stdio: 'ignore',
        detached: true,
      });
      while (!(await ping(port))) await new Promise((r) => setTimeout(r, 10));
      direct.push(performance.now() - t0);
      game.kill('SIGTERM');
      await new Promise((r) => game.once('exit', r));
    }
    const overhead = (median(viaApi) / median(direct) - 1) * 100;

    // 2. Many servers at once.
    const t1 = performance.now();
    const created = await Promise.all(
      Array.from({ length: MANY }, (_, i) =>
        call('POST', '/servers', {
          name: `many-${i}`,
          sku_id: 'starter',
          minecraft_version: VERSION,
          start: true,
        }),
      ),
    );
    let peakGames = 0;
    let peakControl = 0;
    const sampler = setInterval(() => {
      void (async () => {
        const pids = await gamePids(dataDir);
        const total = (await Promise.all(pids.map(rssOf))).reduce((a, b) => a + b, 0);
        peakGames = Math.max(peakGames, total);
        peakControl = Math.max(peakControl, await rssOf(child.pid!));
      })();
    }, 200);
    await Promise.all(created.map((s: { id: string }) => waitStatus(s.id, 'running', 100, 300_000)));
    const allRunningMs = performance.now() - t1;
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(sampler);
    const ports = new Set(created.map((s: { address: { port: number } }) => s.address.port));
    const busy = await settledMemory(child.pid!);
    const running = (await call('GET', '/servers?status=running&per_page=100')).pagination.total;

    process.stdout.write(
      `\nRuntime benchmark (${os.cpus().length} cores, Node ${process.version}, flying-squid ${VERSION})\n\n` +
        `Start to running, median of ${RUNS}: via API ${median(viaApi).toFixed(0)} ms, direct launch ${median(direct).toFixed(0)} ms → overhead ${overhead.toFixed(1)}%\n` +
        `  via API runs: ${viaApi.map((x) => x.toFixed(0)).join(', ')} ms\n` +
        `  direct runs:  ${direct.map((x) => x.toFixed(0)).join(', ')} ms\n` +
        `${MANY} servers created and started at once: all running after ${(allRunningMs / 1000).toFixed(1)} s; ${running} running, ${ports.size} distinct ports\n` +
        `  peak RSS of game processes: ${mb(peakGames)} (${mb(peakGames / MANY)} each); control plane peak ${mb(peakControl)}\n` +
        `Control plane, settled: RSS ${mb(idle.rss)} idle → ${mb(busy.rss)} with ${MANY + 1} servers → ${((busy.rss - idle.rss) / 1024 / 1024 / (MANY + 1)).toFixed(2)} MB per managed server; ` +
        `V8 heap used ${mb(idle.heap)} → ${mb(busy.heap)} → ${((busy.heap - idle.heap) / 1024 / 1024 / (MANY + 1)).toFixed(2)} MB per managed server\n`,
    );
    for (const s of [...created, server] as { id: string }[]) await call('POST', `/servers/${s.id}/kill`);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    // Game servers outlive their control plane by design: end the bench's.
    await endGameProcesses(dataDir);
    await rm(dataDir, { recursive: true, force: true });
  }
  return viaApi;
}

/** The Kubernetes column (4): its runs, where the time goes, and what it adds over the local start. */
function report(k8s: KubernetesStarts, localViaApi: number[] | undefined): string {
  if (k8s.skipped) return `\nKubernetes column: left out (${k8s.skipped})\n`;
  const at = (step: (typeof STEPS)[number]) => median(k8s.steps.map((s) => s[step]));
  let previous = 0;
  const phases = STEPS.map((step) => {
    const ms = at(step);
    const part = `${step} +${(ms - previous).toFixed(0)}`;
    previous = ms;
    return part;
  }).join(', ');
  const added = localViaApi ? median(k8s.viaApi) - median(localViaApi) : undefined;
  return (
    `\nKubernetes column (operator + the tests' node, pods in network namespaces of their own), median of ${k8s.viaApi.length}:\n` +
    `Start to running via API: ${median(k8s.viaApi).toFixed(0)} ms` +
    (added !== undefined
      ? ` against ${median(localViaApi!).toFixed(0)} ms locally → ${(added / 1000).toFixed(2)} s added (target ≤ 1.5 s)\n`
      : '\n') +
    `  runs: ${k8s.viaApi.map((x) => x.toFixed(0)).join(', ')} ms\n` +
    `  where the time goes (median ms from the start call to each step, and since the step before): ${phases}\n`
  );
}

const localViaApi = KUBERNETES === 'only' ? undefined : await local();
if (KUBERNETES !== '0') process.stdout.write(report(await kubernetesStarts(RUNS, VERSION), localViaApi));
