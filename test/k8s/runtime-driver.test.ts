// The Kubernetes runtime driver against a real API server, the real StatefulSet controller, garbage
// collector and EndpointSlice controller, the operator running in-process and FakeNode playing the kubelet
// (cluster.ts, fake-node.ts): it runs each pod's container (the flying-squid image's entrypoint) as a
// process in a network namespace of its own, so the pod's address is where its game really answers and
// its Service gets that address as an endpoint. The lifecycle test checks what the driver writes and reads
// of the cluster; the port's conformance suite then runs with real games in real pods. Features without
// the in-pod agent are named skips. The control plane and gateway on this driver:
// platform-on-kubernetes.test.ts.
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V1ConfigMap, V1EndpointSlice, V1Pod, V1Secret, V1StatefulSet } from '@kubernetes/client-node';
import type { RuntimeEvent, ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { isStatus } from '@minefleet/runtime-kubernetes/kube/client';
import { KubernetesDriver } from '@minefleet/runtime-kubernetes/kubernetes-driver';
import { HOLDER_PREFIX } from '@minefleet/runtime-kubernetes/maintenance';
import {
  AGENT_PORT,
  CONSOLE_PASSWORD_KEY,
  SERVER_ID_LABEL,
  TENANT_LABEL,
  consoleSecretName,
  podName,
  resourceName,
  resourcePath,
  type ServerResource,
} from '@minefleet/runtime-kubernetes/resource';
import { DEFAULT_POLICY, tenantPolicyName } from '@minefleet/runtime-kubernetes/tenant-isolation';
import { runtimeDriverConformance } from '@minefleet/runtime-local/conformance';
import { FileTrash, TRASH_RETENTION_MS } from '@minefleet/services/files/file-trash';
import { FilesHousekeeping } from '@minefleet/services/files/files-housekeeping';
import { ConsoleConnection } from '@minefleet/runtime-local/console-connection';
import { BOT_TEST_VERSION, freePort, joinBot } from '@minefleet/testkit/minecraft';
import { GAME_PORT } from '../../apps/operator/src/builders/common.js';
import type { Operator } from '../../apps/operator/src/operator.js';
import { clusterUnavailable, eventually, startCluster, type TestCluster } from './cluster.js';
import type { FakeNode } from './fake-node.js';
import { startGameNamespace } from './game-namespace.js';

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

/** A flying-squid server of a fresh tenant, as the lifecycle would deploy it. */
const squidSpec = (name: string): ServerSpec => ({
  serverId: randomUUID(),
  tenantId: randomUUID(),
  name,
  distribution: 'flying-squid',
  minecraftVersion: BOT_TEST_VERSION,
  bindHost: '0.0.0.0',
  port: 25565,
  memoryMb: 512,
  cpuMillicores: 500,
  maxPlayers: 5,
  properties: {},
});

/** Where the pod's game answers: its address, the game port (as MINEFLEET_K8S_ADDRESS=pod-ip). */
const podAddress = (_server: ServerResource, pod: V1Pod) =>
  pod.status?.podIP ? { host: pod.status.podIP, port: GAME_PORT } : undefined;

describe.skipIf(unavailable)(
  `Kubernetes runtime driver on a real API server${unavailable ? ' (skipped: no Kubernetes binaries in /opt/minefleet-k8s/bin and no MINEFLEET_K8S_KUBECONFIG)' : ''}`,
  () => {
    let cluster: TestCluster;
    let node: FakeNode;
    let operator: Operator;

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
      new KubernetesDriver({ api: cluster.api, namespace: NAMESPACE, address: podAddress, pollMs: 50 });

    beforeAll(async () => {
      cluster = await startCluster();
      ({ node, operator } = await startGameNamespace(cluster, NAMESPACE, { runContainers: true }));
    }, 240_000);

    afterAll(async () => {
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
      expect(fence.spec.ingress[0]?.ports).toEqual([
        { port: 25565, protocol: 'TCP' },
        { port: AGENT_PORT, protocol: 'TCP' },
      ]);
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
      // The pod's container runs the game at the pod's own address, with the operator's configuration.
      const podIP = pod.status?.podIP ?? '';
      expect(podIP).toMatch(node.runsInNamespaces ? /^10\./ : /^127\./);
      expect(await driver.endpoint?.(spec.serverId)).toEqual({ host: podIP, port: GAME_PORT });
      const ping = await driver.ping(spec.serverId, 5_000);
      expect(ping).toMatchObject({ motd: 'On Kubernetes', maxPlayers: 7, onlinePlayers: 0 });
      // The in-pod agent serves the console to whoever proves the server's console password, no one else.
      const secret = await get<V1Secret>(
        `/api/v1/namespaces/${NAMESPACE}/secrets/${consoleSecretName(spec.serverId)}`,
      );
      const password = Buffer.from(secret.data![CONSOLE_PASSWORD_KEY]!, 'base64').toString('utf8');
      const agent = { host: podIP, port: AGENT_PORT };
      await expect(ConsoleConnection.connectAgent(agent, `${password}x`)).rejects.toThrow(
        /refused: unauthorized/,
      );
      await expect(ConsoleConnection.connectAgent(agent, '')).rejects.toThrow(/refused: unauthorized/);
      const direct = await ConsoleConnection.connectAgent(agent, password);
      expect((await direct.hello()).pid).toBeGreaterThan(0);
      direct.close();
      // Through the driver: a command's output comes back as console events.
      const from = events.length;
      await driver.sendCommand(spec.serverId, 'say through the agent');
      await eventually('the command and its output as console events', async () =>
        events
          .slice(from)
          .some(
            (e) =>
              e.type === 'console' &&
              e.serverId === spec.serverId &&
              e.line.source !== 'command' &&
              e.line.message.includes('through the agent'),
          ),
      );

      // The Service's endpoint is that address, ready (the EndpointSlice controller refuses loopback ones).
      if (node.runsInNamespaces) {
        const slices = `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`;
        const selector = `kubernetes.io/service-name=${resourceName(spec.serverId)}`;
        await eventually('the Service to have the pod as a ready endpoint', async () => {
          const { items } = await get<{ items: V1EndpointSlice[] }>(
            `${slices}?labelSelector=${encodeURIComponent(selector)}`,
          );
          const endpoints = items.flatMap((slice) => slice.endpoints);
          return endpoints.some((e) => e.addresses.includes(podIP) && e.conditions?.ready === true);
        });
      }

      // A container that dies is restarted in place by the node (restartPolicy Always): the same pod and
      // address, its game answers again, and the server never stopped being alive (no exit reported).
      const podKey = `${NAMESPACE}/${podName(spec.serverId)}`;
      if (node.runsInNamespaces) {
        (await node.container(podKey))!.crash();
        const restarted = await eventually('the container to be restarted and Ready', async () => {
          const p = await get<V1Pod>(`/api/v1/namespaces/${NAMESPACE}/pods/${podName(spec.serverId)}`);
          const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
          return p.status?.containerStatuses?.[0]?.restartCount === 1 && ready ? p : undefined;
        });
        expect(restarted.metadata?.uid).toBe(pod.metadata?.uid);
        expect(restarted.status?.podIP).toBe(podIP);
        expect(restarted.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(137);
        expect((await driver.ping(spec.serverId, 5_000)).motd).toBe('On Kubernetes');
        expect(await driver.inspect(spec.serverId)).toMatchObject({ state: 'alive', generation: 3 });
        expect(events.filter((e) => e.type === 'exit' && e.serverId === spec.serverId)).toEqual([]);
      }

      // The stop: the operator scales the StatefulSet to 0, the node runs the pod's preStop hook (the
      // announcement, then the console's stop) within its grace period and the game exits on its own.
      const exit = await driver.stop(spec.serverId, { timeoutMs: 30_000 });
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

    it('reaches a stopped server’s volume through a maintenance pod (the agent alone) for archives, then stops it again; a start runs its pre-start commands once', async () => {
      const spec = squidSpec('maintained');
      const driver = new KubernetesDriver({
        api: cluster.api,
        namespace: NAMESPACE,
        address: podAddress,
        pollMs: 50,
        maintenanceLingerMs: 300,
      });
      await driver.watching();
      const path = resourcePath(NAMESPACE, resourceName(spec.serverId));
      const podPath = `/api/v1/namespaces/${NAMESPACE}/pods/${podName(spec.serverId)}`;
      try {
        await driver.deploy(spec);
        const archives = driver.archives();
        // Never started: the volume is empty until the maintenance pod's agent makes the server's folder.
        const seen = await archives.use(spec.serverId, async (files) => {
          // The operator reports the phase once it sees the pod ready (the driver looks at the pod itself).
          const resource = await eventually('phase Maintenance', async () => {
            const r = await get<ServerResource>(path);
            return r.status?.phase === 'Maintenance' ? r : undefined;
          });
          const pod = await get<V1Pod>(podPath);
          const total = await files.measure();
          const archive = files.archive({ compression: 'gzip' });
          const chunks: Uint8Array[] = [];
          for await (const chunk of archive.stream) chunks.push(chunk);
          return { resource, pod, total, summary: await archive.summary, bytes: Buffer.concat(chunks) };
        });
        expect(seen.resource.spec.state).toBe('Maintenance');
        expect(seen.pod.spec?.containers[0]?.env).toContainEqual({
          name: 'MINEFLEET_MODE',
          value: 'maintenance',
        });
        expect(seen.total).toBe(0);
        expect(seen.summary.sizeBytes).toBe(seen.bytes.length);
        expect(seen.summary.sha256).toBe(createHash('sha256').update(seen.bytes).digest('hex'));
        // The server stays stopped meanwhile: no game, nothing alive.
        expect(await driver.inspect(spec.serverId)).toEqual({ state: 'absent' });
        await expect(driver.ping(spec.serverId, 1_000)).rejects.toMatchObject({ code: 'SERVER_NOT_RUNNING' });
        // After its last use it goes, and the resource is Stopped again.
        await eventually('the maintenance pod to go', async () => {
          const resource = await get<ServerResource>(path);
          return resource.spec.state === 'Stopped' && (await gone(podPath));
        });
        // A start replaces any maintenance pod with the game's; its pre-start commands run before players
        // can join (the launcher runs them), once: a container restarted in the pod does not run them again.
        await driver.start(spec, { generation: 1, preStartCommands: ['whitelist add Boss'] });
        await eventually(
          'the game to answer',
          async () => (await driver.ping(spec.serverId, 2_000)).motd !== undefined,
        );
        // While the game runs, archives go through its pod (no maintenance state).
        const hot = await archives.use(spec.serverId, async (files) => ({
          state: (await get<ServerResource>(path)).spec.state,
          total: await files.measure(),
        }));
        expect(hot.state).toBe('Running');
        expect(hot.total).toBeGreaterThan(0);
        const whitelisted = async () =>
          JSON.parse(
            new TextDecoder().decode(await driver.files().read(spec.serverId, 'whitelist.json', 65_536)),
          )
            .map((e: { name: string }) => e.name)
            .includes('Boss') as boolean;
        expect(await whitelisted()).toBe(true);
        if (node.runsInNamespaces) {
          await driver.sendCommand(spec.serverId, 'whitelist remove Boss');
          await eventually('Boss off the whitelist', async () => !(await whitelisted()));
          (await node.container(`${NAMESPACE}/${podName(spec.serverId)}`))!.crash();
          await eventually('the container to be restarted and answer', async () => {
            const p = await get<V1Pod>(podPath);
            return (
              p.status?.containerStatuses?.[0]?.restartCount === 1 &&
              (await driver.ping(spec.serverId, 2_000).then(
                () => true,
                () => false,
              ))
            );
          });
          expect(await whitelisted()).toBe(false);
        }
        // The files' upkeep reaches the volume the same way: an expired trash item is purged through the agent.
        let clock = Date.now();
        const files = driver.files();
        await files.write(spec.serverId, 'old-notes.txt', new TextEncoder().encode('old'));
        const trash = new FileTrash(files, () => clock);
        const item = await trash.put(spec.serverId, 'old-notes.txt', 'u');
        const housekeeping = new FilesHousekeeping({
          files,
          serverIds: async () => [spec.serverId],
          now: () => clock,
        });
        expect(await housekeeping.purgeExpiredTrash()).toEqual({});
        clock = Date.parse(item.deletedAt) + TRASH_RETENTION_MS + 1;
        expect(await housekeeping.purgeExpiredTrash()).toEqual({ [spec.serverId]: 1 });
        expect(await trash.list(spec.serverId)).toEqual([]);
      } finally {
        await driver.remove(spec.serverId);
        await driver.close();
      }
    }, 90_000);

    it('a maintenance pod held by another control plane is left alone; once its holder’s time runs out (killed), a sweep stops it', async () => {
      const spec = squidSpec('abandoned');
      const options = { api: cluster.api, namespace: NAMESPACE, address: podAddress, pollMs: 50 };
      // A keeps its pod an hour after its last use and never sweeps: as if it were killed after using it.
      const a = new KubernetesDriver({ ...options, maintenanceLingerMs: 3_600_000, maintenanceSweepMs: 0 });
      const b = new KubernetesDriver({ ...options, maintenanceSweepMs: 0 });
      const path = resourcePath(NAMESPACE, resourceName(spec.serverId));
      const podPath = `/api/v1/namespaces/${NAMESPACE}/pods/${podName(spec.serverId)}`;
      try {
        await a.deploy(spec);
        await a.archives().use(spec.serverId, async (files) => {
          await files.measure();
          // Held by A right now: B's sweep leaves it.
          expect(await b.sweepMaintenance()).toEqual([]);
        });
        const held = await get<ServerResource>(path);
        expect(held.spec.state).toBe('Maintenance');
        const holders = Object.keys(held.metadata.annotations ?? {}).filter((k) =>
          k.startsWith(HOLDER_PREFIX),
        );
        expect(holders).toHaveLength(1);
        // Still within A's time (it renews it while it works, and it may come back within its linger).
        expect(await b.sweepMaintenance()).toEqual([]);
        // A's time runs out (nobody renews it: A was killed).
        await cluster.api.request('PATCH', path, {
          body: { metadata: { annotations: { [holders[0]!]: '2000-01-01T00:00:00.000Z' } } },
          contentType: 'application/merge-patch+json',
        });
        expect(await b.sweepMaintenance()).toEqual([spec.serverId]);
        const swept = await get<ServerResource>(path);
        expect(swept.spec.state).toBe('Stopped');
        expect(
          Object.keys(swept.metadata.annotations ?? {}).filter((k) => k.startsWith(HOLDER_PREFIX)),
        ).toEqual([]);
        await eventually('the maintenance pod to go', () => gone(podPath));
      } finally {
        await b.remove(spec.serverId);
        await a.close();
        await b.close();
      }
    }, 60_000);

    const ports = new Map<number, string>();
    runtimeDriverConformance('kubernetes (operator + test node)', {
      createDriver: async () => {
        const driver = newDriver();
        await driver.watching();
        return driver;
      },
      newSpec: async () => {
        const serverId = randomUUID();
        const port = await freePort();
        ports.set(port, serverId);
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
          properties: {
            motd: 'Conformance suite',
            gamemode: 'creative',
            'level-type': 'minecraft:flat',
            'view-distance': 4,
          },
        };
      },
      // Players go where the pod runs: its address as it is now (a new pod after a restart has another).
      address: (spec) => ({
        host: node.podIP(`${NAMESPACE}/${podName(spec.serverId)}`) ?? '0.0.0.0',
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
        files: 'no server files without the in-pod agent',
        crash:
          'a crashed container is restarted in place by the kubelet (the test node does so too), so the server does not exit; a crash loop is reported as phase Failed',
      },
    });
  },
);
