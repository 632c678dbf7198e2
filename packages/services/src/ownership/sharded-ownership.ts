import { LeaseKeeper, type LeaseLossReason } from '../leases-keeper.js';
import type { Leases } from '../leases.js';
import type { Logger } from '../logger.js';
import type { Ownership, OwnershipChange, OwnershipState } from './ownership.js';
import { shardOf } from './shard-of.js';

// Which shard a server is in belongs to this module's contract: callers (tests) check ownership with it.
export { shardOf } from './shard-of.js';

export interface ShardedOwnershipOptions {
  leases: Leases;
  replicaId: string;
  /** Servers are spread over this many shards, each one lease (the same number on every replica). */
  shards: number;
  ttlMs: number;
  /** How often the share is rebalanced and free shards claimed (default ttl / 3). */
  intervalMs?: number;
  logger: Logger;
}

const REPLICA_PREFIX = 'ownership/replica/';
const SHARD_PREFIX = 'ownership/shard/';

/**
 * Ownership through leases in the database (docs/events.md, "Replicas and ownership"). Servers hash
 * into a fixed number of shards; each shard is one lease held by at most one replica, kept by a
 * LeaseKeeper (which declares it lost before the database can hand it to anyone else: no split brain).
 *
 * Every replica also keeps a presence lease (`ownership/replica/<id>`), so each can count the live
 * replicas and aim for its fair share, ceil(shards / replicas): it claims free or expired shards up to
 * that share and hands back the excess (released at once, so another replica takes them within one
 * interval). Shard 0's holder leads the platform-wide jobs.
 */
export class ShardedOwnership implements Ownership {
  readonly replicaId: string;
  private readonly keepers = new Map<number, LeaseKeeper>();
  private readonly held = new Set<number>();
  private readonly listeners = new Set<(change: OwnershipChange) => void>();
  private readonly intervalMs: number;
  private presence: LeaseKeeper | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private replicasSeen = 1;
  private rebalancing: Promise<void> | undefined;

  constructor(private readonly options: ShardedOwnershipOptions) {
    if (!Number.isInteger(options.shards) || options.shards < 1 || options.shards > 1024) {
      throw new RangeError('Ownership shards must be a whole number from 1 to 1024.');
    }
    this.replicaId = options.replicaId;
    this.intervalMs = options.intervalMs ?? Math.max(1, Math.floor(options.ttlMs / 3));
  }

  owns(serverId: string): boolean {
    return this.held.has(shardOf(serverId, this.options.shards));
  }

  leads(): boolean {
    return this.held.has(0);
  }

  onChange(listener: (change: OwnershipChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const { leases, ttlMs } = this.options;
    const presenceName = `${REPLICA_PREFIX}${this.replicaId}`;
    await leases.acquire(presenceName, this.replicaId, ttlMs);
    this.presence = new LeaseKeeper({
      leases,
      name: presenceName,
      holder: this.replicaId,
      ttlMs,
      intervalMs: this.intervalMs,
      onError: (error) => this.log.warn({ err: error }, 'presence lease not renewed'),
    });
    this.presence.start();
    await this.rebalance();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.rebalancing;
    // Shards first (work stops, leases released so others take over at once), then presence.
    await Promise.all([...this.keepers.values()].map((keeper) => keeper.stop()));
    this.keepers.clear();
    await this.presence?.stop();
  }

  describe(): OwnershipState {
    return {
      mode: 'leases',
      replica_id: this.replicaId,
      shards_total: this.options.shards,
      shards_held: [...this.held].sort((a, b) => a - b),
      replicas_seen: this.replicasSeen,
    };
  }

  private get log(): Logger {
    return this.options.logger;
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.rebalancing = this.rebalance()
        .catch((error: unknown) => this.log.warn({ err: error }, 'ownership rebalance failed'))
        .finally(() => {
          this.rebalancing = undefined;
          this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** One round: count replicas, hand back the excess, claim free shards up to the fair share. */
  private async rebalance(): Promise<void> {
    const { leases, shards, ttlMs } = this.options;
    const rows = await leases.list('ownership/');
    const replicas = rows.filter((r) => r.name.startsWith(REPLICA_PREFIX) && !r.expired).length;
    this.replicasSeen = Math.max(1, replicas);
    const share = Math.ceil(shards / this.replicasSeen);

    const mine = [...this.keepers.keys()].sort((a, b) => b - a);
    // Hand back the excess, highest shards first (shard 0, the leader's, moves last).
    for (const shard of mine.slice(0, Math.max(0, mine.length - share))) {
      const keeper = this.keepers.get(shard);
      this.keepers.delete(shard);
      this.log.info({ shard, share, replicas: this.replicasSeen }, 'handing a shard back');
      await keeper?.stop();
    }

    const wanted = share - this.keepers.size;
    if (wanted <= 0 || !this.running) return;
    const byShard = new Map(
      rows
        .filter((r) => r.name.startsWith(SHARD_PREFIX))
        .map((r) => [Number(r.name.slice(SHARD_PREFIX.length)), r]),
    );
    const free: { shard: number; takeover: boolean }[] = [];
    for (let shard = 0; shard < shards; shard++) {
      if (this.keepers.has(shard)) continue;
      const row = byShard.get(shard);
      if (!row) free.push({ shard, takeover: false });
      else if (row.expired) free.push({ shard, takeover: row.holder !== this.replicaId });
    }
    // Lowest shards first, so shard 0 (the leader's) never stays free while others are claimed.
    const kept: Promise<void>[] = [];
    for (const { shard, takeover } of free.slice(0, wanted)) {
      if (!this.running) break;
      const grant = await leases.acquire(`${SHARD_PREFIX}${shard}`, this.replicaId, ttlMs);
      if (grant) kept.push(this.keep(shard, takeover));
    }
    await Promise.all(kept);
  }

  /**
   * Keeps a shard just acquired: its keeper takes it again at once (same holder, so it succeeds), arms
   * the safety deadline and renews it from then on; it counts as held only from that moment. Resolves
   * once held, or after one interval if the database did not answer (the keeper keeps trying).
   */
  private keep(shard: number, takeover: boolean): Promise<void> {
    let acquired: () => void = () => {};
    const held = new Promise<void>((resolve) => (acquired = resolve));
    const keeper = new LeaseKeeper({
      leases: this.options.leases,
      name: `${SHARD_PREFIX}${shard}`,
      holder: this.replicaId,
      ttlMs: this.options.ttlMs,
      intervalMs: this.intervalMs,
      onAcquired: () => {
        acquired();
        this.held.add(shard);
        this.log.info({ shard, takeover }, 'shard acquired');
        this.emit({ kind: 'gained', shard, takeover });
      },
      onLost: (reason: LeaseLossReason) => {
        this.held.delete(shard);
        if (this.keepers.get(shard) === keeper) this.keepers.delete(shard);
        if (reason !== 'stopped') void keeper.stop();
        this.log.info({ shard, reason }, 'shard lost');
        this.emit({ kind: 'lost', shard, takeover: false });
      },
      onError: (error) => this.log.warn({ err: error, shard }, 'shard lease not renewed'),
    });
    this.keepers.set(shard, keeper);
    keeper.start();
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      held,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, this.intervalMs))),
    ]).finally(() => clearTimeout(timer));
  }

  private emit(change: { kind: OwnershipChange['kind']; shard: number; takeover: boolean }): void {
    const shards = this.options.shards;
    const event: OwnershipChange = {
      kind: change.kind,
      takeover: change.takeover,
      includes: (serverId) => shardOf(serverId, shards) === change.shard,
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.error({ err: error }, 'ownership listener failed');
      }
    }
  }
}
