import type { Database } from '@minefleet/db/database';
import type { Clock } from '@minefleet/domain/clock';
import { DEFAULT_CRASH_POLICY, type CrashPolicy } from '@minefleet/domain/crash-policy';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { Logger } from '../logger.js';
import type { PortAllocator } from '../port-allocator.js';
import type { ServerCounts } from '../server-counts.js';
import type { ServerRecord } from '../servers.js';

export interface LifecycleSettings {
  /** Address game servers bind to. */
  bindHost: string;
  warmupTimeoutMs: number;
  stopTimeoutMs: number;
  /** How often a starting server is pinged; short, since it bounds how late `running` is seen. */
  pingIntervalMs: number;
  crashPolicy: CrashPolicy;
  /** How often every server is checked against its desired state. */
  reconcileIntervalMs: number;
  lockWaitMs: number;
  /**
   * Whether the first reconcile after a start kills a game process that is alive but does not answer on
   * its console (no one can control it). True for a sole replica; false when replicas share servers,
   * where such a process may be one another replica is starting.
   */
  reapUnresponsive: boolean;
  /**
   * Game launches this replica runs at once (the start queue, start-queue.ts); further starts wait as
   * `starting` with a "Queued" reason, handed out round-robin across tenants.
   */
  startConcurrency: number;
  /**
   * How long one launch holds its slot at most: until its warm-up ends (running or failed), but no
   * longer than this, so a server slow to load does not hold up the queue.
   */
  launchSlotMaxMs: number;
  /**
   * How long a `starting` server with no process is left alone by a replica that is not starting it
   * (another replica may be launching it, its process not spawned yet) before it is declared gone and
   * started again. Counted from the record's last change. 0 for a sole replica (nobody else starts).
   */
  startGraceMs: number;
}

export const DEFAULT_LIFECYCLE_SETTINGS: Omit<LifecycleSettings, 'bindHost'> = {
  warmupTimeoutMs: 180_000,
  stopTimeoutMs: 30_000,
  pingIntervalMs: 20,
  crashPolicy: DEFAULT_CRASH_POLICY,
  reconcileIntervalMs: 15_000,
  lockWaitMs: 5_000,
  reapUnresponsive: true,
  startConcurrency: 4,
  launchSlotMaxMs: 60_000,
  startGraceMs: 30_000,
};

export interface StartRequest {
  warmupTimeoutSeconds?: number | undefined;
  preStartCommands?: string[] | undefined;
  propertyOverrides?: Record<string, unknown> | undefined;
}

export interface StopRequest {
  gracefulTimeoutSeconds?: number | undefined;
  force?: boolean | undefined;
  saveWorld?: boolean | undefined;
  announce?: string | undefined;
  postStopCommands?: string[] | undefined;
}

export interface DeleteRequest {
  force?: boolean | undefined;
  keepBackups?: boolean | undefined;
}

/** Work other services attach to the lifecycle (backups take a final backup before a delete). */
export interface LifecycleHooks {
  beforeRemove?(server: ServerRecord, options: { keepBackups: boolean }): Promise<void>;
  /**
   * Whether the control plane with this replica id still runs (its presence lease): a server left
   * `restoring` by one that does not is ended by the owner's reconcile. Without it, only a restart of
   * the owner ends such a state.
   */
  replicaAlive?(replicaId: string): Promise<boolean>;
}

export interface LifecycleDeps {
  db: Database;
  runtime: RuntimeDriver;
  events: EventBus;
  clock: Clock;
  ports: PortAllocator;
  logger: Logger;
  settings: LifecycleSettings;
  hooks?: LifecycleHooks;
  /**
   * Whether this replica runs the server's background work (reconcile, crash restarts, publishing its
   * console); all by default. User actions run on any replica (docs/events.md, "Replicas and ownership").
   */
  owns?: (serverId: string) => boolean;
  /** This control plane's replica id, recorded on a server while it runs a restore on it. */
  replicaId?: string;
  /** Remembered server totals, dropped when a record is deleted (server-counts.ts). */
  serverCounts?: ServerCounts | undefined;
}
