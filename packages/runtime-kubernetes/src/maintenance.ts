// Maintenance pods: how the driver reaches a stopped server's world volume. A stopped server has no pod,
// so nothing mounts its volume; for a backup or a restore the driver sets the resource's desired state to
// Maintenance, the operator runs the pod with the in-pod agent and no game (the image's maintenance
// mode), and the work goes through that agent. The pod is kept a little while after the last use (a
// restore's safety backup and the restore share one) and then stopped, unless the server was started
// meanwhile. Work on one server in this control plane is counted, so the pod outlives every user.
import type { V1Pod } from '@kubernetes/client-node';
import { DomainError } from '@minefleet/domain/errors';
import type { AgentLocation } from './agent-client.js';
import { PATCH, isStatus, type KubeApi } from './kube/client.js';
import { isMaintenancePod } from './resource.js';
import type { ServerObjects } from './server-objects.js';

export interface MaintenanceOptions {
  api: KubeApi;
  objects: ServerObjects;
  /** The agent's address and password on a ready pod. */
  locate: (serverId: string, pod: V1Pod) => Promise<AgentLocation>;
  /** How long the pod is kept after its last use (default 30 s). */
  lingerMs?: number;
  /** How long the pod may take to be ready (default 120 s: a volume may have to be attached first). */
  readyTimeoutMs?: number;
  pollMs?: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const podReady = (pod: V1Pod | undefined): pod is V1Pod =>
  !!pod &&
  !pod.metadata?.deletionTimestamp &&
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

export class Maintenance {
  private readonly users = new Map<string, { count: number; timer?: NodeJS.Timeout }>();
  private readonly lingerMs: number;
  private readonly readyTimeoutMs: number;
  private readonly pollMs: number;

  constructor(private readonly o: MaintenanceOptions) {
    this.lingerMs = o.lingerMs ?? 30_000;
    this.readyTimeoutMs = o.readyTimeoutMs ?? 120_000;
    this.pollMs = o.pollMs ?? 200;
  }

  /** Runs `work` with the agent of the server's maintenance pod, which is started first when needed. */
  async use<T>(serverId: string, work: (agent: AgentLocation) => Promise<T>): Promise<T> {
    const { agent, release } = await this.acquire(serverId);
    try {
      return await work(agent);
    } finally {
      release();
    }
  }

  /**
   * The agent of the server's maintenance pod (started first when needed), held until `release` (once):
   * for work that outlives a call, such as a file read as a stream.
   */
  async acquire(serverId: string): Promise<{ agent: AgentLocation; release: () => void }> {
    const user = this.users.get(serverId) ?? { count: 0 };
    clearTimeout(user.timer);
    delete user.timer;
    user.count++;
    this.users.set(serverId, user);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      if (--user.count === 0) {
        user.timer = setTimeout(() => void this.end(serverId, user), this.lingerMs);
        user.timer.unref();
      }
    };
    try {
      return { agent: await this.ready(serverId), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Ends every maintenance pod this driver keeps now (at close): their servers are stopped again. */
  async close(): Promise<void> {
    const idle = [...this.users].filter(([, user]) => user.count === 0);
    await Promise.all(idle.map(([serverId, user]) => this.end(serverId, user)));
  }

  private async ready(serverId: string): Promise<AgentLocation> {
    const deadline = Date.now() + this.readyTimeoutMs;
    let asked = false;
    for (;;) {
      const [resource, pod] = await Promise.all([
        this.o.objects.read(serverId),
        this.o.objects.readPod(serverId),
      ]);
      if (!resource) throw new DomainError('SERVER_NOT_FOUND', undefined, { serverId });
      const state = resource.spec.state;
      if (state === 'Running')
        throw new DomainError(
          'SERVER_BUSY',
          asked
            ? 'The server was started while its files were being reached'
            : 'The server runs: its files are reached through its game pod',
          { serverId },
        );
      if (state === 'Stopped') {
        // Only from Stopped: a start in between (Running) is not overwritten.
        await this.setState(serverId, 'Stopped', 'Maintenance');
        asked = true;
      } else if (podReady(pod) && isMaintenancePod(pod) && pod.status?.podIP) {
        return this.o.locate(serverId, pod);
      }
      if (Date.now() > deadline)
        throw new DomainError(
          'RUNTIME_UNAVAILABLE',
          `The maintenance pod that reaches the stopped server's files was not ready within ${this.readyTimeoutMs / 1000} s`,
          { serverId },
        );
      await sleep(this.pollMs);
    }
  }

  private async end(serverId: string, user: { count: number }): Promise<void> {
    if (user.count > 0 || this.users.get(serverId) !== user) return;
    this.users.delete(serverId);
    try {
      await this.setState(serverId, 'Maintenance', 'Stopped');
    } catch {
      // Gone, or changed meanwhile (a start): nothing of ours to end.
    }
  }

  /**
   * `from` → `to`, only if the resource is still `from` (a JSON patch's test): a start, a stop or a
   * removal in between wins. False when it was not `from`.
   */
  private async setState(serverId: string, from: string, to: string): Promise<boolean> {
    try {
      await this.o.api.request('PATCH', this.o.objects.path(serverId), {
        body: [
          { op: 'test', path: '/spec/state', value: from },
          { op: 'replace', path: '/spec/state', value: to },
        ],
        contentType: PATCH.json,
      });
      return true;
    } catch (error) {
      // The test failed (422, "testing value /spec/state failed"): the state is no longer `from`, and the
      // caller reads it again. Any other 422 (a state the CRD does not know) is an error.
      if (isStatus(error, 404)) return false;
      if (isStatus(error, 422) && /\btest(ing)?\b.*\bfailed\b/i.test(String((error as Error).message)))
        return false;
      throw error;
    }
  }
}
