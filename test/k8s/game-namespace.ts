// What the driver's tests and the platform's test on Kubernetes stand on: FakeNode playing the kubelet
// (running the game image's containers, each pod with an address of its own, when asked), the namespace
// of the game servers, and the operator running in this process, watching it.
import { createLogger } from '../../apps/operator/src/log.js';
import { createMetrics } from '../../apps/operator/src/metrics.js';
import { Operator } from '../../apps/operator/src/operator.js';
import type { TestCluster } from './cluster.js';
import { FakeNode } from './fake-node.js';
import { PodNetwork } from './pod-network.js';

export const TEST_IMAGES = {
  java: 'itzg/minecraft-server:java21',
  flyingSquid: 'ghcr.io/minefleet/flying-squid:test',
};

export interface GameNamespace {
  node: FakeNode;
  operator: Operator;
  stop(): Promise<void>;
}

export async function startGameNamespace(
  cluster: TestCluster,
  namespace: string,
  options: { runContainers?: boolean } = {},
): Promise<GameNamespace> {
  let network: PodNetwork | undefined;
  if (options.runContainers) {
    network = await PodNetwork.create();
    if (network.fallback)
      console.warn(
        `\n!!! The test node gives pods loopback addresses (${network.fallback}): Services get no endpoints !!!\n`,
      );
  }
  const node = new FakeNode(cluster.api, 'fake-node-1', network);
  await node.start();
  await cluster.api.request('POST', '/api/v1/namespaces', {
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  });
  const operator = new Operator(
    {
      namespace,
      workers: 2,
      resyncSeconds: 30,
      images: TEST_IMAGES,
      retry: { baseDelayMs: 100, maxDelayMs: 2000 },
      playersIntervalSeconds: 0,
    },
    // Conflicts with the driver's writes are retried and logged as warnings: only errors are shown.
    { api: cluster.api, log: createLogger('error'), metrics: createMetrics() },
  );
  await operator.start();
  return {
    node,
    operator,
    async stop() {
      await operator.stop();
      await node.stop();
    },
  };
}
