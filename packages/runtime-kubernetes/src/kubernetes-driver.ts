// The RuntimeDriver port on Kubernetes (preview): each server is a MinecraftServer resource that the
// Minefleet operator turns into a StatefulSet, Service and ConfigMap. The driver writes desired state and
// reads the operator's status; it runs no process itself. The console, stats, log and files of a running
// flying-squid server go through the in-pod agent of Minefleet's game image, and so do its backups,
// restores and plugin files (a stopped server's through a maintenance pod: maintenance.ts); what needs
// more (local paths, the Java image) fails with RUNTIME_UNSUPPORTED (docs/kubernetes.md,
// "Kubernetes runtime driver (preview)").
import type { V1Pod, V1Secret } from '@kubernetes/client-node';
import type { ServerArchives } from '@minefleet/domain/ports/server-archives';
import type { ServerFiles } from '@minefleet/domain/ports/server-files';
import { DISTRIBUTIONS } from '@minefleet/domain/distributions';
import { DomainError } from '@minefleet/domain/errors';
import {
  LOG_LEVELS,
  LOG_SOURCES,
  type AdoptOptions,
  type DistributionInfo,
  type ExitInfo,
  type LivePlayer,
  type LogLevel,
  type LogPage,
  type LogQuery,
  type LogSource,
  type PingResult,
  type ProcessInfo,
  type ProcessObservation,
  type ProcessStats,
  type RuntimeDriver,
  type RuntimeEvent,
  type ServerSpec,
  type StartOptions,
  type StopOptions,
  type WorkspacePaths,
} from '@minefleet/domain/ports/runtime-driver';
import { ConsoleConnection } from '@minefleet/runtime-local/console-connection';
import { flyingSquidVersions } from '@minefleet/runtime-local/flying-squid-runtime';
import { pingServer } from '@minefleet/runtime-local/ping';
import { BACKUP_EXCLUDES } from '@minefleet/runtime-local/server-folder';
import { agentArchivableFiles } from './agent-archives.js';
import { AgentServerFiles, askAgent, type AgentLocation, type HeldAgent } from './agent-client.js';
import { KubeError, PATCH, isStatus, type KubeApi } from './kube/client.js';
import type { InformerLog } from './kube/informer.js';
import { Maintenance } from './maintenance.js';
import { POD_PID, observation } from './observe.js';
import { ResourceEvents } from './resource-events.js';
import {
  AGENT_PORT,
  CONSOLE_PASSWORD_KEY,
  GENERATION_ANNOTATION,
  STARTED_AT_ANNOTATION,
  TENANT_LABEL,
  consoleSecretName,
  driverSpec,
  isMaintenancePod,
  podName,
  podReady,
  newResource,
  resourcePath,
  type ServerResource,
} from './resource.js';
import { ServerObjects } from './server-objects.js';
import { TenantIsolation, type IsolationOptions } from './tenant-isolation.js';
import { unsupported, type UnsupportedFeature } from './unsupported.js';

export interface KubernetesDriverOptions {
  api: KubeApi;
  /** The one namespace every server lives in, told apart by tenant labels (docs/kubernetes.md). */
  namespace: string;
  /** The host administrator accepted the Minecraft EULA (Java distributions need it). */
  acceptEula?: boolean;
  /** Versions offered for the Java distributions (the operator's image resolves any released version). */
  javaVersions?: Partial<Record<(typeof DISTRIBUTIONS)[number], string[]>>;
  /**
   * Where the control plane reaches a running server's game port. Default: the Service the operator
   * reports in status.endpoint (cluster DNS: the control plane runs in the cluster).
   */
  address?: (server: ServerResource, pod: V1Pod) => { host: string; port: number } | undefined;
  /**
   * Where the control plane reaches a running pod's in-pod agent. Default: the pod's address on
   * AGENT_PORT (pod addresses are routable inside the cluster, where the control plane runs).
   */
  agentAddress?: (pod: V1Pod) => { host: string; port: number } | undefined;
  /** Who besides a tenant's own pods may reach its game pods (NetworkPolicies; docs/kubernetes.md). */
  isolation?: IsolationOptions;
  /** How long stop waits beyond its timeout for the pod to go, and remove for the objects to go. */
  settleTimeoutMs?: number;
  /** How long a stopped server's maintenance pod is kept after its last use (maintenance.ts; 30 s). */
  maintenanceLingerMs?: number;
  /** How often abandoned maintenance pods are looked for (maintenance.ts; 60 s; 0: never). */
  maintenanceSweepMs?: number;
  pollMs?: number;
  log?: InformerLog;
  now?: () => Date;
}

