/**
 * npm run bench:operator — time for the operator to converge N MinecraftServers from creation (every
 * server's status.observedGeneration equal to its generation) and the operator's peak RSS.
 *
 * Each run starts a fresh throw-away control plane (scripts/k8s/cluster.sh: etcd, kube-apiserver,
 * kube-controller-manager with its StatefulSet controller and garbage collector) unless
 * MINEFLEET_K8S_KUBECONFIG points at a cluster with the CRD (then each run uses its own namespace).
 * The operator runs as its own process (the built apps/operator, default settings: 8 workers, leader
 * election on). Servers are created 16 at a time; convergence is polled every second with a paged list.
 * There is no kubelet, so pods stay Pending and servers end in phase Provisioning: converged means the
 * operator has applied the Secret, ConfigMap, Service and StatefulSet and written a status for the
 * current generation. BENCH_SERVERS (default 1000; comma-separated for several sizes), BENCH_RUNS (3).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { freePort } from '@minefleet/testkit/ports';
import { KubeClient } from '@minefleet/runtime-kubernetes/kube/client';
import { CRD_FILE } from '../apps/operator/src/crd/definition.js';
import type { MinecraftServer } from '../apps/operator/src/crd/schema.js';
// @ts-expect-error plain JavaScript helper without types
import { k8sToolsDir } from '../scripts/k8s-tools.mjs';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '..');
const SIZES = (process.env.BENCH_SERVERS ?? '1000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CREATE_CONCURRENCY = 16;

const loadavg = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

function peakRss(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function cluster() {
  const external = process.env.MINEFLEET_K8S_KUBECONFIG;
  if (external) return { kubeconfig: external, stop: async () => {} };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'minefleet-bench-k8s-'));
  const env = {
    ...process.env,
    PATH: `${k8sToolsDir() as string}:${process.env.PATH}`,
    MINEFLEET_K8S_CRDS: path.join(ROOT, CRD_FILE),
  };
  const { stdout } = await run(path.join(ROOT, 'scripts/k8s/cluster.sh'), ['start', dir], {
    env,
    timeout: 180_000,
  });
  const kubeconfig = /KUBECONFIG=(\S+)/.exec(stdout)![1]!;
  return {
    kubeconfig,
    stop: async () => void (await run(path.join(ROOT, 'scripts/k8s/cluster.sh'), ['stop', dir], { env })),
  };
}

async function once(size: number, runIndex: number) {
  const c = await cluster();
  const kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfig);
  const api = new KubeClient(kc, { maxSockets: CREATE_CONCURRENCY });
  const ns = `bench-${runIndex}-${Date.now()}`;
  await api.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  });
  const port = await freePort();
  const operator = spawn(process.execPath, [path.join(ROOT, 'apps/operator/dist/main.js')], {
    env: {
      ...process.env,
      KUBECONFIG: c.kubeconfig,
      POD_NAMESPACE: ns,
      MINEFLEET_OPERATOR_WATCH_NAMESPACE: ns,
      // The fake node's pod addresses lead nowhere: no player-count pings.
      MINEFLEET_OPERATOR_PLAYERS_SECONDS: '0',
      MINEFLEET_OPERATOR_HTTP_PORT: String(port),
      MINEFLEET_OPERATOR_HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const loadBefore = loadavg();
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (next < size) {
          const i = next++;
          await api.request('POST', `/apis/minefleet.io/v1alpha1/namespaces/${ns}/minecraftservers`, {
            body: {
              apiVersion: 'minefleet.io/v1alpha1',
              kind: 'MinecraftServer',
              metadata: { name: `s${i}` },
              spec: {
                server: { distribution: 'flying-squid', version: '1.21.4' },
                resources: { memory: '512Mi' },
              },
            },
          });
        }
      }),
    );
    const created = performance.now() - started;
    let converged = 0;
    while (converged < size) {
      await new Promise((r) => setTimeout(r, 1000));
      converged = 0;
      let cont: string | undefined;
      do {
        const page = await api.request<{ items: MinecraftServer[]; metadata: { continue?: string } }>(
          'GET',
          `/apis/minefleet.io/v1alpha1/namespaces/${ns}/minecraftservers`,
          { query: { limit: 500, continue: cont } },
        );
        converged += page.items.filter((s) => s.status?.observedGeneration === s.metadata.generation).length;
        cont = page.metadata.continue || undefined;
      } while (cont);
      if (performance.now() - started > 15 * 60_000)
        throw new Error(`only ${converged}/${size} converged after 15 minutes`);
    }
    const total = performance.now() - started;
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const errors = metrics
      .split('\n')
      .filter((l) => l.startsWith('minefleet_operator_reconcile_errors_total{'))
      .map((l) => l.replace('minefleet_operator_reconcile_errors_total', ''))
      .join(' ');
    const reconciles = /minefleet_operator_reconcile_duration_seconds_count\{result="success"\} (\d+)/.exec(
      metrics,
    )?.[1];
    // Mean latency and count of the operator's API requests, by verb and resource.
    const api_: Record<string, { sum: number; count: number }> = {};
    for (const line of metrics.split('\n')) {
      const m =
        /^minefleet_operator_api_request_duration_seconds_(sum|count)\{verb="(\w+)",resource="([^"]+)",code="(\d+)"\} ([\d.e+-]+)/.exec(
          line,
        );
      if (!m) continue;
      const k = `${m[2]} ${m[3]} ${m[4]}`;
      api_[k] ??= { sum: 0, count: 0 };
      api_[k][m[1] as 'sum' | 'count'] += Number(m[5]);
    }
    const requests = Object.entries(api_)
      .map(([k, v]) => `${k}: ${v.count} × ${((v.sum / v.count) * 1000).toFixed(0)} ms`)
      .join('; ');
    return {
      size,
      created,
      total,
      requests,
      rss: peakRss(operator.pid!),
      reconciles,
      errors,
      loadBefore,
      loadAfter: loadavg(),
    };
  } finally {
    operator.kill('SIGTERM');
    await new Promise((r) => operator.once('exit', r));
    api.close();
    await c.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const size of SIZES) {
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    const r = await once(size, i);
    results.push(r);
    console.log(
      `${size} servers, run ${i + 1}: created in ${(r.created / 1000).toFixed(1)} s, converged in ${(r.total / 1000).toFixed(1)} s, ` +
        `operator peak RSS ${(r.rss / 2 ** 20).toFixed(0)} MiB, ${r.reconciles} reconciles, errors ${r.errors || 'none'}, ` +
        `load ${r.loadBefore} → ${r.loadAfter}`,
    );
    if (process.env.BENCH_VERBOSE) console.log(`  operator requests: ${r.requests}`);
  }
  console.log(
    `${size} servers: median converge ${(median(results.map((r) => r.total)) / 1000).toFixed(1)} s, ` +
      `median peak RSS ${(median(results.map((r) => r.rss)) / 2 ** 20).toFixed(0)} MiB (${RUNS} runs)`,
  );
}
