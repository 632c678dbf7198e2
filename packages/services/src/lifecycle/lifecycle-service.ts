import { eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { servers } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import { decideAfterCrash, DEFAULT_CRASH_POLICY, type CrashPolicy } from '@minefleet/domain/crash-policy';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import type { EventBus, EventSubscription, PlatformEvent } from '@minefleet/domain/ports/event-bus';
import type {
  ExitInfo,
  PropertyValue,
  RuntimeDriver,
  RuntimeEvent,
} from '@minefleet/domain/ports/runtime-driver';
import { assertActionAllowed, type ServerAction } from '@minefleet/domain/server-state';
import { validateProperties } from '@minefleet/domain/server-properties';
import type { Role } from '@minefleet/domain/roles';
import { requireRole, scopeOf, type Actor } from '../actor.js';
import type { Logger } from '../logger.js';
import type { PortAllocator } from '../port-allocator.js';
import type { ServerRecord } from '../servers.js';
import { ServerLocks } from './server-locks.js';
import { specOf } from './spec.js';
import { StatusStore } from './status-store.js';

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
}

export const DEFAULT_LIFECYCLE_SETTINGS: Omit<LifecycleSettings, 'bindHost'> = {
  warmupTimeoutMs: 180_000,
  stopTimeoutMs: 30_000,
  pingIntervalMs: 20,
  crashPolicy: DEFAULT_CRASH_POLICY,
  reconcileIntervalMs: 15_000,
  lockWaitMs: 5_000,
  reapUnresponsive: true,
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
}

export const COMMAND_MAX_LENGTH = 1000;

/** A console command is one line: a newline would smuggle a second command in. */
export function assertCommand(command: string): string {
  const trimmed = command.trim();
  if (trimmed.length === 0 || trimmed.length > COMMAND_MAX_LENGTH) {
    throw new DomainError('VALIDATION_FAILED', `A command is 1–${COMMAND_MAX_LENGTH} characters.`, {
      field: 'command',
    });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'A command must be a single line without control characters.',
      {
        field: 'command',
      },
    );
  }
  return trimmed.replace(/^\//, '');
}

/** Text announced to players: one line, bounded. */
function announcement(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 200);
}

/**
 * The server lifecycle: power actions, console commands, crash handling and the desired-state
 * reconcile loop. Power actions take the server's lock (except kill); the runtime's exit events are the
 * one place a process end is turned into `stopped`, `crashed` or `failed`, guarded by the process
 * generation so a stale event or timer never touches a newer process.
 */
export class LifecycleService {
  readonly locks = new ServerLocks();
  readonly status: StatusStore;
  private readonly warmups = new Map<string, AbortController>();
  /** Tenant of each server, for routing console lines (a tenant never changes). */
  private readonly tenants = new Map<string, string>();
  private readonly crashTimers = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Set<Promise<unknown>>();
  private reconcileTimer: NodeJS.Timeout | undefined;
  private unsubscribeRuntime: (() => void) | undefined;
  private statusSubscription: EventSubscription | undefined;
  /** Servers an attachment is being made to (after another replica reported them running). */
  private readonly attaching = new Set<string>();
  private stopping = false;

  constructor(
    private readonly deps: {
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
    },
  ) {
    this.status = new StatusStore(deps.db, deps.events, deps.clock, (error) =>
      deps.logger.warn({ err: error }, 'status event not published'),
    );
  }

  private get log(): Logger {
    return this.deps.logger;
  }

  private owns(serverId: string): boolean {
    return this.deps.owns ? this.deps.owns(serverId) : true;
  }

