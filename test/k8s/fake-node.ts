// Plays the node's part, the way kwok does, because the test cluster has no scheduler and no kubelet:
// binds the operator's pods to a fake Node, confirms the deletion of terminating pods (the kubelet would,
// once the container stopped) and marks volume claims Bound (a provisioner would). Given a pod network
// (`runContainers`), it also runs the containers of pods of Minefleet's flying-squid image as local
// processes, each in a network namespace of its own with a non-loopback address, evaluates their probes
// and reports their status from what really happens (node-containers.ts, pod-network.ts); without one, or
// for other images (the community Java image cannot run here), it reports every pod Running and Ready at
// a made-up address. Nothing else: every decision about those objects is the operator's and the real
// controllers'.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { Informer, keyOf, type ChangeType } from '@minefleet/runtime-kubernetes/kube/informer';
import { PATCH, isStatus, type KubeApi } from '@minefleet/runtime-kubernetes/kube/client';
import { createLogger } from '../../apps/operator/src/log.js';
import { PodContainer, claimFolder, runsImage } from './node-containers.js';
import type { PodNetwork } from './pod-network.js';

export class FakeNode {
  private readonly pods: Informer<V1Pod>;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private nextIp = 10;
  private readonly busy = new Set<string>();
  /** Keys that changed while busy: worked on again once the work at hand ends. */
  private readonly again = new Set<string>();
  /** The containers this node runs, by pod UID. */
  private readonly containers = new Map<string, Promise<PodContainer>>();
  /** This node's folder (pods' volumes, claims' data) when it runs containers. */
  private readonly root: string | undefined;
  /** A pod (`namespace/name`) given this address instead of a made-up one: where its game really runs. */
  readonly addresses = new Map<string, string>();

  constructor(
    private readonly api: KubeApi,
    readonly name = 'fake-node-1',
    /** Runs the game image's containers in this network; without it, pods only get a status. */
    private readonly network?: PodNetwork,
  ) {
    if (network) this.root = mkdtempSync(path.join(os.tmpdir(), 'mfn-'));
    const log = createLogger('silent');
    const selector = 'app.kubernetes.io/managed-by=minefleet-operator';
    this.pods = new Informer<V1Pod>({
      api,
      log,
      path: '/api/v1/pods',
      resource: 'pods',
      labelSelector: selector,
      resyncMs: 1000,
      onChange: (pod, change) => this.podChanged(keyOf(pod), pod, change),
    });
    this.claims = new Informer<V1PersistentVolumeClaim>({
      api,
      log,
      path: '/api/v1/persistentvolumeclaims',
      resource: 'persistentvolumeclaims',
      labelSelector: selector,
      resyncMs: 1000,
      onChange: (c, change) => {
        if (change === 'deleted') this.claimDeleted(c);
        else this.act(`pvc/${keyOf(c)}`, () => this.claim(c));
      },
    });
  }