/** The game's pod is ready (a maintenance pod, the agent alone, runs no game). */
const gameReady = (pod: V1Pod | undefined): pod is V1Pod => podReady(pod) && !isMaintenancePod(pod);

export class KubernetesDriver implements RuntimeDriver {
  readonly name = 'kubernetes';
  private readonly events: ResourceEvents;
  private readonly objects: ServerObjects;
  private readonly isolation: TenantIsolation;
  private readonly now: () => Date;
  private closed = false;
  private readonly agentFiles = new AgentServerFiles((serverId) => this.reachFiles(serverId, 'files'));
  /** Each running server's console, through its pod's agent, subscribed to its lines (by server id). */
  private readonly consoles = new Map<string, Promise<ConsoleConnection>>();
  /**
   * The console password each server's pod started with (by server id, with the pod's UID): the Secret is
   * read once per pod, not on every call to its agent.
   */
  private readonly passwords = new Map<string, { podUid: string; password: string }>();
  private readonly maintenance: Maintenance;

  constructor(private readonly o: KubernetesDriverOptions) {
    this.now = o.now ?? (() => new Date());
    this.objects = new ServerObjects(o.api, o.namespace, o.pollMs, o.settleTimeoutMs);
    this.isolation = new TenantIsolation(o.api, o.namespace, o.isolation);
    this.events = new ResourceEvents({ api: o.api, namespace: o.namespace, log: o.log, now: this.now });
    this.maintenance = new Maintenance({
      api: o.api,
      namespace: o.namespace,
      objects: this.objects,
      ...(o.maintenanceSweepMs !== undefined ? { sweepEveryMs: o.maintenanceSweepMs } : {}),
      locate: (serverId, pod) => this.locate(serverId, pod),
      ...(o.maintenanceLingerMs !== undefined ? { lingerMs: o.maintenanceLingerMs } : {}),
      ...(o.pollMs !== undefined ? { pollMs: o.pollMs } : {}),
    });
    // A server that exits has its console closed (attached again by adopt or a command once it runs).
    this.events.subscribe((event) => {
      if (event.type === 'exit') this.detach(event.serverId);
    });
  }

  /**
   * The server's console through its pod's agent: opened once and kept while it stays open. Refused with
   * SERVER_NOT_RUNNING unless the server is desired Running and its pod is Ready, and with
   * RUNTIME_UNSUPPORTED for the Java image (its console, RCON, is not reached yet).
   */
  private console(serverId: string): Promise<ConsoleConnection> {
    const existing = this.consoles.get(serverId);
    if (existing) return existing;
    const opening = this.openConsole(serverId);
    this.consoles.set(serverId, opening);
    const forget = () => {
      if (this.consoles.get(serverId) === opening) this.consoles.delete(serverId);
    };
    opening.then((connection) => connection.onClose(forget), forget);
    return opening;
  }

  /**
   * Where the running server's in-pod agent listens and the password it asks for. SERVER_NOT_RUNNING
   * unless the server is desired Running and its pod is Ready; `feature` is refused with
   * RUNTIME_UNSUPPORTED on the Java image (it has no agent yet).
   */
  private async agent(
    serverId: string,
    feature: UnsupportedFeature,
    known?: ServerResource,
  ): Promise<AgentLocation> {
    const [resource, pod] = await Promise.all([
      known ?? this.objects.read(serverId),
      this.objects.readPod(serverId),
    ]);
    if (!resource || resource.spec.state !== 'Running' || !gameReady(pod))
      throw new DomainError('SERVER_NOT_RUNNING', 'The server is not running', { serverId });
    if (resource.spec.server.distribution !== 'flying-squid') throw unsupported(feature, serverId);
    return this.locate(serverId, pod);
  }

