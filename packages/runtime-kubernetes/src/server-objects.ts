// The Kubernetes objects of one server as the driver reads and changes them: its MinecraftServer resource
// and the StatefulSet's pod. Small steps the driver's methods are made of, each one request or one wait.
import type { V1Pod } from '@kubernetes/client-node';
import { DomainError } from '@minefleet/domain/errors';
import type { ExitInfo } from '@minefleet/domain/ports/runtime-driver';
import { PATCH, isStatus, type KubeApi } from './kube/client.js';
import { exitAnnotation } from './observe.js';
import {
  EXIT_ANNOTATION,
  claimPath,
  podName,
  podPath,
  resourceName,
  resourcePath,
  type ServerResource,
} from './resource.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class ServerObjects {
  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly pollMs = 100,
    /** How long waits for a pod or the resource to go may take. */
    readonly settleTimeoutMs = 30_000,
  ) {}

  path(serverId: string): string {
    return resourcePath(this.namespace, resourceName(serverId));
  }

  async read(serverId: string): Promise<ServerResource | undefined> {
    try {
      return await this.api.request<ServerResource>('GET', this.path(serverId));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  async readPod(serverId: string): Promise<V1Pod | undefined> {
    try {
      return await this.api.request<V1Pod>('GET', podPath(this.namespace, podName(serverId)));
    } catch (error) {
      if (isStatus(error, 404)) return undefined;
      throw error;
    }
  }

  /** Desired Stopped; the StatefulSet goes to 0 replicas and the pod's own shutdown saves the world. */
  async desireStopped(serverId: string): Promise<void> {
    await this.api.request('PATCH', this.path(serverId), {
      body: { spec: { state: 'Stopped' } },
      contentType: PATCH.merge,
    });
  }

  async recordExit(serverId: string, exit: ExitInfo): Promise<ExitInfo> {
    await this.api.request('PATCH', this.path(serverId), {
      body: { metadata: { annotations: { [EXIT_ANNOTATION]: exitAnnotation(exit) } } },
      contentType: PATCH.merge,
    });
    return exit;
  }

  /** Waits until the server's pod is gone; false if it is still there at the deadline. */
  async podGone(serverId: string, deadline: number): Promise<boolean> {
    for (;;) {
      if (!(await this.readPod(serverId))) return true;
      if (Date.now() > deadline) return false;
      await sleep(this.pollMs);
    }
  }

  async deletePod(serverId: string): Promise<void> {
    try {
      await this.api.request('DELETE', podPath(this.namespace, podName(serverId)), {
        body: { gracePeriodSeconds: 0 },
      });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  /**
   * Deletes the resource and waits until it is gone, then its world volume's claim (remove takes
   * everything). retainOnDelete is turned off and the operator's reconcile of that awaited first (so it
   * does not label the claim as retained), and the deletion runs in the foreground: when the resource is
   * gone, the garbage collector has deleted what it owned.
   */
  async remove(serverId: string): Promise<void> {
    const current = await this.read(serverId);
    if (!current) return;
    const deadline = Date.now() + this.settleTimeoutMs;
    if (!current.metadata.deletionTimestamp) {
      const patched = await this.api.request<ServerResource>('PATCH', this.path(serverId), {
        body: { spec: { state: 'Stopped', storage: { retainOnDelete: false } } },
        contentType: PATCH.merge,
      });
      const generation = patched.metadata.generation ?? 0;
      while (Date.now() < deadline) {
        const seen = await this.read(serverId);
        if (!seen || (seen.status?.observedGeneration ?? 0) >= generation) break;
        await sleep(this.pollMs);
      }
      try {
        await this.api.request('DELETE', this.path(serverId), {
          body: { propagationPolicy: 'Foreground' },
        });
      } catch (error) {
        if (!isStatus(error, 404)) throw error;
      }
    }
    await this.until(deadline, serverId, async () => !(await this.read(serverId)));
    // The StatefulSet controller deletes the claim only if the retention policy was Delete when it made
    // the claim; a policy turned to Delete later leaves it. The driver deletes it itself.
    const claim = claimPath(this.namespace, serverId);
    try {
      await this.api.request('DELETE', claim);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    await this.until(deadline, serverId, async () => {
      try {
        await this.api.request('GET', claim);
        return false;
      } catch (error) {
        if (isStatus(error, 404)) return true;
        throw error;
      }
    });
  }

  private async until(deadline: number, serverId: string, done: () => Promise<boolean>): Promise<void> {
    for (;;) {
      if (await done()) return;
      if (Date.now() > deadline)
        throw new DomainError('RUNTIME_UNAVAILABLE', `The server's resources were not deleted in time`, {
          serverId,
        });
      await sleep(this.pollMs);
    }
  }
}
