import { DomainError } from '@minefleet/domain/errors';
import { BackgroundWork } from '../background-work.js';
import type { Logger } from '../logger.js';
import type { ServerRecord } from '../servers.js';
import { ServerLocks } from './server-locks.js';
import type { LifecycleDeps, LifecycleSettings } from './settings.js';
import { StartQueue } from './start-queue.js';
import { StatusStore } from './status-store.js';

/**
 * What every part of the lifecycle shares: its dependencies, the per-server locks, the status store,
 * the background work shutdown waits for, and which servers this replica owns.
 */
export class LifecycleCore {
  readonly locks = new ServerLocks();
  readonly status: StatusStore;
  readonly work: BackgroundWork;
  /** Tenant of each server, for routing console lines (a tenant never changes). */
  readonly tenants = new Map<string, string>();
  /** Game launches in flight and waiting on this replica (start-queue.ts). */
  readonly launches: StartQueue;
  /** Set by close(): events arriving afterwards start no new work. */
  stopping = false;

  constructor(readonly deps: LifecycleDeps) {
    this.status = new StatusStore(deps.db, deps.events, deps.clock, (error) =>
      deps.logger.warn({ err: error }, 'status event not published'),
    );
    this.work = new BackgroundWork(deps.logger);
    this.launches = new StartQueue(deps.settings.startConcurrency, (error, serverId) =>
      deps.logger.error({ err: error, serverId }, 'queued start failed'),
    );
  }

  get settings(): LifecycleSettings {
    return this.deps.settings;
  }

  get log(): Logger {
    return this.deps.logger;
  }

  owns(serverId: string): boolean {
    return this.deps.owns ? this.deps.owns(serverId) : true;
  }

  /** Runs work after the HTTP answer; failures are logged, and shutdown waits for it. */
  background(what: string, serverId: string, work: () => Promise<unknown>): void {
    this.work.run(what, { serverId }, work);
  }

  /**
   * Runs `fn` under the server's lock. `fn` calls `accept(record)` once the action is accepted (the HTTP
   * answer goes out then) and keeps the lock until it is done.
   */
  accepted(
    serverId: string,
    operation: string,
    fn: (accept: (record: ServerRecord) => void) => Promise<void>,
  ): Promise<ServerRecord> {
    return this.work.accepted<ServerRecord>(
      operation,
      { serverId, operation },
      (accept) => this.locks.run(serverId, operation, () => fn(accept), this.settings.lockWaitMs),
      () => this.mustLoad(serverId),
    );
  }

  async mustLoad(serverId: string): Promise<ServerRecord> {
    const server = await this.status.load(serverId);
    if (!server) throw new DomainError('SERVER_NOT_FOUND', 'No such server.', { id: serverId });
    return server;
  }
}