  /** The address and password of the agent on `pod` (ready) of the server. */
  private async locate(serverId: string, pod: V1Pod): Promise<AgentLocation> {
    const address =
      this.o.agentAddress?.(pod) ??
      (pod.status?.podIP ? { host: pod.status.podIP, port: AGENT_PORT } : undefined);
    if (!address)
      throw new DomainError('SERVER_NOT_RUNNING', 'The server’s pod has no address yet', { serverId });
    const podUid = pod.metadata?.uid ?? '';
    let known = this.passwords.get(serverId);
    if (known?.podUid !== podUid) {
      const secret = await this.o.api.request<V1Secret>(
        'GET',
        `/api/v1/namespaces/${this.o.namespace}/secrets/${consoleSecretName(serverId)}`,
      );
      const password = Buffer.from(secret.data?.[CONSOLE_PASSWORD_KEY] ?? '', 'base64').toString('utf8');
      known = { podUid, password };
      this.passwords.set(serverId, known);
    }
    return { address, password: known.password };
  }

  /**
   * The agent that reaches the server's volume: its game pod's while it is desired Running (refused with
   * SERVER_NOT_RUNNING until the pod is Ready), else a maintenance pod's, held until `release`.
   */
  private async reachFiles(serverId: string, feature: UnsupportedFeature): Promise<HeldAgent> {
    const resource = await this.objects.read(serverId);
    if (!resource) throw new DomainError('SERVER_NOT_FOUND', undefined, { serverId });
    if (resource.spec.server.distribution !== 'flying-squid') throw unsupported(feature, serverId);
    if (resource.spec.state === 'Running')
      return { agent: await this.agent(serverId, feature, resource), release: () => undefined };
    return this.maintenance.acquire(serverId);
  }