  /** Runs work after the HTTP answer; failures are logged, and shutdown waits for it. */
  private background(what: string, serverId: string, work: () => Promise<unknown>): void {
    const task = work()
      .catch((error: unknown) => this.log.error({ err: error, serverId, what }, 'background work failed'))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /**
   * Runs `fn` under the server's lock. `fn` calls `accept(record)` once the action is accepted (the HTTP
   * answer goes out then) and keeps the lock until it is done.
   */
  private accepted(
    serverId: string,
    operation: string,
    fn: (accept: (record: ServerRecord) => void) => Promise<void>,
  ): Promise<ServerRecord> {
    return new Promise<ServerRecord>((resolve, reject) => {
      let answered = false;
      const accept = (record: ServerRecord) => {
        answered = true;
        resolve(record);
      };
      const task = this.locks
        .run(serverId, operation, () => fn(accept), this.deps.settings.lockWaitMs)
        .then(async () => {
          if (!answered) resolve(await this.mustLoad(serverId));
        })
        .catch((error: unknown) => {
          if (answered)
            this.log.error({ err: error, serverId, operation }, 'operation failed after it was accepted');
          else reject(error instanceof Error ? error : new Error(String(error)));
        })
        .finally(() => this.pending.delete(task));
      this.pending.add(task);
    });
  }

  private async mustLoad(serverId: string): Promise<ServerRecord> {
    const server = await this.status.load(serverId);
    if (!server) throw new DomainError('SERVER_NOT_FOUND', 'No such server.', { id: serverId });
    return server;
  }

  /** Loads a server the actor may act on: another tenant's server is not found (row-level security). */
  async authorize(
    actor: Actor,
    serverId: string,
    minimum: Role,
    action?: ServerAction,
  ): Promise<ServerRecord> {
    if (!isUuid(serverId))
      throw new DomainError('INVALID_ID', 'The server id is not a UUID.', { id: serverId });
    const server = await this.deps.db.tenant(
      scopeOf(actor),
      async (tx) => (await tx.select().from(servers).where(eq(servers.id, serverId)))[0],
    );
    if (!server) throw new DomainError('SERVER_NOT_FOUND', 'No such server.', { id: serverId });
    requireRole(actor, minimum);
    if (action) assertActionAllowed(action, server.status);
    return server;
  }

  // ─── Deploy ──────────────────────────────────────────────────────────────────────────────────

  /** Prepares a new server's workspace in the background, then starts it if it should run. */
  deployInBackground(serverId: string): void {
    this.background('deploy', serverId, () =>
      this.locks.run(serverId, 'deploy', () => this.deploy(serverId), 600_000),
    );
  }

  private async deploy(serverId: string): Promise<void> {
    const server = await this.status.load(serverId);
    if (!server || server.status !== 'deploying') return;
    try {
      const port = server.port ?? (await this.deps.ports.allocate(serverId));
      const withPort =
        server.port === port ? server : ((await this.status.patch(serverId, { port })) ?? server);
      await this.deps.runtime.deploy(specOf(withPort, this.deps.settings.bindHost));
      const ready = await this.status.transition(serverId, 'stopped', {
        onlyFrom: ['deploying'],
        patch: { statusReason: null },
      });
      if (ready?.desiredState === 'running') await this.startLocked(ready, {});
    } catch (error) {
      this.log.warn({ err: error, serverId }, 'deploy failed');
      await this.status.transition(serverId, 'failed', {
        onlyFrom: ['deploying'],
        patch: { statusReason: `Deploy failed: ${(error as Error).message}` },
      });
    }
  }

  // ─── Start ───────────────────────────────────────────────────────────────────────────────────

  async start(actor: Actor, serverId: string, request: StartRequest = {}): Promise<ServerRecord> {
    await this.authorize(actor, serverId, 'operator', 'start');
    const overrides = request.propertyOverrides ? validateProperties(request.propertyOverrides) : undefined;
    const preStart = (request.preStartCommands ?? []).map(assertCommand);
    return this.accepted(serverId, 'start', async (accept) => {
      const server = await this.mustLoad(serverId);
      assertActionAllowed('start', server.status);
      accept(
        await this.startLocked(server, {
          preStartCommands: preStart,
          propertyOverrides: overrides,
          warmupTimeoutMs: request.warmupTimeoutSeconds ? request.warmupTimeoutSeconds * 1000 : undefined,
          resetCrashes: true,
        }),
      );
    });
  }

  /** Starts the server's process (caller holds the lock). Resolves once the process is launched. */
  private async startLocked(
    server: ServerRecord,
    options: {
      preStartCommands?: string[] | undefined;
      propertyOverrides?: Record<string, PropertyValue> | undefined;
      warmupTimeoutMs?: number | undefined;
      resetCrashes?: boolean;
    },
  ): Promise<ServerRecord> {
    this.cancelCrashRestart(server.id);
    this.tenants.set(server.id, server.tenantId);
    const generation = server.generation + 1;
    const starting = await this.status.transition(server.id, 'starting', {
      patch: {
        desiredState: 'running',
        generation,
        statusReason: null,
        playersOnline: null,
        ...(options.resetCrashes ? { crashCount: 0, lastCrashAt: null } : {}),
      },
    });
    if (!starting)
      throw new DomainError('INVALID_TRANSITION', `Cannot start a server that is ${server.status}.`);
    try {
      const port = starting.port ?? (await this.deps.ports.allocate(starting.id));
      const record =
        starting.port === port ? starting : ((await this.status.patch(starting.id, { port })) ?? starting);
      const spec = specOf(record, this.deps.settings.bindHost);
      await this.deps.runtime.deploy(spec);
      await this.deps.runtime.configure(spec);
      await this.deps.runtime.start(spec, {
        generation,
        preStartCommands: options.preStartCommands ?? [],
        propertyOverrides: options.propertyOverrides ?? {},
      });
    } catch (error) {
      this.log.warn({ err: error, serverId: server.id }, 'start failed');
      const failed = await this.status.transition(server.id, 'failed', {
        generation,
        onlyFrom: ['starting'],
        patch: { statusReason: `Start failed: ${(error as Error).message}` },
      });
      return failed ?? starting;
    }
    this.watchWarmup(server.id, generation, options.warmupTimeoutMs ?? this.deps.settings.warmupTimeoutMs);
    return starting;
  }

  /** Pings a starting server until it answers (→ running) or the warm-up time runs out (→ failed). */
  private watchWarmup(serverId: string, generation: number, timeoutMs: number): void {
    this.warmups.get(serverId)?.abort();
    const controller = new AbortController();
    this.warmups.set(serverId, controller);
    const deadline = this.deps.clock.now() + timeoutMs;
    this.background('warmup', serverId, async () => {
      try {
        while (!controller.signal.aborted) {
          try {
            const ping = await this.deps.runtime.ping(serverId, 1000);
            if (controller.signal.aborted) return;
            await this.status.transition(serverId, 'running', {
              generation,
              onlyFrom: ['starting'],
              patch: { startedAt: new Date(this.deps.clock.now()), playersOnline: ping.onlinePlayers },
            });
            return;
          } catch {
            // Not answering yet.
          }
          if (this.deps.clock.now() >= deadline) {
            const failed = await this.status.transition(serverId, 'failed', {
              generation,
              onlyFrom: ['starting'],
              patch: {
                desiredState: 'stopped',
                statusReason: `The server did not answer the server-list ping within ${Math.round(timeoutMs / 1000)} s.`,
              },
            });
            if (failed) await this.deps.runtime.kill(serverId).catch(() => null);
            return;
          }
          await sleep(this.deps.settings.pingIntervalMs, controller.signal);
        }
      } finally {
        if (this.warmups.get(serverId) === controller) this.warmups.delete(serverId);
      }
    });
  }

  // ─── Stop, restart, kill ─────────────────────────────────────────────────────────────────────

  async stop(actor: Actor, serverId: string, request: StopRequest = {}): Promise<ServerRecord> {
    await this.authorize(actor, serverId, 'operator', 'stop');
    const commands = (request.postStopCommands ?? []).map(assertCommand);
    return this.accepted(serverId, 'stop', async (accept) => {
      const server = await this.mustLoad(serverId);
      assertActionAllowed('stop', server.status);
      await this.stopLocked(server, { ...request, postStopCommands: commands }, accept);
    });
  }

  /** The graceful stop sequence (caller holds the lock). */
  private async stopLocked(
    server: ServerRecord,
    request: StopRequest,
    accept?: (r: ServerRecord) => void,
  ): Promise<void> {
    this.cancelCrashRestart(server.id);
    this.warmups.get(server.id)?.abort();
    if (server.status === 'crashed' || server.status === 'sleeping') {
      // No process is running: just settle.
      const settled = await this.status.transition(server.id, 'stopped', {
        patch: { desiredState: 'stopped', playersOnline: null },
      });
      accept?.(settled ?? server);
      return;
    }
    const stopping = await this.status.transition(server.id, 'stopping', {
      generation: server.generation,
      patch: { desiredState: 'stopped' },
    });
    accept?.(stopping ?? server);
    if (!stopping) return;
    const before: string[] = [];
    if (request.announce) before.push(`say ${announcement(request.announce)}`);
    if (request.saveWorld !== false) before.push('save-all');
    before.push(...(request.postStopCommands ?? []));
    let exit: ExitInfo | null;
    if (request.force) {
      exit = await this.deps.runtime.kill(server.id);
    } else {
      exit = await this.deps.runtime.stop(server.id, {
        timeoutMs: (request.gracefulTimeoutSeconds ?? this.deps.settings.stopTimeoutMs / 1000) * 1000,
        beforeStop: before,
      });
    }
    await this.settleStopped(server.id, stopping.generation, exit);
  }

  private async settleStopped(serverId: string, generation: number, exit: ExitInfo | null): Promise<void> {
    const forced = exit?.signal === 'SIGKILL';
    await this.status.transition(serverId, 'stopped', {
      generation,
      onlyFrom: ['starting', 'running', 'stopping'],
      patch: {
        playersOnline: null,
        statusReason: forced ? 'The server did not stop in time and was killed.' : null,
      },
    });
  }

  async restart(
    actor: Actor,
    serverId: string,
    request: StopRequest & StartRequest = {},
  ): Promise<ServerRecord> {
    await this.authorize(actor, serverId, 'operator', 'restart');
    return this.accepted(serverId, 'restart', async (accept) => {
      let server = await this.mustLoad(serverId);
      assertActionAllowed('restart', server.status);
      if (server.status === 'running' || server.status === 'starting') {
        await this.stopLocked(server, request, accept);
        server = await this.mustLoad(serverId);
        if (server.status !== 'stopped') return;
      }
      const started = await this.startLocked(server, { resetCrashes: true });
      accept(started);
    });
  }

  /** Kills the process at once. Takes no lock: it is how a stuck operation is ended. */
  async kill(actor: Actor, serverId: string): Promise<ServerRecord> {
    const server = await this.authorize(actor, serverId, 'operator', 'kill');
    this.cancelCrashRestart(serverId);
    this.warmups.get(serverId)?.abort();
    const stopping =
      server.status === 'stopping'
        ? await this.status.patch(serverId, { desiredState: 'stopped' }, true)
        : await this.status.transition(serverId, 'stopping', {
            generation: server.generation,
            patch: { desiredState: 'stopped' },
          });
    if (server.status === 'crashed') {
      return (
        (await this.status.transition(serverId, 'stopped', { patch: { desiredState: 'stopped' } })) ?? server
      );
    }
    const exit = await this.deps.runtime.kill(serverId);
    await this.status.transition(serverId, 'stopped', {
      generation: server.generation,
      onlyFrom: ['starting', 'running', 'stopping'],
      patch: { playersOnline: null, statusReason: exit ? 'Killed.' : null },
    });
    return (await this.status.load(serverId)) ?? stopping ?? server;
  }

  // ─── Console ─────────────────────────────────────────────────────────────────────────────────

  async sendCommand(actor: Actor, serverId: string, command: string): Promise<void> {
    const server = await this.authorize(actor, serverId, 'operator');
    const line = assertCommand(command);
    if (server.status !== 'running' && server.status !== 'starting') {
      throw new DomainError('SERVER_NOT_RUNNING', 'The server is not running.', { status: server.status });
    }
    await this.deps.runtime.sendCommand(serverId, line);
  }

  // ─── Delete ──────────────────────────────────────────────────────────────────────────────────

  async delete(actor: Actor, serverId: string, request: DeleteRequest = {}): Promise<ServerRecord> {
    await this.authorize(actor, serverId, 'admin', 'delete');
    if (request.force) {
      // A forced delete must not wait behind a stuck operation.
      this.warmups.get(serverId)?.abort();
      const deleting = await this.markDeleting(serverId);
      this.background('delete', serverId, () => this.finishDelete(serverId, request));
      return deleting;
    }
    return this.accepted(serverId, 'delete', async (accept) => {
      accept(await this.markDeleting(serverId));
      await this.finishDelete(serverId, request);
    });
  }

  /** Marks the server `deleting` at once (any live process is stopped while it is in that state). */
  private async markDeleting(serverId: string): Promise<ServerRecord> {
    const server = await this.mustLoad(serverId);
    assertActionAllowed('delete', server.status);
    this.cancelCrashRestart(serverId);
    this.warmups.get(serverId)?.abort();
    const deleting = await this.status.transition(serverId, 'deleting', {
      patch: { desiredState: 'stopped' },
    });
    if (!deleting)
      throw new DomainError('INVALID_TRANSITION', `Cannot delete a server that is ${server.status}.`);
    return deleting;
  }

  /** Stops the process (gracefully unless forced), lets hooks run, removes files, port and record. */
  private async finishDelete(serverId: string, request: DeleteRequest): Promise<void> {
    const server = await this.mustLoad(serverId);
    if (server.status !== 'deleting') return;
    const observation = await this.deps.runtime.inspect(serverId);
    if (observation.state === 'alive') {
      if (request.force) {
        await this.deps.runtime.kill(serverId);
      } else {
        await this.deps.runtime.stop(serverId, {
          timeoutMs: this.deps.settings.stopTimeoutMs,
          beforeStop: ['say This server is being deleted.', 'save-all'],
        });
      }
    }
    await this.deps.hooks?.beforeRemove?.(server, { keepBackups: request.keepBackups ?? false });
    await this.deps.runtime.remove(serverId);
    await this.deps.ports.release(serverId);
    await this.deps.db.system((tx) => tx.delete(servers).where(eq(servers.id, serverId)));
    this.log.info({ serverId }, 'server deleted');
  }

  // ─── Maintenance (restores) ──────────────────────────────────────────────────────────────────

  /**
   * Runs `work` on a stopped server in the `restoring` state, under the server's lock: a running server
   * is stopped gracefully first (players warned, world saved); power actions meanwhile answer 409
   * (INVALID_TRANSITION, or SERVER_BUSY while the lock is held). Afterwards the server is `stopped`
   * again (also when `work` fails: whatever `work` left must be startable), and started if it was
   * running before or `startAfter` asks. Resolves with `work`'s result; `accept` is called once the
   * server is in `restoring` (for a 202 answer).
   */
  async maintenance<T>(
    serverId: string,
    operation: string,
    work: (server: ServerRecord) => Promise<T>,
    options: {
      startAfter?: boolean | undefined;
      announce?: string | undefined;
      accept?: (server: ServerRecord) => void;
    } = {},
  ): Promise<T> {
    return this.locks.run(
      serverId,
      operation,
      async () => {
        let server = await this.mustLoad(serverId);
        assertActionAllowed('restore', server.status);
        const wasRunning = server.desiredState === 'running';
        if (server.status !== 'stopped' && server.status !== 'failed') {
          await this.stopLocked(server, {
            announce: options.announce ?? 'The server is stopping for maintenance.',
          });
          server = await this.mustLoad(serverId);
        }
        const restoring = await this.status.transition(serverId, 'restoring', {
          onlyFrom: ['stopped', 'failed'],
          patch: { desiredState: 'stopped', statusReason: `${operation} in progress` },
        });
        if (!restoring) {
          throw new DomainError(
            'INVALID_TRANSITION',
            `Cannot start ${operation} on a server that is ${server.status}.`,
            {
              status: server.status,
            },
          );
        }
        options.accept?.(restoring);
        let failure: unknown;
        let result: T | undefined;
        try {
          result = await work(restoring);
        } catch (error) {
          failure = error;
        }
        const after = await this.status.transition(serverId, 'stopped', {
          onlyFrom: ['restoring'],
          patch: { statusReason: failure ? `${operation} failed: ${(failure as Error).message}` : null },
        });
        if (after && (options.startAfter ?? wasRunning))
          await this.startLocked(after, { resetCrashes: true });
        if (failure)
          throw failure instanceof Error ? failure : new Error(`${operation} failed`, { cause: failure });
        return result as T;
      },
      this.deps.settings.lockWaitMs,
    );
  }

  /** Runs `fn` under the server's lock (backups of a running server hold it so power actions wait). */
  exclusive<T>(serverId: string, operation: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(serverId, operation, fn, this.deps.settings.lockWaitMs);
  }

  // ─── Process exits and crashes ───────────────────────────────────────────────────────────────

  private async onExit(serverId: string, exit: ExitInfo): Promise<void> {
    const server = await this.status.load(serverId);
    if (!server || server.generation !== exit.generation) return;
    this.warmups.get(serverId)?.abort();
    if (server.status === 'stopping' || server.desiredState !== 'running') {
      await this.settleStopped(serverId, exit.generation, exit);
      return;
    }
    if (server.status !== 'starting' && server.status !== 'running') return;
    const now = this.deps.clock.now();
    const decision = decideAfterCrash(
      this.deps.settings.crashPolicy,
      server.crashCount,
      server.lastCrashAt?.getTime() ?? null,
      now,
    );
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    if (decision.action === 'fail') {
      const lines = await this.lastLines(serverId);
      await this.status.transition(serverId, 'failed', {
        generation: exit.generation,
        onlyFrom: ['starting', 'running'],
        patch: {
          crashCount: decision.crashCount,
          lastCrashAt: new Date(now),
          playersOnline: null,
          desiredState: 'stopped',
          statusReason: `Crashed ${decision.crashCount} times in ${Math.round(this.deps.settings.crashPolicy.windowMs / 60_000)} min; the last time it ${how}.${lines ? ` Last log lines:\n${lines}` : ''}`,
        },
      });
      return;
    }
    const crashed = await this.status.transition(serverId, 'crashed', {
      generation: exit.generation,
      onlyFrom: ['starting', 'running'],
      patch: {
        crashCount: decision.crashCount,
        lastCrashAt: new Date(now),
        playersOnline: null,
        statusReason: `The server ${how}; restarting in ${Math.round(decision.delayMs / 1000)} s (crash ${decision.crashCount} of ${this.deps.settings.crashPolicy.maxCrashes}).`,
      },
    });
    // Any replica that sees the exit records it (the conditional update lets one win); the restart is
    // the owner's work, which it also picks up from the status event when another replica recorded it.
    if (crashed && this.owns(serverId))
      this.scheduleCrashRestart(serverId, exit.generation, decision.delayMs);
  }

  private async lastLines(serverId: string): Promise<string> {
    try {
      const page = await this.deps.runtime.readLogs(serverId, { tail: 10, page: 1, perPage: 10 });
      return page.lines.map((l) => l.message).join('\n');
    } catch {
      return '';
    }
  }

  private scheduleCrashRestart(serverId: string, generation: number, delayMs: number): void {
    this.cancelCrashRestart(serverId);
    const timer = setTimeout(() => {
      this.crashTimers.delete(serverId);
      this.background('crash-restart', serverId, () =>
        this.locks.run(
          serverId,
          'restart after crash',
          async () => {
            const server = await this.status.load(serverId);
            // A newer process, a stop or a delete since the crash: this timer is stale.
            if (
              !server ||
              server.status !== 'crashed' ||
              server.generation !== generation ||
              server.desiredState !== 'running'
            )
              return;
            await this.startLocked(server, {});
          },
          60_000,
        ),
      );
    }, delayMs);
    timer.unref();
    this.crashTimers.set(serverId, timer);
  }

  private cancelCrashRestart(serverId: string): void {
    const timer = this.crashTimers.get(serverId);
    if (timer) clearTimeout(timer);
    this.crashTimers.delete(serverId);
  }

  // ─── Reconcile ───────────────────────────────────────────────────────────────────────────────

  /**
   * Starts background work: listens to the runtime, re-adopts processes that outlived a previous
   * control plane, drives every server toward its desired state, and keeps doing so periodically.
   */
  async startBackground(): Promise<void> {
    this.unsubscribeRuntime = this.deps.runtime.onEvent((event) => this.onRuntimeEvent(event));
    this.statusSubscription = await this.deps.events.subscribe({ types: ['status'] }, (event) =>
      this.onStatusEvent(event),
    );
    await this.reconcile(true);
    this.reconcileTimer = setInterval(() => {
      this.background('reconcile', '*', () => this.reconcile(false));
    }, this.deps.settings.reconcileIntervalMs);
    this.reconcileTimer.unref();
  }

  /**
   * Servers moved to this replica: attach to their processes and drive them to their desired state.
   * `recover` (taken over from a replica that stopped renewing) also resumes work it left half-done.
   */
  takeOver(includes: (serverId: string) => boolean, recover: boolean): void {
    this.background('take over', '*', () => this.reconcile(true, { only: includes, recover }));
  }

  /** Servers moved away from this replica: its pending crash restarts for them are the new owner's now. */
  release(includes: (serverId: string) => boolean): void {
    for (const serverId of [...this.crashTimers.keys()])
      if (includes(serverId)) this.cancelCrashRestart(serverId);
  }

  /**
   * Status changes made by any replica (user actions run wherever they arrive): the owner attaches to a
   * process another replica started once it runs (to publish its console and sample it), and schedules
   * the restart of a crash another replica recorded.
   */
  private onStatusEvent(event: PlatformEvent): void {
    if (this.stopping || event.type !== 'status' || !this.owns(event.serverId)) return;
    const serverId = event.serverId;
    if (event.data.status === 'running' && !this.attaching.has(serverId)) {
      this.attaching.add(serverId);
      this.background('attach', serverId, () =>
        this.deps.runtime
          .adopt([serverId], { reapUnresponsive: false })
          .finally(() => this.attaching.delete(serverId)),
      );
    } else if (event.data.status === 'crashed' && !this.crashTimers.has(serverId)) {
      this.background('crash follow-up', serverId, async () => {
        const server = await this.status.load(serverId);
        if (!server || server.status !== 'crashed' || server.desiredState !== 'running') return;
        if (this.crashTimers.has(serverId) || !this.owns(serverId)) return;
        const policy = this.deps.settings.crashPolicy;
        const delay = Math.min(
          policy.maxBackoffMs,
          policy.baseBackoffMs * 2 ** Math.max(0, server.crashCount - 1),
        );
        this.scheduleCrashRestart(serverId, server.generation, delay);
      });
    }
  }

  private onRuntimeEvent(event: RuntimeEvent): void {
    if (this.stopping) return;
    if (event.type === 'exit') {
      this.background('exit', event.serverId, () => this.onExit(event.serverId, event.exit));
      return;
    }
    // Several replicas may be attached to one process; only its owner publishes, so each line is sent once.
    if (!this.owns(event.serverId)) return;
    const publish = (tenantId: string) =>
      this.deps.events
        .publish({
          type: 'console',
          tenantId,
          serverId: event.serverId,
          ts: event.line.ts.toISOString(),
          data: { level: event.line.level, source: event.line.source, message: event.line.message },
        })
        .catch(() => {});
    const tenantId = this.tenants.get(event.serverId);
    if (tenantId) {
      void publish(tenantId);
    } else {
      // First line of a server this process has not loaded yet: look its tenant up once.
      this.background('console', event.serverId, async () => {
        const server = await this.status.load(event.serverId);
        if (!server) return;
        this.tenants.set(server.id, server.tenantId);
        await publish(server.tenantId);
      });
    }
  }

  /**
   * One pass of the reconcile loop. `adopt` is set on the first pass after the control plane starts
   * (and when servers move to this replica); `only` limits the pass to some servers; `recover` (default:
   * `adopt`) resumes deploys, deletes and restores that a previous control plane left half-done.
   * Running servers are (re)attached on every pass: another replica may have restarted them.
   */
  async reconcile(
    adopt: boolean,
    options: { only?: (serverId: string) => boolean; recover?: boolean } = {},
  ): Promise<void> {
    const all = (await this.status.all()).filter(
      (s) => this.owns(s.id) && (options.only ? options.only(s.id) : true),
    );
    for (const server of all) this.tenants.set(server.id, server.tenantId);
    const withProcess = all.filter((s) => ['starting', 'running', 'stopping'].includes(s.status));
    const reapUnresponsive = adopt && (options.recover ?? true) && this.deps.settings.reapUnresponsive;
    const attachable = adopt ? withProcess : withProcess.filter((s) => s.status !== 'starting');
    const observations = await this.deps.runtime.adopt(
      attachable.map((s) => s.id),
      { reapUnresponsive },
    );
    for (const s of withProcess) {
      if (!observations.has(s.id)) observations.set(s.id, await this.deps.runtime.inspect(s.id));
    }
    const recover = options.recover ?? adopt;
    for (const server of all) {
      if (this.locks.busyWith(server.id)) continue;
      const seen = observations.get(server.id);
      try {
        await this.reconcileOne(server, seen?.state === 'alive', recover);
      } catch (error) {
        this.log.warn({ err: error, serverId: server.id }, 'reconcile failed');
      }
    }
  }

  private async reconcileOne(server: ServerRecord, alive: boolean, firstPass: boolean): Promise<void> {
    const id = server.id;
    switch (server.status) {
      case 'deploying':
        if (firstPass) this.deployInBackground(id);
        return;
      case 'deleting':
        if (firstPass) this.background('delete', id, () => this.finishDelete(id, { force: true }));
        return;
      case 'restoring':
        // A restore swaps folders atomically; one cut short left the old or the new world whole.
        if (firstPass) {
          await this.status.transition(id, 'stopped', {
            onlyFrom: ['restoring'],
            patch: { statusReason: 'A restore was interrupted by a control-plane restart.' },
          });
        }
        return;
      case 'starting':
      case 'running':
      case 'stopping':
        if (alive) {
          if (server.status === 'starting' && !this.warmups.has(id))
            this.watchWarmup(id, server.generation, this.deps.settings.warmupTimeoutMs);
          if (server.status === 'stopping' && firstPass) {
            this.background('stop', id, () =>
              this.locks.run(id, 'stop', async () => {
                const exit = await this.deps.runtime.stop(id, {
                  timeoutMs: this.deps.settings.stopTimeoutMs,
                });
                await this.settleStopped(id, server.generation, exit);
              }),
            );
          }
          if (server.status === 'running' && server.desiredState !== 'running') {
            this.background('stop', id, () => this.locks.run(id, 'stop', () => this.stopLocked(server, {})));
          }
          return;
        }
        // The process is gone and no exit was seen (the control plane was down, or the event was lost).
        if (server.desiredState === 'running' && server.status !== 'stopping') {
          // The observation may be stale: a start that began after it (its process not spawned yet
          // when we looked) holds the lock. Under the lock, look again before restarting anything.
          this.background('restart', id, () =>
            this.locks.run(id, 'restart', async () => {
              const fresh = await this.status.load(id);
              if (fresh?.status !== server.status || fresh.generation !== server.generation) return;
              if ((await this.deps.runtime.inspect(id)).state === 'alive') return;
              this.log.info({ serverId: id }, 'process not found; restarting');
              const settled = await this.status.transition(id, 'stopped', {
                generation: server.generation,
                onlyFrom: [server.status],
                patch: { statusReason: 'The process was gone after a control-plane restart; restarting.' },
              });
              if (settled) await this.startLocked(settled, {});
            }),
          );
        } else {
          await this.settleStopped(id, server.generation, null);
        }
        return;
      case 'crashed':
        if (!this.crashTimers.has(id) && server.desiredState === 'running') {
          this.scheduleCrashRestart(id, server.generation, this.deps.settings.crashPolicy.baseBackoffMs);
        }
        return;
      case 'stopped':
        if (server.desiredState === 'running') {
          this.background('start', id, () =>
            this.locks.run(id, 'start', async () => {
              const fresh = await this.status.load(id);
              if (fresh?.status === 'stopped' && fresh.desiredState === 'running')
                await this.startLocked(fresh, {});
            }),
          );
        }
        return;
      case 'failed':
      case 'sleeping':
        return;
    }
  }

  /** Updates the player count of one server now (used after a player joins, by the metrics collector). */
  async refreshPlayers(serverId: string): Promise<number | null> {
    try {
      const ping = await this.deps.runtime.ping(serverId, 2000);
      await this.status.patch(serverId, { playersOnline: ping.onlinePlayers });
      return ping.onlinePlayers;
    } catch {
      return null;
    }
  }

  /** Stops background work; game servers keep running (the next control plane adopts them). */
  async close(): Promise<void> {
    this.stopping = true;
    clearInterval(this.reconcileTimer);
    await this.statusSubscription?.unsubscribe().catch(() => {});
    for (const timer of this.crashTimers.values()) clearTimeout(timer);
    this.crashTimers.clear();
    for (const warmup of this.warmups.values()) warmup.abort();
    this.unsubscribeRuntime?.();
    await Promise.allSettled([...this.pending]);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    // The listener is removed when the timer fires, so a long warm-up does not pile listeners up.
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
