// The operator against a real Kubernetes API server with etcd, the garbage collector and the
// StatefulSet controller (scripts/k8s/cluster.sh). There is no kubelet: FakeNode binds pods and reports
// them Running/Ready and confirms their deletion, kwok-style; everything else is the real thing.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CoreV1Event,
  V1ConfigMap,
  V1Lease,
  V1PersistentVolumeClaim,
  V1Secret,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { BOT_TEST_VERSION, joinBot, type TestBot } from '@minefleet/testkit/minecraft';
import { freePort } from '@minefleet/testkit/ports';
import { GAME_PORT } from '../../apps/operator/src/builders/common.js';
import type { MinecraftServer } from '../../apps/operator/src/crd/schema.js';
import {
  PATCH,
  isStatus,
  type KubeApi,
  type RequestOptions,
} from '@minefleet/runtime-kubernetes/kube/client';
import { createLogger } from '../../apps/operator/src/log.js';
import { createMetrics } from '../../apps/operator/src/metrics.js';
import { Operator } from '../../apps/operator/src/operator.js';
import { serverPath } from '../../apps/operator/src/reconciler.js';
import { clusterUnavailable, eventually, ROOT, startCluster, type TestCluster } from './cluster.js';
import { FakeNode } from './fake-node.js';
import { startImageGame, type ImageGame } from './image-game.js';
import { PRODUCTION_VALUES, render } from './helm.js';

const unavailable = clusterUnavailable();
if (unavailable) console.warn(`\n!!! SKIPPING the Kubernetes operator suite: ${unavailable} !!!\n`);

const images = { java: 'itzg/minecraft-server:java21', flyingSquid: 'ghcr.io/minefleet/flying-squid:test' };
const squid = (extra: Record<string, unknown> = {}) => ({
  server: { distribution: 'flying-squid', version: '1.21.4' },
  resources: { cpu: '250m', memory: '512Mi' },
  storage: { size: '1Gi' },
  ...extra,
});