  /** The agent of the server if it runs; undefined when it does not (SERVER_NOT_RUNNING). */
  private async runningAgent(
    serverId: string,
    feature: UnsupportedFeature,
  ): Promise<AgentLocation | undefined> {
    try {
      return await this.agent(serverId, feature);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'SERVER_NOT_RUNNING') return undefined;
      throw error;
    }
  }

  private async openConsole(serverId: string): Promise<ConsoleConnection> {
    const { address, password } = await this.agent(serverId, 'console');
    const connection = await ConsoleConnection.connectAgent(address, password);
    try {
      await connection.subscribe((line) => this.events.publish({ type: 'console', serverId, line }));
      // Into the game's own log too, as the local driver notes a start there.
      await connection.log(
        'info',
        `Console attached through the agent of pod ${podName(serverId)} (${address.host})`,
      );
    } catch (error) {
      connection.close();
      throw error;
    }
    return connection;
  }

  /** Opens the console of a running server, trying again for a while (its agent may lag its game). */
  private attach(serverId: string, attempt = 0): void {
    if (this.closed || this.consoles.has(serverId)) return;
    this.console(serverId).then(
      (connection) =>
        // An agent that goes away while the server still runs (its container restarted) is found again.
        connection.onClose(() => {
          if (!this.closed) setTimeout(() => this.attach(serverId), 500).unref();
        }),
      (error: unknown) => {
        const gone = error instanceof DomainError && error.code === 'RUNTIME_UNSUPPORTED';
        if (!this.closed && !gone && attempt < 30)
          setTimeout(() => this.attach(serverId, attempt + 1), 1_000).unref();
      },
    );
  }

  private detach(serverId: string): void {
    const console = this.consoles.get(serverId);
    this.consoles.delete(serverId);
    void console?.then(
      (connection) => connection.close(),
      () => undefined,
    );
  }

  catalogue(): Promise<DistributionInfo[]> {
    return Promise.resolve(
      DISTRIBUTIONS.map((distribution): DistributionInfo => {
        if (distribution === 'flying-squid')
          return { distribution, versions: flyingSquidVersions(), available: true };
        const versions = this.o.javaVersions?.[distribution] ?? [];
        const reason = !this.o.acceptEula
          ? 'Java distributions need the Minecraft EULA accepted by the administrator'
          : versions.length === 0
            ? 'No versions are configured for this distribution'
            : undefined;
        return { distribution, versions, available: !reason, ...(reason ? { reason } : {}) };
      }),
    );
  }

  /** Turns the API server's refusal of a spec into the port's error. */
  private refused(error: unknown): unknown {
    if (error instanceof KubeError && (error.status === 422 || error.status === 400))
      return new DomainError('RUNTIME_UNAVAILABLE', `The cluster refused the server: ${error.message}`);
    return error;
  }

  private checkVersion(spec: ServerSpec): void {
    if (spec.distribution === 'flying-squid' && !flyingSquidVersions().includes(spec.minecraftVersion))
      throw new DomainError('UNSUPPORTED_VERSION', undefined, { version: spec.minecraftVersion });
  }

  async deploy(spec: ServerSpec, signal?: AbortSignal): Promise<void> {
    this.checkVersion(spec);
    const body = driverSpec(spec, { acceptEula: this.o.acceptEula ?? false });
    // Before the resource: its pod never runs without the policies that fence it in.
    await this.isolation.ensure(spec.tenantId, signal);
    try {
      await this.o.api.request('POST', resourcePath(this.o.namespace), {
        body: newResource(spec, this.o.namespace, body),
        signal,
      });
    } catch (error) {
      if (!isStatus(error, 409)) throw this.refused(error);
      await this.configure(spec);
    }
  }

  /** Replaces the spec fields a ServerSpec decides (a JSON patch: removed properties go too). */
  private async writeSpec(
    spec: ServerSpec,
    extra: {
      state?: 'Running';
      annotations?: Record<string, string>;
      options?: StartOptions;
      /** The resourceVersion the change was decided on: a concurrent change makes the patch fail. */
      resourceVersion?: string;
    } = {},
  ): Promise<ServerResource> {
    const body = driverSpec(spec, {
      acceptEula: this.o.acceptEula ?? false,
      overrides: extra.options?.propertyOverrides,
    });
    const ops: { op: string; path: string; value: unknown }[] = [
      ...(extra.resourceVersion
        ? [{ op: 'test', path: '/metadata/resourceVersion', value: extra.resourceVersion }]
        : []),
      { op: 'add', path: '/spec/eula', value: body.eula },
      { op: 'add', path: '/spec/server', value: body.server },
      { op: 'add', path: '/spec/maxPlayers', value: body.maxPlayers },
      { op: 'add', path: '/spec/resources', value: body.resources },
      { op: 'add', path: '/spec/properties', value: body.properties },
    ];
    if (extra.state) {
      ops.push({ op: 'add', path: '/spec/state', value: extra.state });
      // This start's commands, or none: those of an earlier start must not run again.
      ops.push({ op: 'add', path: '/spec/preStartCommands', value: extra.options?.preStartCommands ?? [] });
    }
    for (const [key, value] of Object.entries(extra.annotations ?? {}))
      ops.push({
        op: 'add',
        path: `/metadata/annotations/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`,
        value,
      });
    try {
      return await this.o.api.request<ServerResource>('PATCH', this.objects.path(spec.serverId), {
        // "add" of a member needs its parent: the annotations map is created when the resource has none.
        body: extra.annotations ? [{ op: 'add', path: '/metadata/annotations', value: {} }, ...ops] : ops,
        contentType: PATCH.json,
      });
    } catch (error) {
      if (isStatus(error, 404))
        throw new DomainError('SERVER_NOT_FOUND', undefined, { serverId: spec.serverId });
      // A conditional write's caller decides (a failed resourceVersion test is retried).
      if (extra.resourceVersion) throw error;
      throw this.refused(error);
    }
  }

  async configure(spec: ServerSpec): Promise<void> {
    this.checkVersion(spec);
    await this.writeSpec(spec);
  }

  async start(spec: ServerSpec, options: StartOptions): Promise<ProcessInfo> {
    this.checkVersion(spec);
    // Commands before players join are the image's launcher's (spec.preStartCommands): not the Java image's.
    if (options.preStartCommands?.length && spec.distribution !== 'flying-squid')
      throw unsupported('console', spec.serverId);
    const startedAt = this.now();
    // The operator's status writes change the resourceVersion often: a failed test is retried on a fresh read.
    for (let attempt = 1; ; attempt++) {
      const current = await this.objects.read(spec.serverId);
      if (!current) throw new DomainError('SERVER_NOT_FOUND', undefined, { serverId: spec.serverId });
      if (observation(current).state === 'alive')
        throw new DomainError('INVALID_TRANSITION', 'The server is already running', {
          serverId: spec.serverId,
        });
      // Keeps what the resource has (the patch replaces the map), safely: the resourceVersion is tested.
      const annotations = {
        ...current.metadata.annotations,
        [GENERATION_ANNOTATION]: String(options.generation),
        [STARTED_AT_ANNOTATION]: startedAt.toISOString(),
      };
      try {
        await this.writeSpec(spec, {
          state: 'Running',
          annotations,
          options,
          resourceVersion: current.metadata.resourceVersion,
        });
        return { pid: POD_PID, startedAt, generation: options.generation };
      } catch (error) {
        const now = await this.objects.read(spec.serverId);
        const changed = now?.metadata.resourceVersion !== current.metadata.resourceVersion;
        if (!changed || attempt >= 5 || !(error instanceof KubeError)) throw this.refused(error);
      }
    }
  }

  async sendCommand(serverId: string, line: string): Promise<void> {
    await (await this.console(serverId)).command(line);
  }

  /**
   * Console commands before the stop (`beforeStop`) are sent through the in-pod agent when the server has
   * one (flying-squid); the image's own shutdown (preStop, SIGTERM) announces and saves the world
   * (spec.shutdown) in any case. A pod still there after `timeoutMs` is deleted at once and the exit
   * reports SIGKILL.
   */
  async stop(serverId: string, options: StopOptions): Promise<ExitInfo | null> {
    // What the caller asks to send first (announcements, save-all) goes through the console when there
    // is one; the image's preStop hook announces the stop and saves the world in any case.
    for (const command of options.beforeStop ?? []) {
      try {
        await this.sendCommand(serverId, command);
      } catch {
        break;
      }
    }
    this.detach(serverId);
    const seen = await this.desireStopped(serverId);
    if (!seen) return null;
    let forced = false;
    if (!(await this.objects.podGone(serverId, Date.now() + options.timeoutMs))) {
      forced = true;
      await this.objects.deletePod(serverId);
      await this.objects.podGone(serverId, Date.now() + this.objects.settleTimeoutMs);
    }
    return this.objects.recordExit(serverId, {
      code: forced ? null : 0,
      signal: forced ? 'SIGKILL' : null,
      at: this.now(),
      generation: seen.generation,
      ...(forced ? { reason: `The pod did not stop within ${options.timeoutMs} ms and was deleted` } : {}),
    });
  }

  /** Desired Stopped first (or the StatefulSet would make a new pod), then the pod is deleted at once. */
  async kill(serverId: string): Promise<ExitInfo | null> {
    this.detach(serverId);
    const seen = await this.desireStopped(serverId);
    if (!seen) return null;
    await this.objects.deletePod(serverId);
    await this.objects.podGone(serverId, Date.now() + this.objects.settleTimeoutMs);
    return this.objects.recordExit(serverId, {
      code: null,
      signal: 'SIGKILL',
      at: this.now(),
      generation: seen.generation,
      reason: 'The pod was deleted with no grace period',
    });
  }

  /**
   * Sets desired Stopped (first in every stop, or the StatefulSet would make a new pod) and says which
   * generation was alive, or null when none was: then there is no exit to report, though a Failed server
   * (a crash loop: not alive, its pod restarted over and over) is still set to Stopped.
   */
  private async desireStopped(serverId: string): Promise<{ generation: number } | null> {
    const current = await this.objects.read(serverId);
    const seen = observation(current);
    if (seen.state !== 'alive') {
      // A crash-looping server, or one in maintenance (its files reached while stopped).
      if (current && current.spec.state !== 'Stopped') await this.objects.desireStopped(serverId);
      return null;
    }
    await this.objects.desireStopped(serverId);
    return { generation: seen.generation };
  }

  async inspect(serverId: string): Promise<ProcessObservation> {
    return observation(await this.objects.read(serverId));
  }

  /**
   * Reads each server's resource: nothing to attach to, the operator and the kubelet keep the pods.
   * `reapUnresponsive` does not apply: the pod's readiness probe (a server-list ping) is the kubelet's.
   */
  async adopt(
    serverIds: readonly string[],
    _options?: AdoptOptions,
  ): Promise<Map<string, ProcessObservation>> {
    const seen = await Promise.all(serverIds.map(async (id) => [id, await this.inspect(id)] as const));
    // The lifecycle adopts a server once it runs, on the replica that owns it: that replica attaches its
    // console, so its lines are events like the local driver's (the owner publishes them).
    for (const [id, observed] of seen) if (observed.state === 'alive') this.attach(id);
    return new Map(seen);
  }

  /** The running server's address, or why it has none (for `endpoint` and `ping`). */
  private async address(
    serverId: string,
  ): Promise<
    | { address: { host: string; port: number }; resource: ServerResource }
    | { missing: string; resource?: undefined }
  > {
    const [resource, pod] = await Promise.all([this.objects.read(serverId), this.objects.readPod(serverId)]);
    if (!resource || resource.spec.state !== 'Running') return { missing: 'The server is not running' };
    if (!gameReady(pod)) return { missing: 'The server’s pod is not ready' };
    const address = this.o.address ? this.o.address(resource, pod) : resource.status?.endpoint;
    if (!address) return { missing: 'The operator reports no address for the server yet' };
    return { address, resource };
  }

  /** The address the gateway connects to: the Service's (or the pod's, with `address`) once ready. */
  async endpoint(serverId: string): Promise<{ host: string; port: number } | undefined> {
    const found = await this.address(serverId);
    return found.resource ? found.address : undefined;
  }

  async ping(serverId: string, timeoutMs = 5_000): Promise<PingResult> {
    const found = await this.address(serverId);
    if (!found.resource) throw new DomainError('SERVER_NOT_RUNNING', found.missing, { serverId });
    const { address, resource } = found;
    return pingServer(
      {
        serverId,
        tenantId: '',
        name: resource.metadata.name,
        distribution: resource.spec.server.distribution,
        minecraftVersion: resource.spec.server.version,
        bindHost: address.host,
        port: address.port,
        memoryMb: 0,
        cpuMillicores: 0,
        maxPlayers: resource.spec.maxPlayers,
        properties: {},
      },
      timeoutMs,
    );
  }

  /**
   * The game process's CPU, memory, data folder size and uptime from its pod's agent, with the tick rate
   * from its console; null when the server is not running.
   */
  async stats(serverId: string): Promise<ProcessStats | null> {
    const agent = await this.runningAgent(serverId, 'stats');
    if (!agent) return null;
    const [reply, ticks] = await Promise.all([
      askAgent(agent, { then: 'stats' }),
      this.console(serverId).then(
        (connection) => connection.stats(),
        (): { tps?: number; mspt?: number } => ({}),
      ),
    ]);
    const number = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
    return {
      cpuPercent: number(reply['cpuPercent']),
      memoryBytes: number(reply['memoryBytes']),
      diskBytes: number(reply['diskBytes']),
      uptimeSeconds: number(reply['uptimeSeconds']),
      ...(ticks.tps !== undefined ? { tps: ticks.tps } : {}),
      ...(ticks.mspt !== undefined ? { mspt: ticks.mspt } : {}),
    };
  }

  /**
   * Backups and restores through the pod's agent, which runs the archive engine on the world volume
   * (agent-archives.ts): a running server's game pod, or a stopped one's maintenance pod for the while.
   */
  archives(): ServerArchives {
    return {
      use: async (serverId, work) => {
        const { agent, release } = await this.reachFiles(serverId, 'files');
        try {
          return await work(agentArchivableFiles(agent, BACKUP_EXCLUDES));
        } finally {
          release();
        }
      },
      // The image finishes an interrupted restore itself before each pod's game or agent starts.
      recoverInterruptedRestore: () => Promise.resolve([]),
    };
  }

  /**
   * Ends the maintenance pods no control plane holds any more (one killed while it held them); the
   * driver does this every minute by itself. Returns the servers stopped.
   */
  sweepMaintenance(): Promise<string[]> {
    return this.maintenance.sweep();
  }

  /** The files of running servers, on their volumes, through their pods' agents (agent-client.ts). */
  files(): ServerFiles {
    return this.agentFiles;
  }

  /**
   * The size of the server's data folder, measured by its pod's agent while it runs; a stopped server's
   * volume is out of reach (RUNTIME_UNSUPPORTED: the volume's size bounds it then).
   */
  async storageUsed(serverId: string): Promise<number> {
    const agent = await this.runningAgent(serverId, 'files');
    if (!agent) throw unsupported('files', serverId);
    const reply = await askAgent(agent, { then: 'stats' });
    return typeof reply['diskBytes'] === 'number' ? reply['diskBytes'] : 0;
  }

  /** Players connected now with their ping, from the game's console. */
  async players(serverId: string): Promise<LivePlayer[] | null> {
    return (await this.console(serverId)).players();
  }

  /** Nothing is measured or kept here, so there is nothing to forget. */
  storageChanged(): void {}

  onEvent(listener: (event: RuntimeEvent) => void): () => void {
    if (this.closed) throw new Error('The Kubernetes driver is closed');
    return this.events.subscribe(listener);
  }

  /** Resolves once the driver's watch has its first list (events are delivered from then on). */
  watching(): Promise<void> {
    return this.events.synced();
  }

  /**
   * The console log the game wrote in its data folder, read by its pod's agent as the local driver reads
   * it, while the server runs.
   */
  async readLogs(serverId: string, query: LogQuery): Promise<LogPage> {
    let held: HeldAgent;
    try {
      held = await this.reachFiles(serverId, 'logs');
    } catch (error) {
      // A removed server's log went with its volume: nothing is held.
      if (error instanceof DomainError && error.code === 'SERVER_NOT_FOUND') return { lines: [], total: 0 };
      throw error;
    }
    // A stopped server's log is on its volume: a maintenance pod's agent reads it.
    const reply = await askAgent(held.agent, {
      then: 'logs',
      query: {
        page: query.page,
        perPage: query.perPage,
        ...(query.level ? { level: query.level } : {}),
        ...(query.since ? { since: query.since.toISOString() } : {}),
        ...(query.until ? { until: query.until.toISOString() } : {}),
        ...(query.q !== undefined ? { q: query.q } : {}),
        ...(query.tail !== undefined ? { tail: query.tail } : {}),
      },
    }).finally(held.release);
    const lines = Array.isArray(reply['lines']) ? (reply['lines'] as Record<string, unknown>[]) : [];
    const level = (v: unknown): LogLevel =>
      (LOG_LEVELS as readonly unknown[]).includes(v) ? (v as LogLevel) : 'info';
    const source = (v: unknown): LogSource =>
      (LOG_SOURCES as readonly unknown[]).includes(v) ? (v as LogSource) : 'stdout';
    return {
      lines: lines.flatMap((l) =>
        typeof l['message'] === 'string' && typeof l['ts'] === 'string'
          ? [
              {
                ts: new Date(l['ts']),
                level: level(l['level']),
                source: source(l['source']),
                message: l['message'],
              },
            ]
          : [],
      ),
      total: typeof reply['total'] === 'number' ? reply['total'] : lines.length,
    };
  }

  workspace(serverId: string): WorkspacePaths {
    throw unsupported('files', serverId);
  }

  /**
   * Deletes the resource and waits until it is gone, world volume included (remove takes everything):
   * see ServerObjects.remove.
   */
  async remove(serverId: string): Promise<void> {
    // A running server is killed first, so its exit is recorded and reported like any other.
    await this.kill(serverId);
    this.passwords.delete(serverId);
    const tenantId = (await this.objects.read(serverId))?.metadata.labels?.[TENANT_LABEL];
    await this.objects.remove(serverId);
    if (tenantId) await this.isolation.release(tenantId);
  }

  /** Stops the watch and closes the consoles; the servers keep running (the next driver reads them again). */
  async close(): Promise<void> {
    this.closed = true;
    await this.maintenance.close().catch(() => undefined);
    for (const serverId of [...this.consoles.keys()]) this.detach(serverId);
    await this.events.close();
  }
}
