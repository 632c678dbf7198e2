// Maintenance pods: how the driver reaches a stopped server's world volume. A stopped server has no pod,
// so nothing mounts its volume; for a backup or a restore the driver sets the resource's desired state to
// Maintenance, the operator runs the pod with the in-pod agent and no game (the image's maintenance
// mode), and the work goes through that agent. The pod is kept a little while after the last use (a
// restore's safety backup and the restore share one) and then stopped, unless the server was started
// meanwhile. Work on one server in this control plane is counted, so the pod outlives every user.
//
// Several control planes may use one server's pod, and one may be killed while it does: each holder
// writes an annotation `maintenance.minefleet.io/<holder>` with the time it holds the pod until (renewed
// every 30 s while it works, HOLD_MS ahead). A holder that is done ends the pod unless another holder's
// time is still running; every driver also sweeps, once a minute, the resources left in Maintenance
// whose holders' times have all run out (a control plane killed mid-backup), so no pod is left behind.
import type { V1Pod } from '@kubernetes/client-node';
import { DomainError } from '@minefleet/domain/errors';
import type { AgentLocation } from './agent-client.js';
import { PATCH, isStatus, type KubeApi } from './kube/client.js';
import { randomBytes } from 'node:crypto';
import { CREATED_BY, isMaintenancePod, podReady, resourcePath, type ServerResource } from './resource.js';
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
  /** The namespace of the resources (the sweep lists it). */
  namespace: string;
  /** How often abandoned maintenance pods are looked for (default 60 s; 0: never, for tests). */
  sweepEveryMs?: number;
  now?: () => number;
}

/** The annotations of the holders of a server's maintenance pod: `<prefix><holder>` → ISO time held until. */
export const HOLDER_PREFIX = 'maintenance.minefleet.io/';
/** How far ahead a holder's time is set; it is renewed every quarter of it while the holder works. */
export const HOLD_MS = 120_000;