describe.skipIf(unavailable)(
  `operator on a real API server${unavailable ? ' (skipped: no Kubernetes binaries in /opt/minefleet-k8s/bin and no MINEFLEET_K8S_KUBECONFIG)' : ''}`,
  () => {
    let cluster: TestCluster;
    let node: FakeNode;
    let operator: Operator;
    const metrics = createMetrics();
    /** Lets a test act just before a request of the operator reaches the API server. */
    let beforeRequest:
      ((method: string, path: string, options?: RequestOptions) => Promise<void>) | undefined;

    const api = () => cluster.api;
    const namespace = async (name: string) => {
      await api().request('POST', '/api/v1/namespaces', {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
      });
      return name;
    };
    const create = (ns: string, name: string, spec: Record<string, unknown>) =>
      api().request<MinecraftServer>('POST', serverPath(ns), {
        body: { apiVersion: 'minefleet.io/v1alpha1', kind: 'MinecraftServer', metadata: { name }, spec },
      });
    const get = (ns: string, name: string) => api().request<MinecraftServer>('GET', serverPath(ns, name));
    const patchSpec = (ns: string, name: string, spec: Record<string, unknown>) =>
      api().request<MinecraftServer>('PATCH', serverPath(ns, name), {
        body: { spec },
        contentType: PATCH.merge,
      });
    const sts = (ns: string, name: string) =>
      api().request<V1StatefulSet>('GET', `/apis/apps/v1/namespaces/${ns}/statefulsets/${name}`);
    const core = <T>(ns: string, kind: string, name: string) =>
      api().request<T>('GET', `/api/v1/namespaces/${ns}/${kind}/${name}`);
    const gone = async (read: () => Promise<unknown>) => {
      try {
        await read();
        return false;
      } catch (error) {
        return isStatus(error, 404);
      }
    };
    /** The server's status once it reflects its current generation and satisfies `ok`. */
    const converged = (
      ns: string,
      name: string,
      ok: (s: MinecraftServer) => boolean = () => true,
      timeoutMs = 20_000,
    ) =>
      eventually(
        `${ns}/${name} to converge`,
        async () => {
          const s = await get(ns, name);
          return s.status?.observedGeneration === s.metadata.generation && ok(s) ? s : undefined;
        },
        timeoutMs,
      );

    beforeAll(async () => {
      cluster = await startCluster();
      node = new FakeNode(cluster.api);
      await node.start();
    }, 240_000);

    afterAll(async () => {
      await node?.stop();
      await cluster?.stop();
    }, 120_000);

    describe('one operator', () => {
      beforeAll(async () => {
        const wrapped: KubeApi = {
          request: async <T>(method: string, p: string, options?: RequestOptions) => {
            if (beforeRequest) await beforeRequest(method, p, options);
            return cluster.api.request<T>(method, p, options);
          },
          watch: (p, q, on, signal) => cluster.api.watch(p, q, on, signal),
        };
        operator = new Operator(
          {
            workers: 4,
            resyncSeconds: 30,
            images,
            retry: { baseDelayMs: 100, maxDelayMs: 2000 },
            httpPort: 0,
            httpHost: '127.0.0.1',
            // The fake node's pod addresses lead nowhere: no player-count pings (tested on their own below).
            playersIntervalSeconds: 0,
          },
          { api: wrapped, log: createLogger('warn'), metrics },
        );
        await operator.start();
      }, 60_000);

      afterAll(async () => {
        await operator?.stop();
      }, 60_000);

      it('creates the four owned objects with owner references and reports Running once the pod is ready', async () => {
        const ns = await namespace('create');
        const created = await create(
          ns,
          'alpha',
          squid({ properties: { motd: 'Hello', difficulty: 'hard' } }),
        );
        const s = await converged(ns, 'alpha', (x) => x.status?.phase === 'Running');
        const owner = {
          apiVersion: 'minefleet.io/v1alpha1',
          kind: 'MinecraftServer',
          name: 'alpha',
          uid: created.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        };
        const objects = [
          await sts(ns, 'alpha'),
          await core<V1Service>(ns, 'services', 'alpha'),
          await core<V1ConfigMap>(ns, 'configmaps', 'alpha-config'),
          await core<V1Secret>(ns, 'secrets', 'alpha-console'),
        ];
        for (const o of objects) expect(o.metadata?.ownerReferences).toEqual([owner]);
        const conditions = Object.fromEntries((s.status?.conditions ?? []).map((c) => [c.type, c]));
        expect(conditions).toMatchObject({
          Ready: { status: 'True', observedGeneration: 1 },
          Progressing: { status: 'False' },
          Degraded: { status: 'False' },
          StorageReady: { status: 'True' },
          ConfigApplied: { status: 'True' },
        });
        expect(s.status).toMatchObject({
          endpoint: { host: 'alpha.create.svc', port: 25565 },
          resolved: { image: images.flyingSquid, version: '1.21.4' },
          players: { max: 20 },
        });
        expect(s.metadata.finalizers).toEqual(['minefleet.io/retain-volume']);

        const table = await cluster.kubectl(['get', 'mcs', '-n', ns]);
        expect(table.stderr).toBe('');
        const [header, row] = table.stdout.split('\n');
        // Columns are cut at the header's offsets (an empty cell is blank, not a word).
        const starts = [...header!.matchAll(/\S+/g)].map((m) => m.index);
        const cells = starts.map((start, i) => row!.slice(start, starts[i + 1]).trim());
        expect(header!.split(/\s+/).filter(Boolean)).toEqual([
          'NAME',
          'PHASE',
          'PLAYERS',
          'ADDRESS',
          'VERSION',
          'AGE',
        ]);
        expect(cells.slice(0, 5)).toEqual(['alpha', 'Running', '', 'alpha.create.svc', '1.21.4']);
        expect(cells[5]).toMatch(/^\d+s$/);

        // What kubectl describe shows: an event per phase the server entered, about this object.
        const events = await eventually('phase events', async () => {
          const list = await api().request<{ items: CoreV1Event[] }>(
            'GET',
            `/api/v1/namespaces/${ns}/events`,
            {
              query: { fieldSelector: `involvedObject.uid=${created.metadata.uid}` },
            },
          );
          return list.items.some((e) => e.reason === 'Running') ? list.items : undefined;
        });
        expect(events.map((e) => e.reason)).toContain('Running');
        expect(events.find((e) => e.reason === 'Running')).toMatchObject({
          type: 'Normal',
          involvedObject: { kind: 'MinecraftServer', name: 'alpha', namespace: ns },
          source: { component: 'minefleet-operator' },
          message: expect.stringMatching(/→ Running/),
        });
        const described = await cluster.kubectl(['describe', 'mcs', 'alpha', '-n', ns]);
        expect(described.stdout).toMatch(/Normal\s+Running/);
      });

      it('a spec change updates the StatefulSet and ConfigMap, rolls the pod and moves observedGeneration', async () => {
        const ns = await namespace('change');
        await create(ns, 'beta', squid());
        await converged(ns, 'beta', (x) => x.status?.phase === 'Running');
        const before = await sts(ns, 'beta');
        const readyAt = (await get(ns, 'beta')).status!.conditions!.find(
          (c) => c.type === 'Ready',
        )!.lastTransitionTime;
        await patchSpec(ns, 'beta', {
          resources: { memory: '768Mi' },
          properties: { motd: 'Changed', 'view-distance': 12 },
        });
        const after = await converged(
          ns,
          'beta',
          (x) =>
            x.status?.conditions?.find((c) => c.type === 'ConfigApplied')?.status === 'True' &&
            x.status.phase === 'Running',
        );
        expect(after.metadata.generation).toBe(2);
        expect(after.status?.observedGeneration).toBe(2);
        const set = await sts(ns, 'beta');
        const container = set.spec!.template.spec!.containers[0]!;
        expect(container.resources).toEqual({
          requests: { cpu: '250m', memory: '768Mi' },
          limits: { memory: '768Mi' },
        });
        const hash = (x: V1StatefulSet) =>
          x.spec!.template.metadata!.annotations!['minefleet.io/config-hash'];
        expect(hash(set)).not.toBe(hash(before));
        const cm = await core<V1ConfigMap>(ns, 'configmaps', 'beta-config');
        expect(cm.data!['server.properties']).toContain('motd=Changed');
        expect(cm.data!['server.properties']).toContain('view-distance=12');
        // Ready stayed True through the change (the new pod was ready): its transition time did not move.
        const ready = after.status!.conditions!.find((c) => c.type === 'Ready')!;
        expect(ready.observedGeneration).toBe(2);
        if (ready.status === 'True') expect(ready.lastTransitionTime >= readyAt).toBe(true);
      });

      it('state Stopped scales to 0 and the phase follows the pod: Stopping, then Stopped', async () => {
        const ns = await namespace('stop');
        await create(ns, 'gamma', squid());
        await converged(ns, 'gamma', (x) => x.status?.phase === 'Running');
        const phases = new Set<string>();
        await patchSpec(ns, 'gamma', { state: 'Stopped' });
        const stopped = await eventually('gamma stopped', async () => {
          const s = await get(ns, 'gamma');
          if (s.status?.phase) phases.add(s.status.phase);
          return s.status?.phase === 'Stopped' && s.status.observedGeneration === 2 ? s : undefined;
        });
        expect((await sts(ns, 'gamma')).spec!.replicas).toBe(0);
        expect(await gone(() => core(ns, 'pods', 'gamma-0'))).toBe(true);
        expect(stopped.status!.conditions!.find((c) => c.type === 'Ready')).toMatchObject({
          status: 'False',
          reason: 'Stopped',
        });
        // The claim (the world) is still there.
        expect(
          (await core<V1PersistentVolumeClaim>(ns, 'persistentvolumeclaims', 'data-gamma-0')).status?.phase,
        ).toBe('Bound');
        await patchSpec(ns, 'gamma', { state: 'Running' });
        await converged(ns, 'gamma', (x) => x.status?.phase === 'Running');
      });

      it('refuses invalid specs in the API server with readable messages', async () => {
        const ns = await namespace('invalid');
        const manifest = (name: string, spec: Record<string, unknown>) =>
          JSON.stringify({
            apiVersion: 'minefleet.io/v1alpha1',
            kind: 'MinecraftServer',
            metadata: { name, namespace: ns },
            spec,
          });
        const refused = async (name: string, spec: Record<string, unknown>) => {
          const r = await cluster.kubectl(['apply', '-f', '-'], manifest(name, spec));
          expect(r.code).not.toBe(0);
          return r.stderr;
        };
        const paper = { server: { distribution: 'paper', version: '1.21.4' }, resources: { memory: '2Gi' } };
        expect(await refused('no-eula', { ...paper, eula: false })).toContain(
          'spec.eula must be true to run a Java distribution',
        );
        expect(await refused('small', { ...paper, eula: true, resources: { memory: '512Mi' } })).toContain(
          'spec.resources.memory must be at least 1024Mi (1Gi) for a Java distribution',
        );
        expect(await refused('forge', { server: { distribution: 'forge', version: '1.21.4' } })).toMatch(
          /spec\.server\.distribution: Unsupported value: "forge": supported values: "flying-squid", "paper"/,
        );
        expect(await refused('far', squid({ properties: { 'view-distance': 99 } }))).toContain(
          'spec.properties.view-distance: Invalid value: 99: spec.properties.view-distance in body should be less than or equal to 32',
        );
        expect(
          await refused('squid-old', squid({ server: { distribution: 'flying-squid', version: '1.7.10' } })),
        ).toContain('spec.server.version is not a version flying-squid supports');
        // A storage size cannot change after creation (a StatefulSet's claim template is immutable).
        await create(ns, 'fixed', squid());
        const resize = await cluster.kubectl([
          'patch',
          'mcs',
          'fixed',
          '-n',
          ns,
          '--type=merge',
          '-p',
          '{"spec":{"storage":{"size":"2Gi"}}}',
        ]);
        expect(resize.stderr).toContain('spec.storage.size cannot change after creation');
        const ok = await cluster.kubectl(['apply', '-f', '-'], manifest('fine', { ...paper, eula: true }));
        expect(ok.stderr).toBe('');
      });

      it('deleting a server removes what it owned through the garbage collector and keeps a retained world volume', async () => {
        const ns = await namespace('delete');
        await create(ns, 'kept', squid());
        await create(ns, 'dropped', squid({ storage: { size: '1Gi', retainOnDelete: false } }));
        await converged(ns, 'kept', (x) => x.status?.phase === 'Running');
        await converged(ns, 'dropped', (x) => x.status?.phase === 'Running');
        expect((await get(ns, 'dropped')).metadata.finalizers ?? []).toEqual([]);
        await api().request('DELETE', serverPath(ns, 'kept'));
        await api().request('DELETE', serverPath(ns, 'dropped'));
        for (const name of ['kept', 'dropped']) {
          await eventually(`${name}'s objects to be collected`, async () => {
            const all = await Promise.all([
              gone(() => get(ns, name)),
              gone(() => sts(ns, name)),
              gone(() => core(ns, 'services', name)),
              gone(() => core(ns, 'configmaps', `${name}-config`)),
              gone(() => core(ns, 'secrets', `${name}-console`)),
              gone(() => core(ns, 'pods', `${name}-0`)),
            ]);
            return all.every(Boolean);
          });
        }
        const kept = await core<V1PersistentVolumeClaim>(ns, 'persistentvolumeclaims', 'data-kept-0');
        expect(kept.metadata?.labels?.['minefleet.io/retained']).toBe('true');
        expect(kept.metadata?.annotations?.['minefleet.io/retained-from']).toMatch(/^kept \(uid /);
        // The operator deletes an unretained claim of a deleted server itself (the StatefulSet may be
        // collected before Kubernetes' StatefulSet controller made it the claim's owner); the protection
        // controller lifts the claim's finalizer once no pod uses it. Under a loaded CI run that chain
        // once took more than 20 s.
        let claim: V1PersistentVolumeClaim | undefined;
        try {
          await eventually(
            'the unretained claim to be deleted',
            async () => {
              const deleted = await gone(async () => {
                claim = await core<V1PersistentVolumeClaim>(ns, 'persistentvolumeclaims', 'data-dropped-0');
              });
              return deleted;
            },
            60_000,
          );
        } catch (error) {
          const m = claim?.metadata;
          throw new Error(
            `${(error as Error).message}; the claim: owners ${JSON.stringify(m?.ownerReferences ?? [])}, finalizers ${JSON.stringify(m?.finalizers ?? [])}, deletion ${m?.deletionTimestamp ? String(m.deletionTimestamp) : 'not started'}`,
          );
        }
        // The claim's wait alone may take 60 s: the test's own time allows it and the rest, so a slow chain
        // ends in the message above rather than in a bare timeout.
      }, 120_000);

      it('deletes an unretained claim the StatefulSet never owned, and leaves retained ones', async () => {
        // The StatefulSet controller makes an unretained claim's owner only on a pass over the set after
        // the claim exists; a StatefulSet collected before that pass (a server deleted soon after it was
        // made: seen on CI) leaves the claim with no owner for the garbage collector to follow. Taking
        // the owner off by hand before the delete makes that state every time.
        const ns = await namespace('unowned');
        await create(ns, 'drop', squid({ storage: { size: '1Gi', retainOnDelete: false } }));
        await create(ns, 'keep', squid());
        await converged(ns, 'drop', (x) => x.status?.phase === 'Running');
        await converged(ns, 'keep', (x) => x.status?.phase === 'Running');
        const claimOf = (name: string) =>
          core<V1PersistentVolumeClaim>(ns, 'persistentvolumeclaims', `data-${name}-0`);
        await eventually(
          'the StatefulSet to own the unretained claim',
          async () => ((await claimOf('drop')).metadata?.ownerReferences ?? []).length > 0,
        );
        await api().request('PATCH', `/api/v1/namespaces/${ns}/persistentvolumeclaims/data-drop-0`, {
          body: { metadata: { ownerReferences: null } },
          contentType: PATCH.merge,
        });
        await api().request('DELETE', serverPath(ns, 'drop'));
        await api().request('DELETE', serverPath(ns, 'keep'));
        let claim: V1PersistentVolumeClaim | undefined;
        await eventually(
          'the unowned, unretained claim to be deleted',
          () => gone(async () => (claim = await claimOf('drop'))),
          30_000,
        ).catch((error: Error) => {
          const m = claim?.metadata;
          throw new Error(
            `${error.message}; owners ${JSON.stringify(m?.ownerReferences ?? [])}, deletion ${m?.deletionTimestamp ? 'started' : 'not started'}`,
          );
        });
        await eventually('keep to be collected', () => gone(() => sts(ns, 'keep')));
        const kept = await claimOf('keep');
        expect(kept.metadata?.labels?.['minefleet.io/retained']).toBe('true');
        expect(kept.metadata?.deletionTimestamp).toBeUndefined();
      }, 90_000);

      it('repairs a StatefulSet deleted by hand within seconds', async () => {
        const ns = await namespace('repair');
        await create(ns, 'delta', squid());
        await converged(ns, 'delta', (x) => x.status?.phase === 'Running');
        const old = await sts(ns, 'delta');
        const started = Date.now();
        await api().request('DELETE', `/apis/apps/v1/namespaces/${ns}/statefulsets/delta`);
        const repaired = await eventually(
          'the StatefulSet to come back',
          async () => {
            const s = await sts(ns, 'delta').catch(() => undefined);
            return s && s.metadata!.uid !== old.metadata!.uid ? s : undefined;
          },
          10_000,
        );
        expect(Date.now() - started).toBeLessThan(5_000);
        expect(repaired.spec!.replicas).toBe(1);
      });

      it('a conflict (409) on a status write ends in the same converged state', async () => {
        const ns = await namespace('conflict');
        const errorsBefore =
          (await metrics.reconcileErrors.get()).values.find((v) => v.labels.reason === 'Conflict')?.value ??
          0;
        let conflicts = 0;
        // Just before the operator's first two status writes, another writer changes the server: the
        // operator's write carries the older resourceVersion and the API server answers 409 Conflict.
        beforeRequest = async (method, p) => {
          if (method === 'PATCH' && p === `${serverPath(ns, 'eps')}/status` && conflicts < 2) {
            conflicts += 1;
            await cluster.api.request('PATCH', serverPath(ns, 'eps'), {
              body: { metadata: { annotations: { 'test/bump': String(conflicts) } } },
              contentType: PATCH.merge,
            });
          }
        };
        try {
          await create(ns, 'eps', squid());
          const s = await converged(ns, 'eps', (x) => x.status?.phase === 'Running');
          expect(conflicts).toBe(2);
          expect(s.status?.observedGeneration).toBe(1);
        } finally {
          beforeRequest = undefined;
        }
        const errorsAfter =
          (await metrics.reconcileErrors.get()).values.find((v) => v.labels.reason === 'Conflict')?.value ??
          0;
        expect(errorsAfter - errorsBefore).toBeGreaterThanOrEqual(2);
      });

      it('an API server restart mid-run ends in the same converged state', async () => {
        if (!cluster.dir)
          return console.warn('skipped: the API server restart needs a cluster this suite started');
        const ns = await namespace('restart');
        await create(ns, 'zeta', squid());
        await converged(ns, 'zeta', (x) => x.status?.phase === 'Running');
        const restartsBefore = (await metrics.watchRestarts.get()).values.reduce((n, v) => n + v.value, 0);
        await patchSpec(ns, 'zeta', { properties: { motd: 'before the restart' } });
        await cluster.restartApiServer(1500);
        await patchSpec(ns, 'zeta', { properties: { motd: 'after the restart' } });
        await create(ns, 'eta', squid());
        const z = await converged(
          ns,
          'zeta',
          (x) =>
            x.status?.phase === 'Running' &&
            x.status.conditions?.find((c) => c.type === 'ConfigApplied')?.status === 'True',
          45_000,
        );
        await converged(ns, 'eta', (x) => x.status?.phase === 'Running', 45_000);
        expect(z.status?.observedGeneration).toBe(3);
        expect(
          (await core<V1ConfigMap>(ns, 'configmaps', 'zeta-config')).data!['server.properties'],
        ).toContain('motd=after the restart');
        const restartsAfter = (await metrics.watchRestarts.get()).values.reduce((n, v) => n + v.value, 0);
        expect(restartsAfter).toBeGreaterThan(restartsBefore);
      }, 180_000);

      it('the Helm chart, rendered with default and production-like values, passes the API server dry run', async () => {
        await namespace('minefleet');
        await namespace('games');
        for (const values of [undefined, PRODUCTION_VALUES]) {
          const result = await cluster.kubectl(
            ['apply', '--dry-run=server', '-f', '-'],
            await render(values),
          );
          expect(result.stderr).toBe('');
          expect(result.code).toBe(0);
          expect(result.stdout).toContain('deployment.apps/mf-minefleet-operator created (server dry run)');
          expect(result.stdout).toContain(
            'networkpolicy.networking.k8s.io/mf-minefleet-control-plane created (server dry run)',
          );
        }
      });

      it('serves /metrics, /healthz and /readyz', async () => {
        const base = `http://127.0.0.1:${operator.httpAddress!.port}`;
        expect((await fetch(`${base}/healthz`)).status).toBe(200);
        expect(await (await fetch(`${base}/readyz`)).text()).toBe('ok\n');
        const text = await (await fetch(`${base}/metrics`)).text();
        for (const name of [
          'minefleet_operator_reconcile_duration_seconds_bucket',
          'minefleet_operator_queue_depth',
          'minefleet_operator_reconcile_retries_total',
          'minefleet_operator_reconcile_errors_total{reason="Conflict"}',
          'minefleet_operator_process_resident_memory_bytes',
        ])
          expect(text).toContain(name);
      });
    });

    describe('two operator replicas with leader election', () => {
      const children: ChildProcess[] = [];
      const main = path.join(ROOT, 'apps/operator/dist/main.js');
      const ns = 'leader';

      beforeAll(async () => {
        if (!existsSync(main)) throw new Error(`${main} is missing: build first (npx tsc -b)`);
        await cluster.api.request('POST', '/api/v1/namespaces', {
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        });
      }, 60_000);

      afterAll(() => {
        for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      });

      async function replica(identity: string) {
        const port = await freePort();
        const child = spawn(process.execPath, [main], {
          env: {
            ...process.env,
            KUBECONFIG: cluster.kubeconfig,
            POD_NAME: identity,
            POD_NAMESPACE: ns,
            MINEFLEET_OPERATOR_WATCH_NAMESPACE: ns,
            MINEFLEET_OPERATOR_PLAYERS_SECONDS: '0',
            MINEFLEET_OPERATOR_HTTP_PORT: String(port),
            MINEFLEET_OPERATOR_HTTP_HOST: '127.0.0.1',
            MINEFLEET_OPERATOR_LEASE_DURATION_SECONDS: '4',
            MINEFLEET_OPERATOR_RENEW_DEADLINE_SECONDS: '3',
            MINEFLEET_OPERATOR_RETRY_PERIOD_SECONDS: '1',
            MINEFLEET_FLYING_SQUID_IMAGE: images.flyingSquid,
            LOG_LEVEL: 'warn',
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        children.push(child);
        const metric = async (name: string) => {
          const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
          return line ? Number(line.split(' ').pop()) : 0;
        };
        await eventually(
          `${identity} to be up`,
          async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok,
          30_000,
        );
        return { identity, child, metric };
      }

      const holder = async () =>
        (
          await cluster.api.request<V1Lease>(
            'GET',
            `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases/minefleet-operator`,
          )
        ).spec?.holderIdentity;
      const get = (name: string) => cluster.api.request<MinecraftServer>('GET', serverPath(ns, name));

      it('only the lease holder writes; the other takes over within the lease time when the first is killed', async () => {
        const a = await replica('operator-a');
        const b = await replica('operator-b');
        const first = await eventually('a leader', holder);
        const [leader, standby] = first === a.identity ? [a, b] : [b, a];
        await cluster.api.request('POST', serverPath(ns), {
          body: {
            apiVersion: 'minefleet.io/v1alpha1',
            kind: 'MinecraftServer',
            metadata: { name: 'one' },
            spec: squid(),
          },
        });
        await eventually('one to run', async () => (await get('one')).status?.phase === 'Running');
        expect(await leader.metric('minefleet_operator_leader')).toBe(1);
        expect(await standby.metric('minefleet_operator_leader')).toBe(0);
        expect(
          await leader.metric('minefleet_operator_reconcile_duration_seconds_count{result="success"}'),
        ).toBeGreaterThan(0);
        expect(
          await standby.metric('minefleet_operator_reconcile_duration_seconds_count{result="success"}'),
        ).toBe(0);

        const killedAt = Date.now();
        leader.child.kill('SIGKILL');
        await eventually(
          'the standby to take the lease',
          async () => (await holder()) === standby.identity,
          15_000,
        );
        const takeover = Date.now() - killedAt;
        // Lease 4 s + one retry period (1 s) + the time of a request on a busy machine.
        expect(takeover).toBeLessThan(4_000 + 1_000 + 2_000);
        await cluster.api.request('PATCH', serverPath(ns, 'one'), {
          body: { spec: { properties: { motd: 'new leader' } } },
          contentType: PATCH.merge,
        });
        await eventually(
          'the new leader to reconcile',
          async () => (await get('one')).status?.observedGeneration === 2,
        );
        expect(await standby.metric('minefleet_operator_leader')).toBe(1);
      });
    });

    describe('player counts', () => {
      // A real game at the pod's address: the fake node gives the pod a loopback address of its own, and
      // the image's entrypoint serves flying-squid there on the game port, as the container would.
      const ns = 'players';
      const host = `127.0.3.${2 + Math.floor(Math.random() * 250)}`;
      let counter: Operator;
      let game: ImageGame | undefined;
      let bot: TestBot | undefined;

      beforeAll(async () => {
        await cluster.api.request('POST', '/api/v1/namespaces', {
          body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        });
        node.addresses.set(`${ns}/delta-0`, host);
        game = startImageGame({ host, port: GAME_PORT, version: BOT_TEST_VERSION });
        counter = new Operator(
          { namespace: ns, workers: 2, resyncSeconds: 30, images, playersIntervalSeconds: 1 },
          { api: cluster.api, log: createLogger('warn'), metrics: createMetrics() },
        );
        await counter.start();
      }, 60_000);

      afterAll(async () => {
        await bot?.quit().catch(() => {});
        await counter?.stop();
        game?.dispose();
      });

      it('status.players.online follows a bot joining and leaving, by server-list ping of the pod', async () => {
        await create(
          ns,
          'delta',
          squid({ server: { distribution: 'flying-squid', version: BOT_TEST_VERSION } }),
        );
        await converged(ns, 'delta', (x) => x.status?.players?.online === 0, 60_000);
        bot = await joinBot({ host, port: GAME_PORT }, { username: 'counted', version: BOT_TEST_VERSION });
        const playing = await converged(ns, 'delta', (x) => x.status?.players?.online === 1);
        expect(playing.status?.players).toEqual({ online: 1, max: 20 });
        const table = await cluster.kubectl(['get', 'mcs', 'delta', '-n', ns, '--no-headers']);
        expect(table.stdout.split(/\s+/).slice(0, 3)).toEqual(['delta', 'Running', '1']);
        await bot.quit();
        bot = undefined;
        await converged(ns, 'delta', (x) => x.status?.players?.online === 0);
        // Stopped: no count at all rather than a stale one.
        await patchSpec(ns, 'delta', { state: 'Stopped' });
        const stopped = await converged(ns, 'delta', (x) => x.status?.phase === 'Stopped');
        expect(stopped.status?.players).toEqual({ max: 20 });
      }, 120_000);
    });
  },
);
