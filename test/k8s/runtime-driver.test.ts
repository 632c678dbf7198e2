// The Kubernetes runtime driver against a real API server, the real StatefulSet controller and garbage
// collector, the operator running in-process and FakeNode playing the kubelet (cluster.ts, fake-node.ts).
// The lifecycle test checks what the driver writes and reads of the cluster; the port's conformance suite
// then runs with a real flying-squid game (the image's entrypoint) where FakeNode says the pod is, so the
// server-list ping and players reach a real server. Features without the in-pod agent are named skips.
// The control plane and gateway running on this driver: platform-on-kubernetes.test.ts.
import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1ConfigMap, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { RuntimeEvent, ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { isStatus } from '@minefleet/runtime-kubernetes/kube/client';
import { KubernetesDriver } from '@minefleet/runtime-kubernetes/kubernetes-driver';
import {
  SERVER_ID_LABEL,
  TENANT_LABEL,
  podName,
  resourceName,
  resourcePath,
  type ServerResource,
} from '@minefleet/runtime-kubernetes/resource';
import { DEFAULT_POLICY, tenantPolicyName } from '@minefleet/runtime-kubernetes/tenant-isolation';
import { runtimeDriverConformance } from '@minefleet/runtime-local/conformance';
import { BOT_TEST_VERSION, freePort, joinBot } from '@minefleet/testkit/minecraft';
import { GAME_PORT } from '../../apps/operator/src/builders/common.js';
import type { Operator } from '../../apps/operator/src/operator.js';
import { clusterUnavailable, eventually, startCluster, type TestCluster } from './cluster.js';
import type { FakeNode } from './fake-node.js';
import { startGameNamespace } from './game-namespace.js';
import { startImageGame, type ImageGame } from './image-game.js';

const unavailable = clusterUnavailable();
if (unavailable) console.warn(`\n!!! SKIPPING the Kubernetes runtime driver suite: ${unavailable} !!!\n`);

const NAMESPACE = 'minefleet-servers';

/** A NetworkPolicy as the API server answers it (the client library's model renames `from`). */
interface Policy {
  metadata: { name: string };
  spec: {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress: { from?: { podSelector?: { matchLabels?: Record<string, string> } }[]; ports?: unknown[] }[];
  };
}

/** Only a loopback address FakeNode was told about is ever contacted; made-up pod addresses never are. */
const loopbackAddress = (_server: ServerResource, pod: V1Pod) => {
  const ip = pod.status?.podIP;
  return ip && isIP(ip) === 4 && ip.startsWith('127.') ? { host: ip, port: GAME_PORT } : undefined;
};

/**
 * The conformance suite's server and its game: the image's entrypoint on a loopback address of its own,
 * which FakeNode reports as the pod's. It boots while the cluster starts.
 */
const conformanceGame = {
  serverId: randomUUID(),
  host: `127.0.4.${2 + Math.floor(Math.random() * 250)}`,
  properties: { motd: 'Conformance suite', gamemode: 'creative', 'level-type': 'minecraft:flat' },
};

describe.skipIf(unavailable)(
  `Kubernetes runtime driver on a real API server${unavailable ? ' (skipped: no Kubernetes binaries in /opt/minefleet-k8s/bin and no MINEFLEET_K8S_KUBECONFIG)' : ''}`,
  () => {
    let cluster: TestCluster;
    let node: FakeNode;
    let operator: Operator;
    const games: ImageGame[] = [];

    const get = <T>(path: string) => cluster.api.request<T>('GET', path);
    /** Resolves true when every path answers 404; otherwise throws naming what is left (for eventually). */
    const allGone = async (paths: string[]) => {
      const left = (await Promise.all(paths.map(async (p) => ((await gone(p)) ? [] : [p])))).flat();
      if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
      return true;
    };
    const gone = async (path: string) => {
      try {
        await get(path);
        return false;
      } catch (error) {
        return isStatus(error, 404);
      }
    };
    const objectPaths = (serverId: string) => {
      const name = resourceName(serverId);
      return [
        resourcePath(NAMESPACE, name),
        `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${name}`,
        `/api/v1/namespaces/${NAMESPACE}/services/${name}`,
        `/api/v1/namespaces/${NAMESPACE}/configmaps/${name}-config`,
        `/api/v1/namespaces/${NAMESPACE}/pods/${podName(serverId)}`,
        `/api/v1/namespaces/${NAMESPACE}/persistentvolumeclaims/data-${podName(serverId)}`,
      ];
    };
    const newDriver = () =>
      new KubernetesDriver({ api: cluster.api, namespace: NAMESPACE, address: loopbackAddress, pollMs: 50 });

    beforeAll(async () => {
      const { host, properties } = conformanceGame;
      games.push(
        startImageGame({ host, port: GAME_PORT, version: BOT_TEST_VERSION, properties, maxPlayers: 5 }),
      );
      cluster = await startCluster();
      ({ node, operator } = await startGameNamespace(cluster, NAMESPACE));
    }, 240_000);

    afterAll(async () => {
      for (const game of games) game.dispose();
      await operator?.stop();
      await node?.stop();
      await cluster?.stop();
    }, 120_000);

    it('deploys, starts, stops, is adopted by a new driver and removed, with events from the watch', async () => {
      const spec: ServerSpec = {
        serverId: randomUUID(),
        tenantId: randomUUID(),
        name: 'lifecycle',
        distribution: 'flying-squid',
        minecraftVersion: BOT_TEST_VERSION,
        bindHost: '0.0.0.0',
        port: 25565,
        memoryMb: 512,
        cpuMillicores: 500,
        maxPlayers: 7,
        properties: { motd: 'On Kubernetes', difficulty: 'hard', pvp: false },
      };
      const driver = newDriver();
      const events: RuntimeEvent[] = [];
      driver.onEvent((e) => events.push(e));
      await driver.watching();
      const path = resourcePath(NAMESPACE, resourceName(spec.serverId));

      await driver.deploy(spec);
      const deployed = await get<ServerResource>(path);
      expect(deployed.metadata.labels).toMatchObject({
        [TENANT_LABEL]: spec.tenantId,
        [SERVER_ID_LABEL]: spec.serverId,
      });
      expect(deployed.spec).toMatchObject({
        state: 'Stopped',
        server: { distribution: 'flying-squid', version: BOT_TEST_VERSION },
        maxPlayers: 7,
        resources: { cpu: '500m', memory: '512Mi' },
        properties: { motd: 'On Kubernetes', difficulty: 'hard', pvp: false },
      });
      expect(await driver.inspect(spec.serverId)).toEqual({ state: 'absent' });

      // The tenant's pods are fenced in before its first pod exists: game pods take traffic from the
      // platform (game port) and from their own tenant's pods, nothing else.
      const policies = `/apis/networking.k8s.io/v1/namespaces/${NAMESPACE}/networkpolicies`;
      const fence = await get<Policy>(`${policies}/${DEFAULT_POLICY}`);
      expect(fence.spec.podSelector.matchLabels).toEqual({
        'app.kubernetes.io/managed-by': 'minefleet-operator',
      });
      expect(fence.spec.policyTypes).toEqual(['Ingress', 'Egress']);
      expect(fence.spec.ingress[0]?.ports).toEqual([{ port: 25565, protocol: 'TCP' }]);
      const own = await get<Policy>(`${policies}/${tenantPolicyName(spec.tenantId)}`);
      expect(own.spec.podSelector.matchLabels?.[TENANT_LABEL]).toBe(spec.tenantId);
      expect(own.spec.ingress[0]?.from?.[0]?.podSelector?.matchLabels?.[TENANT_LABEL]).toBe(spec.tenantId);
      // Another tenant's server gets its own policy, and the shared one is rewritten, not duplicated.
      const other = { ...spec, serverId: randomUUID(), tenantId: randomUUID(), name: 'other-tenant' };
      await driver.deploy(other);
      const names = (await get<{ items: Policy[] }>(policies)).items.map((p) => p.metadata.name).sort();
      expect(names).toEqual(
        [DEFAULT_POLICY, tenantPolicyName(spec.tenantId), tenantPolicyName(other.tenantId)].sort(),
      );
      await driver.remove(other.serverId);
      expect(await gone(`${policies}/${tenantPolicyName(other.tenantId)}`)).toBe(true);
      expect(await gone(`${policies}/${tenantPolicyName(spec.tenantId)}`)).toBe(false);

      // configure replaces the properties: a property left out is gone from the resource.
      await driver.configure({ ...spec, properties: { motd: 'On Kubernetes', difficulty: 'peaceful' } });
      expect((await get<ServerResource>(path)).spec.properties).toEqual({
        motd: 'On Kubernetes',
        difficulty: 'peaceful',
      });

      const info = await driver.start(spec, { generation: 3 });
      expect(info).toMatchObject({ pid: 0, generation: 3 });
      const pod = await eventually('the pod to be Ready', async () => {
        const p = await get<V1Pod>(`/api/v1/namespaces/${NAMESPACE}/pods/${podName(spec.serverId)}`);
        return p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      });
      // The tenant label reaches the pod, where NetworkPolicies select by it.
      expect(pod.metadata?.labels?.[TENANT_LABEL]).toBe(spec.tenantId);
      await eventually(
        'phase Running',
        async () => (await get<ServerResource>(path)).status?.phase === 'Running',
      );
      expect(await driver.inspect(spec.serverId)).toEqual({
        state: 'alive',
        pid: 0,
        startedAt: info.startedAt,
        generation: 3,
      });
      const config = await get<V1ConfigMap>(
        `/api/v1/namespaces/${NAMESPACE}/configmaps/${resourceName(spec.serverId)}-config`,
      );
      expect(config.data?.['server.properties']).toMatch(/^motd=On Kubernetes$/m);
      expect(config.data?.['server.properties']).toMatch(/^max-players=7$/m);
      // The made-up pod address is never contacted: no address, no ping.
      await expect(driver.ping(spec.serverId, 500)).rejects.toMatchObject({ code: 'SERVER_NOT_RUNNING' });

      const exit = await driver.stop(spec.serverId, { timeoutMs: 15_000 });
      expect(exit).toMatchObject({ code: 0, signal: null, generation: 3 });
      const stopped = await eventually('phase Stopped', async () => {
        const s = await get<ServerResource>(path);
        return s.status?.phase === 'Stopped' ? s : undefined;
      });
      expect(stopped.spec.state).toBe('Stopped');
      const sts = await get<V1StatefulSet>(
        `/apis/apps/v1/namespaces/${NAMESPACE}/statefulsets/${resourceName(spec.serverId)}`,
      );
      expect(sts.spec?.replicas).toBe(0);
      const exited = { state: 'exited', exit: { code: 0, signal: null, at: exit!.at, generation: 3 } };
      expect(await driver.inspect(spec.serverId)).toEqual(exited);

      // Events come from the watch: the phases the operator reported and the recorded exit.
      await eventually('the exit event', async () =>
        events.some((e) => e.type === 'exit' && e.serverId === spec.serverId && e.exit.generation === 3),
      );
      const phases = events.flatMap((e) =>
        e.type === 'console' && e.serverId === spec.serverId ? [e.line.message] : [],
      );
      // (Whether the operator reported Stopped before the start depends on timing: not asserted.)
      const running = phases.findIndex((m) => m.endsWith('→ Running'));
      expect(running, phases.join(' | ')).toBeGreaterThanOrEqual(0);
      expect(phases.slice(running + 1).at(-1), phases.join(' | ')).toBe('Kubernetes: Stopping → Stopped');
      await driver.close();

      // A new driver (a restarted control plane) reads the same state from the cluster.
      const next = newDriver();
      expect(await next.adopt([spec.serverId])).toEqual(new Map([[spec.serverId, exited]]));
      expect(await next.kill(spec.serverId)).toBeNull();

      await next.remove(spec.serverId);
      await next.remove(spec.serverId);
      expect(await next.inspect(spec.serverId)).toEqual({ state: 'absent' });
      await eventually('every object of the server to be gone', () => allGone(objectPaths(spec.serverId)));
      // Its tenant's last server is gone: so is the tenant's policy.
      expect(await gone(`${policies}/${tenantPolicyName(spec.tenantId)}`)).toBe(true);
      await next.close();
    }, 60_000);

    const ports = new Map<number, string>();
    runtimeDriverConformance('kubernetes (operator + fake node)', {
      createDriver: async () => {
        const driver = newDriver();
        await driver.watching();
        return driver;
      },
      newSpec: async () => {
        const { serverId, host, properties } = conformanceGame;
        const port = await freePort();
        ports.set(port, serverId);
        node.addresses.set(`${NAMESPACE}/${podName(serverId)}`, host);
        return {
          serverId,
          tenantId: randomUUID(),
          name: 'conformance',
          distribution: 'flying-squid',
          minecraftVersion: BOT_TEST_VERSION,
          bindHost: '0.0.0.0',
          port,
          memoryMb: 512,
          cpuMillicores: 1000,
          maxPlayers: 5,
          properties: { ...properties, 'view-distance': 4 },
        };
      },
      address: (spec) => ({
        host: node.addresses.get(`${NAMESPACE}/${podName(spec.serverId)}`)!,
        port: GAME_PORT,
      }),
      crash: () => Promise.reject(new Error('the Kubernetes harness does not crash pods')),
      // Nothing serves the server any more: its resource, StatefulSet, Service, pod and volume are gone.
      // (The world volume's claim is deleted by the StatefulSet controller a moment after the rest.)
      // A failure names what is left rather than answering false.
      portIsFree: (port) =>
        eventually('the objects to be gone', () => allGone(objectPaths(ports.get(port)!))),
      players: { join: (address, options) => joinBot(address, options) },
      unsupported: {
        console: 'no console without the in-pod agent',
        stats: 'no process statistics without the in-pod agent',
        files: 'no server files without the in-pod agent',
        logs: 'no captured log without the in-pod agent',
        crash:
          'a crashed container is restarted in place by the kubelet; the driver reports a crash loop (phase Failed), which FakeNode does not play',
      },
    });
  },
);