/** Holders whose time has not run out (other than `except`). */
export function activeHolders(resource: ServerResource, now: number, except?: string): string[] {
  return Object.entries(resource.metadata.annotations ?? {}).flatMap(([key, value]) =>
    key.startsWith(HOLDER_PREFIX) && key !== except && Date.parse(value) > now ? [key] : [],
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Maintenance {
  private readonly users = new Map<
    string,
    { count: number; timer?: NodeJS.Timeout; beat?: NodeJS.Timeout; markedUntil?: number }
  >();
  private readonly lingerMs: number;
  private readonly readyTimeoutMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;
  /** This driver's annotation on the resources whose maintenance pod it holds. */
  readonly holder = `${HOLDER_PREFIX}${randomBytes(6).toString('hex')}`;
  private readonly sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly o: MaintenanceOptions) {
    this.lingerMs = o.lingerMs ?? 30_000;
    this.readyTimeoutMs = o.readyTimeoutMs ?? 120_000;
    this.pollMs = o.pollMs ?? 200;
    this.now = o.now ?? Date.now;
    const every = o.sweepEveryMs ?? 60_000;
    if (every > 0) {
      this.sweeper = setInterval(() => void this.sweep().catch(() => undefined), every);
      this.sweeper.unref();
    }
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
        clearInterval(user.beat);
        delete user.beat;
        user.timer = setTimeout(() => void this.end(serverId, user), this.lingerMs);
        user.timer.unref();
      }
    };
    try {
      // Held before the state changes: a sweep never ends a pod that is being started for someone.
      await this.hold(serverId, user);
      user.beat ??= setInterval(() => void this.hold(serverId, user).catch(() => undefined), HOLD_MS / 4);
      user.beat.unref();
      return { agent: await this.ready(serverId), release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** Ends every maintenance pod this driver holds and nobody uses now (at close); stops the sweep. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    for (const user of this.users.values()) clearInterval(user.beat);
    const idle = [...this.users].filter(([, user]) => user.count === 0);
    await Promise.all(idle.map(([serverId, user]) => this.end(serverId, user)));
  }

  /**
   * Ends the maintenance pods no holder holds any more (their holders' times all ran out: a control
   * plane killed while it held one). Returns the servers it stopped.
   */
  async sweep(): Promise<string[]> {
    const now = this.now();
    const list = await this.o.api.request<{ items: ServerResource[] }>(
      'GET',
      resourcePath(this.o.namespace),
      {
        query: {
          labelSelector: Object.entries(CREATED_BY)
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        },
      },
    );
    const stopped: string[] = [];
    for (const resource of list.items) {
      const serverId = resource.metadata.labels?.['minefleet.io/server-id'];
      if (!serverId || resource.spec.state !== 'Maintenance' || this.users.has(serverId)) continue;
      if (activeHolders(resource, now).length > 0) continue;
      if (await this.stop(serverId)) stopped.push(serverId);
    }
    return stopped;
  }

  /** Marks this driver a holder of the server's pod for HOLD_MS more, when less than half of it is left. */
  private async hold(serverId: string, user: { markedUntil?: number }): Promise<void> {
    const now = this.now();
    if ((user.markedUntil ?? 0) - now > HOLD_MS / 2) return;
    const until = now + HOLD_MS;
    try {
      await this.o.api.request('PATCH', this.o.objects.path(serverId), {
        body: { metadata: { annotations: { [this.holder]: new Date(until).toISOString() } } },
        contentType: PATCH.merge,
      });
      user.markedUntil = until;
    } catch (error) {
      if (!isStatus(error, 404)) throw error; // gone: ready() says so
    }
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

  /** After the last local use: the pod goes, unless another control plane still holds it. */
  private async end(serverId: string, user: { count: number }): Promise<void> {
    if (user.count > 0 || this.users.get(serverId) !== user) return;
    this.users.delete(serverId);
    try {
      const resource = await this.o.objects.read(serverId);
      if (!resource) return;
      if (
        resource.spec.state === 'Maintenance' &&
        activeHolders(resource, this.now(), this.holder).length > 0
      ) {
        await this.unhold(serverId, [this.holder]);
        return;
      }
      await this.stop(serverId);
    } catch {
      // Gone, or changed meanwhile (a start): nothing of ours to end.
    }
  }

  /** Maintenance → Stopped (only from Maintenance), and the holders' annotations go. */
  private async stop(serverId: string): Promise<boolean> {
    const patched = await this.setState(serverId, 'Maintenance', 'Stopped');
    // Stopped here: the PATCH answered the resource; else it changed meanwhile and is read again.
    const resource = patched ?? (await this.o.objects.read(serverId));
    const holders = Object.keys(resource?.metadata.annotations ?? {}).filter((k) =>
      k.startsWith(HOLDER_PREFIX),
    );
    if (holders.length > 0 && resource?.spec.state !== 'Maintenance') await this.unhold(serverId, holders);
    return patched !== undefined;
  }

  private async unhold(serverId: string, keys: string[]): Promise<void> {
    try {
      await this.o.api.request('PATCH', this.o.objects.path(serverId), {
        body: { metadata: { annotations: Object.fromEntries(keys.map((k) => [k, null])) } },
        contentType: PATCH.merge,
      });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
  }

  /**
   * `from` → `to`, only if the resource is still `from` (a JSON patch's test): a start, a stop or a
   * removal in between wins. The resource as patched, or undefined when it was not `from`.
   */
  private async setState(serverId: string, from: string, to: string): Promise<ServerResource | undefined> {
    try {
      return await this.o.api.request<ServerResource>('PATCH', this.o.objects.path(serverId), {
        body: [
          { op: 'test', path: '/spec/state', value: from },
          { op: 'replace', path: '/spec/state', value: to },
        ],
        contentType: PATCH.json,
      });
    } catch (error) {
      // The test failed (422, "testing value /spec/state failed"): the state is no longer `from`, and the
      // caller reads it again. Any other 422 (a state the CRD does not know) is an error.
      if (isStatus(error, 404)) return undefined;
      if (isStatus(error, 422) && /\btest(ing)?\b.*\bfailed\b/i.test(String((error as Error).message)))
        return undefined;
      throw error;
    }
  }
}
