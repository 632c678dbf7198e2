import type { V1Lease } from '@kubernetes/client-node';
import { isStatus, type KubeApi } from '@minefleet/runtime-kubernetes/kube/client';
import type { Logger } from './log.js';

export interface LeaderElectionOptions {
  api: KubeApi;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** A leader that could not renew for this long stops leading (before anyone else may take over). */
  renewDeadlineMs: number;
  retryPeriodMs: number;
  log: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
}

/** Lease times are MicroTime: RFC 3339 with microseconds. */
const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * Leader election on a coordination.k8s.io Lease, the way client-go does it: the holder renews every
 * retry period; another candidate takes the lease over only after it has seen the same record unchanged
 * for a whole lease duration (by its own clock, so clock skew between nodes does not matter), and the
 * write is guarded by the lease's resourceVersion so two candidates cannot both win.
 */
export class LeaderElector {
  private leading = false;
  private observed: { record: string; at: number } | undefined;
  private lastRenew = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private ticking: Promise<void> = Promise.resolve();

  constructor(private readonly o: LeaderElectionOptions) {}

  get isLeader(): boolean {
    return this.leading;
  }

  private get path() {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.o.namespace}/leases`;
  }

  start(): void {
    const tick = () => {
      if (this.stopped) return;
      this.ticking = this.tryAcquireOrRenew()
        .catch((error: unknown) =>
          this.o.log.warn('lease update failed', { error: (error as Error).message }),
        )
        .finally(() => {
          if (this.leading && Date.now() - this.lastRenew > this.o.renewDeadlineMs)
            this.lose('renew deadline passed');
          if (!this.stopped) this.timer = setTimeout(tick, this.o.retryPeriodMs);
        });
    };
    tick();
  }

  /** Stops; a leader gives the lease up so a standby takes over at once instead of after the lease time. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    if (!this.leading) return;
    try {
      const lease = await this.o.api.request<V1Lease>('GET', `${this.path}/${this.o.name}`);
      if (lease.spec?.holderIdentity === this.o.identity) {
        await this.o.api.request('PUT', `${this.path}/${this.o.name}`, {
          body: {
            ...lease,
            spec: {
              ...lease.spec,
              holderIdentity: '',
              leaseDurationSeconds: 1,
              renewTime: microTime(new Date()),
            },
          },
        });
      }
    } catch (error) {
      this.o.log.warn('could not release the lease', { error: (error as Error).message });
    }
    this.lose('stopped');
  }

  private lose(why: string): void {
    if (!this.leading) return;
    this.leading = false;
    this.o.log.warn('stopped leading', { lease: this.o.name, why });
    this.o.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<void> {
    const now = new Date();
    let lease: V1Lease;
    try {
      lease = await this.o.api.request<V1Lease>('GET', `${this.path}/${this.o.name}`);
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
      await this.o.api.request('POST', this.path, {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace },
          spec: {
            holderIdentity: this.o.identity,
            leaseDurationSeconds: this.o.leaseDurationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        },
      });
      this.won();
      return;
    }
    const spec = lease.spec ?? {};
    const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseTransitions]);
    if (this.observed?.record !== record) this.observed = { record, at: Date.now() };
    const mine = spec.holderIdentity === this.o.identity;
    const duration = (spec.leaseDurationSeconds ?? this.o.leaseDurationSeconds) * 1000;
    const free = !spec.holderIdentity || Date.now() - this.observed.at > duration;
    if (!mine && !free) {
      if (this.leading) this.lose(`lease held by ${spec.holderIdentity}`);
      return;
    }
    await this.o.api.request('PUT', `${this.path}/${this.o.name}`, {
      body: {
        ...lease,
        spec: {
          ...spec,
          holderIdentity: this.o.identity,
          leaseDurationSeconds: this.o.leaseDurationSeconds,
          renewTime: microTime(now),
          ...(mine
            ? {}
            : { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
        },
      },
    });
    this.won();
  }

  private won(): void {
    this.lastRenew = Date.now();
    if (this.leading) return;
    this.leading = true;
    this.o.log.info('started leading', { lease: this.o.name, identity: this.o.identity });
    this.o.onStartedLeading();
  }
}