  async start(): Promise<void> {
    try {
      await this.api.request('POST', '/api/v1/nodes', {
        body: {
          apiVersion: 'v1',
          kind: 'Node',
          metadata: { name: this.name, labels: { 'kubernetes.io/hostname': this.name } },
        },
      });
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    await Promise.all([this.pods.start(), this.claims.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.pods.stop(), this.claims.stop()]);
    const running = [...this.containers.values()];
    this.containers.clear();
    await Promise.all(
      running.map((c) => c.then((container) => container.terminate(0)).catch(() => undefined)),
    );
    if (this.root) rmSync(this.root, { recursive: true, force: true });
  }

  /** Whether pods run in network namespaces of their own (non-loopback addresses, Service endpoints). */
  get runsInNamespaces(): boolean {
    return this.network !== undefined && this.network.fallback === undefined;
  }

  /** The address a pod (`namespace/name`) reports, as this node last saw it. */
  podIP(key: string): string | undefined {
    return this.pods.get(key)?.status?.podIP;
  }

  /** The container of a pod (`namespace/name`) this node runs, if it runs one. */
  async container(key: string): Promise<PodContainer | undefined> {
    const uid = this.pods.get(key)?.metadata?.uid;
    return uid ? this.containers.get(uid) : undefined;
  }

  private podChanged(key: string, pod: V1Pod, change: ChangeType): void {
    if (change !== 'deleted') {
      this.act(`pod/${key}`, () => this.pod(key));
      return;
    }
    // Deleted with no grace period (or its deletion confirmed): whatever still runs is killed.
    const uid = pod.metadata?.uid ?? '';
    const container = this.containers.get(uid);
    this.containers.delete(uid);
    void container?.then((c) => c.terminate(0)).catch(() => undefined);
  }

  /** Runs `work` for `key` unless it runs already; then it runs again once that ends. */
  private act(key: string, work: () => Promise<void>): void {
    if (this.busy.has(key)) {
      this.again.add(key);
      return;
    }
    this.busy.add(key);
    void work()
      .catch((error: unknown) => {
        if (!isStatus(error, 404) && !isStatus(error, 409))
          console.warn(`fake node: ${key}: ${(error as Error).message}`);
      })
      .finally(() => {
        this.busy.delete(key);
        if (this.again.delete(key)) this.act(key, work);
      });
  }

  private async pod(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (!pod) return;
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const path = `/api/v1/namespaces/${ns}/pods/${name}`;
    if (pod.metadata?.deletionTimestamp) {
      // Stop the container within the pod's grace period, then confirm the deletion, as the kubelet does.
      const uid = pod.metadata.uid ?? '';
      const container = this.containers.get(uid);
      if (container) {
        const grace =
          pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
        await (await container).terminate(grace);
        this.containers.delete(uid);
      }
      await this.api.request('DELETE', path, { body: { gracePeriodSeconds: 0 } });
      return;
    }
    if (!pod.spec?.nodeName) {
      await this.api.request('POST', `${path}/binding`, {
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name },
          target: { apiVersion: 'v1', kind: 'Node', name: this.name },
        },
      });
      return; // the bound pod comes back through the watch
    }
    if (this.network && runsImage(pod)) {
      await this.runContainer(key, pod);
      return;
    }
    const reported = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    if (pod.status?.phase === 'Running' && reported) return;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const started = pod.status?.startTime ?? now;
    await this.api.request('PATCH', `${path}/status`, {
      contentType: PATCH.merge,
      body: {
        status: {
          phase: 'Running',
          // Not a loopback address (Endpoints refuse those) unless the test runs the pod's game itself.
          podIP: this.addresses.get(`${ns}/${name}`) ?? `10.244.0.${this.nextIp++ % 250}`,
          hostIP: '10.0.0.1',
          startTime: started,
          conditions: [
            { type: 'PodScheduled', status: 'True', lastTransitionTime: started },
            { type: 'Initialized', status: 'True', lastTransitionTime: started },
            { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
            { type: 'Ready', status: 'True', lastTransitionTime: now },
          ],
          containerStatuses: (pod.spec.containers ?? []).map((c) => ({
            name: c.name,
            image: c.image,
            imageID: `fake://${c.image}`,
            ready: true,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: started } },
          })),
        },
      },
    });
  }

  /** Starts the pod's container once, then writes its status whenever what it says changes. */
  private async runContainer(key: string, pod: V1Pod): Promise<void> {
    const uid = pod.metadata!.uid!;
    let running = this.containers.get(uid);
    if (!running) {
      running = PodContainer.run({
        api: this.api,
        pod,
        network: this.network!,
        root: this.root!,
        changed: () => this.act(`pod/${key}`, () => this.pod(key)),
      });
      this.containers.set(uid, running);
      running.catch(() => this.containers.delete(uid));
    }
    const status = (await running).status(pod);
    const summary = (s: V1Pod['status']) => {
      const c = s?.containerStatuses?.[0];
      const ready = s?.conditions?.find((x) => x.type === 'Ready')?.status;
      return JSON.stringify([
        s?.phase,
        s?.podIP,
        ready,
        c?.restartCount,
        c?.started,
        Object.keys(c?.state ?? {}),
      ]);
    };
    if (summary(pod.status) === summary(status)) return;
    await this.api.request(
      'PATCH',
      `/api/v1/namespaces/${pod.metadata!.namespace}/pods/${pod.metadata!.name}/status`,
      {
        contentType: PATCH.merge,
        body: { status },
      },
    );
  }

  /** A deleted claim's data goes with it. */
  private claimDeleted(claim: V1PersistentVolumeClaim): void {
    if (this.root)
      rmSync(claimFolder(this.root, claim.metadata!.namespace!, claim.metadata!.name!), {
        recursive: true,
        force: true,
      });
  }

  private async claim(claim: V1PersistentVolumeClaim): Promise<void> {
    if (claim.status?.phase === 'Bound' || claim.metadata?.deletionTimestamp) return;
    await this.api.request(
      'PATCH',
      `/api/v1/namespaces/${claim.metadata!.namespace}/persistentvolumeclaims/${claim.metadata!.name}/status`,
      {
        contentType: PATCH.merge,
        body: {
          status: {
            phase: 'Bound',
            accessModes: claim.spec?.accessModes,
            capacity: { storage: claim.spec?.resources?.requests?.['storage'] ?? '1Gi' },
          },
        },
      },
    );
  }
}
