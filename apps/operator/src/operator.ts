import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import type {
  V1ConfigMap,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { trimClaim, trimConfigMap, trimPod, trimService, trimStatefulSet } from './kube/trim.js';
import { GAME_PORT, MANAGED_BY, SERVER_LABEL, names, type ImageDefaults } from './builders/common.js';
import { EventRecorder } from './events.js';
import { GROUP, PLURAL, VERSION, type MinecraftServer } from './crd/schema.js';
import { errorReason, type KubeApi } from '@minefleet/runtime-kubernetes/kube/client';
import { Informer, keyOf } from '@minefleet/runtime-kubernetes/kube/informer';
import { LeaderElector } from './leader.js';
import type { Logger } from './log.js';
import type { OperatorMetrics } from './metrics.js';
import { PlayerCounts } from './players.js';
import { WorkQueue } from './queue.js';
import { Reconciler } from './reconciler.js';

export interface OperatorConfig {
  /** Watch one namespace, or all when undefined. */
  namespace?: string;
  workers: number;
  resyncSeconds: number;
  images: ImageDefaults;
  /** Undefined: no leader election (a single replica). */
  leaderElection?: {
    namespace: string;
    leaseName: string;
    identity: string;
    leaseDurationSeconds: number;
    renewDeadlineSeconds: number;
    retryPeriodSeconds: number;
  };
  /** Port of /metrics, /healthz and /readyz (0: any free port); undefined: no HTTP server. */
  httpPort?: number;
  httpHost?: string;
  retry?: { baseDelayMs: number; maxDelayMs: number };
  /** This replica's name in the events it writes (default: host name and pid). */
  instance?: string;
  /** How often running servers are pinged for their player count (default 30 s; 0: never). */
  playersIntervalSeconds?: number;
}

export interface OperatorDeps {
  api: KubeApi;
  log: Logger;
  metrics: OperatorMetrics;
  /** Called when this replica loses the lease (main.ts exits so that the pod restarts clean). */
  onLostLeadership?: () => void;
}

/**
 * An update that changed nothing but the status (the operator's own status write, mostly) needs no
 * reconcile: the reconcile derives the status from the owned objects, whose own events trigger it.
 */
export function onlyStatusChanged(before: MinecraftServer, after: MinecraftServer): boolean {
  const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
  return (
    before.metadata.generation === after.metadata.generation &&
    before.metadata.deletionTimestamp === after.metadata.deletionTimestamp &&
    same(before.metadata.finalizers, after.metadata.finalizers) &&
    same(before.metadata.labels, after.metadata.labels) &&
    same(before.metadata.annotations, after.metadata.annotations)
  );
}

/** The operator: informers, the work queue and its workers, leader election, and the HTTP endpoints. */
export class Operator {
  readonly queue: WorkQueue;
  readonly servers: Informer<MinecraftServer>;
  readonly statefulSets: Informer<V1StatefulSet>;
  readonly pods: Informer<V1Pod>;
  readonly claims: Informer<V1PersistentVolumeClaim>;
  readonly configMaps: Informer<V1ConfigMap>;
  readonly services: Informer<V1Service>;
  private readonly reconciler: Reconciler;
  private readonly players: PlayerCounts | undefined;
  private readonly elector: LeaderElector | undefined;
  private leading = false;
  private stopping = false;
  private workers: Promise<void>[] = [];
  private server: http.Server | undefined;
  private depthTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly config: OperatorConfig,
    private readonly deps: OperatorDeps,
  ) {
    const { api, log, metrics } = deps;
    this.queue = new WorkQueue(config.retry);
    const scope = (group: string, plural: string) =>
      `${group}${config.namespace ? `/namespaces/${config.namespace}` : ''}/${plural}`;
    const resyncMs = config.resyncSeconds * 1000;
    const selector = Object.entries(MANAGED_BY)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const onRestart = (resource: string) => (reason: string) =>
      metrics.watchRestarts.inc({ resource, reason });
    const enqueueOwner = (o: { metadata?: { namespace?: string; labels?: Record<string, string> } }) => {
      const owner = o.metadata?.labels?.[SERVER_LABEL];
      if (owner && o.metadata?.namespace) this.queue.add(`${o.metadata.namespace}/${owner}`);
    };
    this.servers = new Informer<MinecraftServer>({
      api,
      log,
      path: scope(`/apis/${GROUP}/${VERSION}`, PLURAL),
      resource: PLURAL,
      resyncMs,
      onChange: (o, change, previous) => {
        if (change !== 'modified' || !previous || !onlyStatusChanged(previous, o)) this.queue.add(keyOf(o));
      },
      onRestart: onRestart(PLURAL),
    });
    const owned = <T extends { metadata?: { namespace?: string; labels?: Record<string, string> } }>(
      group: string,
      plural: string,
      transform: (o: T) => T,
    ) =>
      new Informer<T & { metadata?: { name?: string } }>({
        api,
        log,
        path: scope(group, plural),
        resource: plural,
        labelSelector: selector,
        // Owned objects are only a trigger; the resync of the servers re-checks everything.
        resyncMs: resyncMs * 10,
        onChange: (o, change) => change !== 'resync' && enqueueOwner(o),
        onRestart: onRestart(plural),
        transform,
      });
    this.statefulSets = owned<V1StatefulSet>('/apis/apps/v1', 'statefulsets', trimStatefulSet);
    this.pods = owned<V1Pod>('/api/v1', 'pods', trimPod);
    this.claims = owned<V1PersistentVolumeClaim>('/api/v1', 'persistentvolumeclaims', trimClaim);
    this.configMaps = owned<V1ConfigMap>('/api/v1', 'configmaps', trimConfigMap);
    this.services = owned<V1Service>('/api/v1', 'services', trimService);
    this.reconciler = new Reconciler({
      api,
      log,
      playersOnline: (key) => this.players?.online(key),
      events: new EventRecorder({
        api,
        log,
        instance: config.instance ?? config.leaderElection?.identity ?? `${hostname()}-${process.pid}`,
      }),
      images: config.images,
      reapplyAfterMs: resyncMs,
      caches: {
        server: (k) => this.servers.get(k),
        statefulSet: (k) => this.statefulSets.get(k),
        pod: (k) => this.pods.get(k),
        claim: (k) => this.claims.get(k),
        configMap: (k) => this.configMaps.get(k),
        service: (k) => this.services.get(k),
        claimsOf: (ns, name) =>
          this.claims
            .list()
            .filter((c) => c.metadata?.namespace === ns && c.metadata?.labels?.[SERVER_LABEL] === name),
      },
    });
    const everyS = config.playersIntervalSeconds ?? 30;
    this.players =
      everyS > 0
        ? new PlayerCounts({
            intervalMs: everyS * 1000,
            log,
            onChange: (key) => this.queue.add(key),
            targets: () =>
              this.servers.list().flatMap((s) => {
                const ip =
                  s.status?.phase === 'Running'
                    ? this.pods.get(`${s.metadata.namespace}/${names(s).pod}`)?.status?.podIP
                    : undefined;
                return ip ? [{ key: keyOf(s), host: ip, port: GAME_PORT }] : [];
              }),
          })
        : undefined;
    const le = config.leaderElection;
    this.elector = le
      ? new LeaderElector({
          api,
          log,
          namespace: le.namespace,
          name: le.leaseName,
          identity: le.identity,
          leaseDurationSeconds: le.leaseDurationSeconds,
          renewDeadlineMs: le.renewDeadlineSeconds * 1000,
          retryPeriodMs: le.retryPeriodSeconds * 1000,
          onStartedLeading: () => this.startLeading(),
          onStoppedLeading: () => this.stopLeading(),
        })
      : undefined;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  private get informers(): Informer<{ metadata?: { name?: string } }>[] {
    return [
      this.servers,
      this.statefulSets,
      this.pods,
      this.claims,
      this.configMaps,
      this.services,
    ] as Informer<{
      metadata?: { name?: string };
    }>[];
  }

  get synced(): boolean {
    return this.informers.every((i) => i.hasSynced);
  }

  /** The address of the HTTP endpoints, once started. */
  get httpAddress(): AddressInfo | undefined {
    return this.server?.address() as AddressInfo | undefined;
  }

  async start(): Promise<void> {
    if (this.config.httpPort !== undefined) await this.startHttp(this.config.httpPort);
    this.depthTimer = setInterval(() => this.deps.metrics.queueDepth.set(this.queue.depth), 1000);
    this.depthTimer.unref();
    await Promise.all(this.informers.map((i) => i.start()));
    this.deps.log.info('caches synced', { servers: this.servers.list().length });
    if (this.elector) this.elector.start();
    else this.startLeading();
  }

  private startLeading(): void {
    if (this.leading) return;
    this.leading = true;
    this.deps.metrics.leader.set(1);
    for (const s of this.servers.list()) this.queue.add(keyOf(s));
    this.workers = Array.from({ length: this.config.workers }, () => this.work());
    this.players?.start();
  }

  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    this.deps.metrics.leader.set(0);
    if (!this.stopping) this.deps.onLostLeadership?.();
  }

  private async work(): Promise<void> {
    const { log, metrics } = this.deps;
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      if (!this.leading) {
        // Not ours to write any more; the next leader lists everything anyway.
        this.queue.done(key);
        return;
      }
      const end = metrics.reconcileDuration.startTimer();
      try {
        await this.reconciler.reconcile(key);
        this.queue.forget(key);
        end({ result: 'success' });
      } catch (error) {
        const reason = errorReason(error);
        metrics.reconcileErrors.inc({ reason });
        metrics.retries.inc();
        const delayMs = this.queue.addRateLimited(key);
        const server = this.servers.get(key);
        log.warn('reconcile failed', {
          key,
          generation: server?.metadata.generation,
          reason,
          error: (error as Error).message,
          retryInMs: delayMs,
        });
        end({ result: 'error' });
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async startHttp(port: number): Promise<void> {
    const { metrics } = this.deps;
    this.server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      if (url === '/readyz') {
        const ok = this.synced;
        return void res
          .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
          .end(ok ? (this.leading || !this.elector ? 'ok\n' : 'ok (standby)\n') : 'caches not synced\n');
      }
      if (url === '/metrics') {
        metrics.queueDepth.set(this.queue.depth);
        void metrics.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
          (error: Error) => res.writeHead(500).end(error.message),
        );
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) =>
      this.server!.listen(port, this.config.httpHost ?? '0.0.0.0', resolve),
    );
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.depthTimer);
    await this.elector?.stop();
    this.leading = false;
    await this.players?.stop();
    this.queue.shutDown();
    await Promise.all(this.workers);
    await Promise.all(this.informers.map((i) => i.stop()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
