import { DomainError } from '@minefleet/domain/errors';
import { assertActionAllowed, type ServerAction, type ServerStatus } from '@minefleet/domain/server-state';
import { validateProperties } from '@minefleet/domain/server-properties';
import type { Permission } from '@minefleet/domain/permissions';
import type { Actor } from '../actor.js';
import { loadServerFor } from '../server-access.js';
import { assertStorageRoom } from '../storage/storage-room.js';
import type { ServerRecord } from '../servers.js';
import { assertCommand } from './commands.js';
import { LifecycleCore } from './core.js';
import { CrashHandler } from './crash.js';
import { CrashRestarts } from './crash-restarts.js';
import { Deleter } from './delete.js';
import { Listeners } from './listeners.js';
import { maintenance, type MaintenanceOptions } from './maintenance.js';
import { Power } from './power.js';
import { Reconciler, type ReconcileOptions } from './reconcile.js';
import type { DeleteRequest, LifecycleDeps, StartRequest, StopRequest } from './settings.js';
import { Warmups } from './warmup.js';

export { assertCommand, COMMAND_MAX_LENGTH } from './commands.js';
export { DEFAULT_LIFECYCLE_SETTINGS } from './settings.js';
export type {
  DeleteRequest,
  LifecycleHooks,
  LifecycleSettings,
  StartRequest,
  StopRequest,
} from './settings.js';

/**
 * The server lifecycle, the way other services and the HTTP routes see it: power actions, console
 * commands, deletes, maintenance windows and the background work (listeners, reconcile loop). Each job
 * lives in its own module around a shared core: power.ts (start, stop, restart, kill, deploy),
 * crash.ts and crash-restarts.ts (exits, crash backoff), listeners.ts (runtime and status events),
 * reconcile.ts (desired state), delete.ts, maintenance.ts (restores), warmup.ts. Power actions take the
 * server's lock (except kill); a process end is turned into `stopped`, `crashed` or `failed` only from
 * the runtime's exit events, guarded by the process generation so a stale event or timer never touches
 * a newer process.
 */
export class LifecycleService {
  private readonly core: LifecycleCore;
  private readonly warmups: Warmups;
  private readonly restarts: CrashRestarts;
  private readonly power: Power;
  private readonly deleter: Deleter;
  private readonly reconciler: Reconciler;
  private readonly listeners: Listeners;

  constructor(deps: LifecycleDeps) {
    const core = new LifecycleCore(deps);
    this.core = core;
    this.warmups = new Warmups(core);
    this.restarts = new CrashRestarts(core, (server) => this.power.start(server, {}));
    this.power = new Power(core, this.warmups, this.restarts);
    this.deleter = new Deleter(core, this.warmups, this.restarts);
    this.reconciler = new Reconciler(core, this.warmups, this.power, this.restarts, this.deleter);
    const crash = new CrashHandler(core, this.warmups, this.power, this.restarts);
    this.listeners = new Listeners(core, crash, this.restarts);
  }

  /** The server's current record, whatever its tenant (for platform work: schedules, backup jobs). */
  load(serverId: string): Promise<ServerRecord | undefined> {
    return this.core.status.load(serverId);
  }

  /** Sets the reason shown with the server's status (platform notes such as the storage watcher's). */
  note(serverId: string, statusReason: string | null): Promise<ServerRecord | undefined> {
    return this.core.status.patch(serverId, { statusReason }, true);
  }

  /**
   * Moves the server to `to` when the domain's transition table allows it from its current status
   * (sleep and wake move a server between running, sleeping and frozen this way). Returns the updated
   * record, or undefined when the move did not apply.
   */
  transition(
    serverId: string,
    to: ServerStatus,
    options: Parameters<LifecycleCore['status']['transition']>[2] = {},
  ): Promise<ServerRecord | undefined> {
    return this.core.status.transition(serverId, to, options);
  }

  /**
   * Waits until the server's status is one of `statuses` and resolves with its record; after
   * `timeoutMs` resolves with its latest record instead (undefined once it is deleted).
   */
  whenStatus(
    serverId: string,
    statuses: readonly ServerStatus[],
    timeoutMs: number,
  ): Promise<ServerRecord | undefined> {
    return this.core.status.waitFor(serverId, (server) => statuses.includes(server.status), timeoutMs);
  }

  /** Loads a server the actor may act on: another tenant's server is not found (row-level security). */
  async authorize(
    actor: Actor,
    serverId: string,
    needs: Permission,
    action?: ServerAction,
  ): Promise<ServerRecord> {
    return loadServerFor(this.core.deps.db, actor, serverId, needs, action);
  }

  /** Prepares a new server's workspace in the background, then starts it if it should run. */
  deployInBackground(serverId: string): void {
    this.power.deployInBackground(serverId);
  }

