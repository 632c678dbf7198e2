// Plays the node's part, the way kwok does, because the test cluster has no scheduler and no kubelet:
// binds the operator's pods to a fake Node, reports them Running and Ready (the kubelet would, once the
// server-list ping probe passes), confirms the deletion of terminating pods (the kubelet would, once
// the container stopped) and marks volume claims Bound (a provisioner would). Nothing else: every
// decision about those objects is the operator's and the real controllers'.
import type { V1PersistentVolumeClaim, V1Pod } from '@kubernetes/client-node';
import { Informer } from '@minefleet/runtime-kubernetes/kube/informer';
import { PATCH, isStatus, type KubeApi } from '@minefleet/runtime-kubernetes/kube/client';
import { createLogger } from '../../apps/operator/src/log.js';

export class FakeNode {
  private readonly pods: Informer<V1Pod>;
  private readonly claims: Informer<V1PersistentVolumeClaim>;
  private nextIp = 10;
  private readonly busy = new Set<string>();
  /** Pods named here stay not Ready (their server "does not answer the ping"). */
  readonly unready = new Set<string>();
  /** A pod (`namespace/name`) given this address instead of a made-up one: where its game really runs. */
  readonly addresses = new Map<string, string>();

  constructor(
    private readonly api: KubeApi,
    readonly name = 'fake-node-1',
  ) {
    const log = createLogger('silent');
    const selector = 'app.kubernetes.io/managed-by=minefleet-operator';
    this.pods = new Informer<V1Pod>({
      api,
      log,
      path: '/api/v1/pods',
      resource: 'pods',
      labelSelector: selector,
      resyncMs: 1000,
      onChange: (pod) =>
        this.act(`pod/${pod.metadata?.namespace}/${pod.metadata?.name}`, () => this.pod(pod)),
    });
    this.claims = new Informer<V1PersistentVolumeClaim>({
      api,
      log,
      path: '/api/v1/persistentvolumeclaims',
      resource: 'persistentvolumeclaims',
      labelSelector: selector,
      resyncMs: 1000,
      onChange: (c) => this.act(`pvc/${c.metadata?.namespace}/${c.metadata?.name}`, () => this.claim(c)),
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
  }

  private act(key: string, work: () => Promise<void>): void {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    void work()
      .catch((error: unknown) => {
        if (!isStatus(error, 404) && !isStatus(error, 409))
          console.warn(`fake node: ${key}: ${(error as Error).message}`);
      })
      .finally(() => this.busy.delete(key));
  }

  private async pod(pod: V1Pod): Promise<void> {
    const ns = pod.metadata!.namespace!;
    const name = pod.metadata!.name!;
    const path = `/api/v1/namespaces/${ns}/pods/${name}`;
    if (pod.metadata?.deletionTimestamp) {
      // The container has stopped: confirm the deletion, as the kubelet does.
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
    const ready = !this.unready.has(`${ns}/${name}`);
    const flag = ready ? 'True' : 'False';
    const reported = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === flag);
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
            { type: 'ContainersReady', status: flag, lastTransitionTime: now },
            { type: 'Ready', status: flag, lastTransitionTime: now },
          ],
          containerStatuses: (pod.spec.containers ?? []).map((c) => ({
            name: c.name,
            image: c.image,
            imageID: `fake://${c.image}`,
            ready,
            started: true,
            restartCount: 0,
            state: { running: { startedAt: started } },
          })),
        },
      },
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
