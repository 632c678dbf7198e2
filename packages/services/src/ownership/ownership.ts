/**
 * Which servers this control-plane replica manages in the background: the reconcile loop, crash
 * restarts, metrics sampling, player sessions, publishing console lines (and, later, schedules). User
 * requests are served by whichever replica receives them; only background work is split (docs/events.md,
 * "Replicas and ownership").
 */
export interface Ownership {
  /** This replica's identity in leases and logs. */
  readonly replicaId: string;
  /** Whether this replica runs background work for the server now. */
  owns(serverId: string): boolean;
  /** Whether this replica runs platform-wide jobs (metrics downsampling and retention). */
  leads(): boolean;
  /** Told when servers move to or away from this replica. Returns an unsubscribe function. */
  onChange(listener: (change: OwnershipChange) => void): () => void;
  /** Takes this replica's first share; resolves once it knows what it owns. */
  start(): Promise<void>;
  /** Stops the background work's claims (and hands them to other replicas at once). */
  stop(): Promise<void>;
  /** For /health and logs. */
  describe(): OwnershipState;
}

export interface OwnershipChange {
  kind: 'gained' | 'lost';
  /** Whether a server is among those that moved. */
  includes: (serverId: string) => boolean;
  /**
   * Gained from a replica that stopped renewing (crashed, hung or cut off) rather than one that handed
   * them over: work it left half-done (a deploy, a delete) is resumed.
   */
  takeover: boolean;
}

export interface OwnershipState {
  mode: 'sole' | 'leases' | 'none';
  replica_id: string;
  shards_total: number;
  shards_held: number[];
  replicas_seen: number;
}

/** One replica owns everything: the embedded database cannot be shared, so no other replica exists. */
export class SoleOwnership implements Ownership {
  constructor(readonly replicaId: string) {}
  owns(): boolean {
    return true;
  }
  leads(): boolean {
    return true;
  }
  onChange(): () => void {
    return () => {};
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  describe(): OwnershipState {
    return { mode: 'sole', replica_id: this.replicaId, shards_total: 1, shards_held: [0], replicas_seen: 1 };
  }
}

/**
 * Owns nothing and never leads: a process that serves the shared platform but must run none of its
 * background work (the standalone gateway, which only routes and wakes; the control-plane replicas
 * reconcile, restart crashes, run schedules and put idle servers to sleep).
 */
export class NoOwnership implements Ownership {
  constructor(readonly replicaId: string) {}
  owns(): boolean {
    return false;
  }
  leads(): boolean {
    return false;
  }
  onChange(): () => void {
    return () => {};
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  describe(): OwnershipState {
    return { mode: 'none', replica_id: this.replicaId, shards_total: 0, shards_held: [], replicas_seen: 1 };
  }
}