  async start(actor: Actor, serverId: string, request: StartRequest = {}): Promise<ServerRecord> {
    await this.authorize(actor, serverId, 'control.start', 'start');
    const overrides = request.propertyOverrides ? validateProperties(request.propertyOverrides) : undefined;
    const preStart = (request.preStartCommands ?? []).map(assertCommand);
    return this.core.accepted(serverId, 'start', async (accept) => {
      const server = await this.core.mustLoad(serverId);
      assertActionAllowed('start', server.status);
      // A server whose files fill its plan's storage stays stopped until files are deleted.
      await assertStorageRoom(this.core.deps.runtime, server);
      accept(
        await this.power.start(server, {
          preStartCommands: preStart,
          propertyOverrides: overrides,
          warmupTimeoutMs: request.warmupTimeoutSeconds ? request.warmupTimeoutSeconds * 1000 : undefined,
          resetCrashes: true,
        }),
      );
    });
  }

  async stop(actor: Actor, serverId: string, request: StopRequest = {}): Promise<ServerRecord> {
    await this.authorize(actor, serverId, 'control.stop', 'stop');
    const commands = (request.postStopCommands ?? []).map(assertCommand);
    return this.core.accepted(serverId, 'stop', async (accept) => {
      const server = await this.core.mustLoad(serverId);
      assertActionAllowed('stop', server.status);
      await this.power.stop(server, { ...request, postStopCommands: commands }, accept);
    });
  }

  async restart(
    actor: Actor,
    serverId: string,
    request: StopRequest & StartRequest = {},
  ): Promise<ServerRecord> {
    await this.authorize(actor, serverId, 'control.restart', 'restart');
    return this.core.accepted(serverId, 'restart', (accept) => this.power.restart(serverId, request, accept));
  }

  /** Kills the process at once. Takes no lock: it is how a stuck operation is ended. */
  async kill(actor: Actor, serverId: string): Promise<ServerRecord> {
    return this.power.kill(await this.authorize(actor, serverId, 'control.stop', 'kill'));
  }

  async sendCommand(actor: Actor, serverId: string, command: string): Promise<void> {
    const server = await this.authorize(actor, serverId, 'control.console');
    const line = assertCommand(command);
    if (server.status !== 'running' && server.status !== 'starting') {
      throw new DomainError('SERVER_NOT_RUNNING', 'The server is not running.', { status: server.status });
    }
    await this.core.deps.runtime.sendCommand(serverId, line);
  }

  async delete(actor: Actor, serverId: string, request: DeleteRequest = {}): Promise<ServerRecord> {
    await this.authorize(actor, serverId, 'server.delete', 'delete');
    if (request.force) {
      // A forced delete must not wait behind a stuck operation.
      this.warmups.abort(serverId);
      const deleting = await this.deleter.mark(serverId);
      this.core.background('delete', serverId, () => this.deleter.finish(serverId, request));
      return deleting;
    }
    return this.core.accepted(serverId, 'delete', async (accept) => {
      accept(await this.deleter.mark(serverId));
      await this.deleter.finish(serverId, request);
    });
  }

  /** Runs `work` on the server held stopped in `restoring` (see maintenance.ts). */
  maintenance<T>(
    serverId: string,
    operation: string,
    work: (server: ServerRecord) => Promise<T>,
    options: MaintenanceOptions = {},
  ): Promise<T> {
    return maintenance(this.core, this.power, serverId, operation, work, options);
  }

  /** Runs `fn` under the server's lock (backups of a running server hold it so power actions wait). */
  exclusive<T>(
    serverId: string,
    operation: string,
    fn: () => Promise<T>,
    waitMs = this.core.settings.lockWaitMs,
  ): Promise<T> {
    return this.core.locks.run(serverId, operation, fn, waitMs);
  }

  /**
   * Starts background work: listens to the runtime, re-adopts processes that outlived a previous
   * control plane, drives every server toward its desired state, and keeps doing so periodically.
   */
  async startBackground(): Promise<void> {
    await this.listeners.listen();
    await this.reconciler.pass(true);
    this.reconciler.every(this.core.settings.reconcileIntervalMs);
  }

  /**
   * Servers moved to this replica: attach to their processes and drive them to their desired state.
   * `recover` (taken over from a replica that stopped renewing) also resumes work it left half-done.
   */
  takeOver(includes: (serverId: string) => boolean, recover: boolean): void {
    this.core.background('take over', '*', () => this.reconciler.pass(true, { only: includes, recover }));
  }

  /** Servers moved away from this replica: its pending crash restarts for them are the new owner's now. */
  release(includes: (serverId: string) => boolean): void {
    this.restarts.release(includes);
  }

  /** One pass of the reconcile loop (see reconcile.ts). */
  reconcile(adopt: boolean, options: ReconcileOptions = {}): Promise<void> {
    return this.reconciler.pass(adopt, options);
  }

  /** Updates the player count of one server now (used after a player joins, by the metrics collector). */
  async refreshPlayers(serverId: string): Promise<number | null> {
    try {
      const ping = await this.core.deps.runtime.ping(serverId, 2000);
      await this.core.status.patch(serverId, { playersOnline: ping.onlinePlayers });
      return ping.onlinePlayers;
    } catch {
      return null;
    }
  }

  /** Stops background work; game servers keep running (the next control plane adopts them). */
  async close(): Promise<void> {
    this.core.stopping = true;
    // Servers still queued stay `starting`; the next control plane's first pass starts them.
    this.core.launches.clear();
    this.reconciler.stop();
    await this.listeners.close();
    this.restarts.cancelAll();
    this.warmups.abortAll();
    await this.core.work.drain();
  }
}
