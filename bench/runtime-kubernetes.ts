/**
 * The Kubernetes column of `npm run bench:runtime`: time from `POST /servers/{id}/start` to the API
 * reporting `running` with `MINEFLEET_RUNTIME=kubernetes`, against a real API server and controller
 * manager (scripts/k8s/cluster.sh), the operator in this process and the Kubernetes tests' node, which
 * runs each pod's flying-squid container as a process in a network namespace of its own (docs/kubernetes.md,
 * "The test node"). The built control plane runs as its own process on the embedded database, as the
 * local column's does. Where the time goes is read off watches this process holds on the server's
 * MinecraftServer and pod, each step stamped when this process sees it:
 *   spec   the driver wrote `state: Running` on the resource
 *   pod    the pod exists (the operator scaled the StatefulSet, its controller made the pod)
 *   bound  the pod is bound to the node
 *   up     the node reports the container running at the pod's address
 *   ready  the pod is Ready (the startup probe passed: the game answers a ping inside the pod)
 *   api    the API says `running` (the driver saw the pod Ready and pinged the game)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { Informer } from '@minefleet/runtime-kubernetes/kube/informer';
import {
  PLURAL,
  podName,
  resourceName,
  resourcePath,
  type ServerResource,
} from '@minefleet/runtime-kubernetes/resource';
import { loopbackEnv, spawnControlPlane } from '@minefleet/testkit/control-plane-process';
import { freePort, freePortRange } from '@minefleet/testkit/ports';
import { createLogger } from '../apps/operator/src/log.js';
import { clusterUnavailable, startCluster } from '../test/k8s/cluster.js';
import { startGameNamespace } from '../test/k8s/game-namespace.js';

const NAMESPACE = 'minefleet-bench';
export const STEPS = ['spec', 'pod', 'bound', 'up', 'ready', 'api'] as const;
export type Step = (typeof STEPS)[number];

export interface KubernetesStarts {
  /** POST start → API `running`, each run (ms). */
  viaApi: number[];
  /** Each run's time from the POST to each step (ms). */
  steps: Record<Step, number>[];
  /** Why it did not run, when it did not. */
  skipped?: string;
}

/** Runs `runs` starts of one server through the API on the Kubernetes runtime (each after a stop). */
export async function kubernetesStarts(runs: number, version: string): Promise<KubernetesStarts> {
  const unavailable = clusterUnavailable();
  if (unavailable) return { viaApi: [], steps: [], skipped: unavailable };
  const cluster = await startCluster();
  const game = await startGameNamespace(cluster, NAMESPACE, { runContainers: true });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-k8s-'));
  let cp: Awaited<ReturnType<typeof spawnControlPlane>> | undefined;
  const seen = new Map<Step, number>();
  const mark = (step: Step) => {
    if (!seen.has(step)) seen.set(step, performance.now());
  };
  let serverId = '';
  const log = createLogger('silent');
  const resources = new Informer<ServerResource>({
    api: cluster.api,
    log,
    path: resourcePath(NAMESPACE),
    resource: PLURAL,
    resyncMs: 60_000,
    onChange: (r) => {
      if (serverId && r.metadata.name === resourceName(serverId) && r.spec.state === 'Running') mark('spec');
    },
  });
  const pods = new Informer<V1Pod>({
    api: cluster.api,
    log,
    path: `/api/v1/namespaces/${NAMESPACE}/pods`,
    resource: 'pods',
    resyncMs: 60_000,
    onChange: (pod, change) => {
      if (!serverId || change === 'deleted' || pod.metadata?.name !== podName(serverId)) return;
      if (pod.metadata.deletionTimestamp) return;
      mark('pod');
      if (pod.spec?.nodeName) mark('bound');
      if (pod.status?.containerStatuses?.[0]?.state?.running && pod.status.podIP) mark('up');
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) mark('ready');
    },
  });
  try {
    await Promise.all([resources.start(), pods.start()]);
    const env = loopbackEnv({
      port: await freePort(),
      dataDir,
      portRange: await freePortRange(4),
      extra: {
        MINEFLEET_RUNTIME: 'kubernetes',
        MINEFLEET_KUBECONFIG: cluster.kubeconfig,
        MINEFLEET_K8S_NAMESPACE: NAMESPACE,
        MINEFLEET_K8S_ADDRESS: 'pod-ip',
      },
    });
    cp = await spawnControlPlane(env);
    const user = await cp.api.signup('bench-k8s');
    const created = await cp.api.post(
      '/servers',
      { name: 'latency', sku_id: 'starter', minecraft_version: version },
      user.token,
    );
    if (created.status !== 202) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
    serverId = created.body.id as string;
    await cp.api.waitForStatus(serverId, user.token, 'stopped', 60_000);
    const running = async () => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const s = (await cp!.api.get(`/servers/${serverId}`, user.token)).body;
        if (s.status === 'running') return;
        if (s.status === 'failed' || s.status === 'crashed')
          throw new Error(`server ${s.status}: ${s.status_reason}`);
        if (Date.now() > deadline) throw new Error(`not running after 120 s (${s.status})`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    // A first start creates the world on the claim; the measured ones load it, as the local column's do.
    await cp.api.post(`/servers/${serverId}/start`, {}, user.token);
    await running();
    const result: KubernetesStarts = { viaApi: [], steps: [] };
    for (let run = 0; run <= runs; run++) {
      await cp.api.post(`/servers/${serverId}/stop`, {}, user.token);
      await cp.api.waitForStatus(serverId, user.token, 'stopped', 120_000);
      if (run === runs) break;
      seen.clear();
      const t0 = performance.now();
      const answer = await cp.api.post(`/servers/${serverId}/start`, {}, user.token);
      if (answer.status !== 202) throw new Error(`start refused: ${JSON.stringify(answer.body)}`);
      await running();
      mark('api');
      result.viaApi.push(performance.now() - t0);
      result.steps.push(
        Object.fromEntries(STEPS.map((s) => [s, (seen.get(s) ?? Number.NaN) - t0])) as Record<Step, number>,
      );
    }
    return result;
  } finally {
    await cp?.stop().catch(() => undefined);
    await Promise.all([resources.stop(), pods.stop()]);
    await game.stop();
    await cluster.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
