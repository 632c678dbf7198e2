import { DomainError } from '@minefleet/domain/errors';
import type { ExitInfo, PropertyValue } from '@minefleet/domain/ports/runtime-driver';
import { assertActionAllowed } from '@minefleet/domain/server-state';
import type { ServerRecord } from '../servers.js';
import { announcement } from './commands.js';
import type { LifecycleCore } from './core.js';
import type { CrashRestarts } from './crash-restarts.js';
import type { StartRequest, StopRequest } from './settings.js';
import { specOf } from './spec.js';
import { TaskSlots } from './task-slots.js';
import type { Warmups } from './warmup.js';

/** Deploys (a new server's workspace prepared) running at once on this replica; the rest wait their turn. */
const DEPLOYS_AT_ONCE = 4;

export interface StartOptions {
  preStartCommands?: string[] | undefined;
  propertyOverrides?: Record<string, PropertyValue> | undefined;
  warmupTimeoutMs?: number | undefined;
  resetCrashes?: boolean;
}

/**
 * The power sequences: deploy, start, stop, restart and kill of one server's process. Every method but
 * kill expects its caller to hold the server's lock; each moves the status only through the status
 * store's conditional transitions, guarded by the process generation.
 */
export class Power {
  private readonly deploys = new TaskSlots(DEPLOYS_AT_ONCE);

  constructor(
    private readonly core: LifecycleCore,
    private readonly warmups: Warmups,
    private readonly restarts: CrashRestarts,
  ) {}

  /** Prepares a new server's workspace in the background, then starts it if it should run. */
  deployInBackground(serverId: string): void {
    this.core.background('deploy', serverId, async () => {
      // From the next turn of the event loop: the create's answer is written first. A burst of creates
      // answered together would otherwise wait for the first statements of every deploy it started.
      await new Promise((resolve) => setImmediate(resolve));
      // A few at a time: 100 deploys at once (a burst of creates) took turns with every request on the
      // event loop for a second; the launches after them are paced by the start queue anyway.
      return this.deploys.run(() =>
        this.core.locks.run(serverId, 'deploy', () => this.deploy(serverId), 600_000),
      );
    });
  }

  private async deploy(serverId: string): Promise<void> {
    const { status } = this.core;
    const server = await status.load(serverId);
    if (!server || server.status !== 'deploying') return;
    try {
      // No port yet: one is taken at start, and the start writes it into the server's settings.
      await this.core.deps.runtime.deploy(
        specOf({ ...server, port: server.port ?? 0 }, this.core.settings.bindHost),
      );
      const ready = await status.transition(serverId, 'stopped', {
        onlyFrom: ['deploying'],
        patch: { statusReason: null },
      });
      if (ready?.desiredState === 'running') await this.start(ready, {});
    } catch (error) {
      this.core.log.warn({ err: error, serverId }, 'deploy failed');
      await status.transition(serverId, 'failed', {
        onlyFrom: ['deploying'],
        patch: { statusReason: `Deploy failed: ${(error as Error).message}` },
      });
    }
  }

  /**
   * Admission: takes the server's game port (its last one when free), which also checks the host's
   * memory share and the tenant's running-server cap. A refusal is kept as the status reason, so a
   * start the reconciler or a crash restart retries shows why it waits, and is thrown to the caller.
   */
  private async admit(server: ServerRecord): Promise<number> {
    try {
      return await this.core.deps.ports.allocate({
        id: server.id,
        tenantId: server.tenantId,
        memoryMb: server.memoryMb,
        lastPort: server.port ?? server.lastPort,
      });
    } catch (error) {
      if (error instanceof DomainError)
        await this.core.status.patch(server.id, { statusReason: `Not started: ${error.message}` }, true);
      throw error;
    }
  }

  /**
   * Starts the server: admission, then `starting` (compare-and-set on the generation), then the launch.
   * With a free slot in the start queue (start-queue.ts) the launch runs now and this resolves once the
   * process is spawned (the warm-up goes on); otherwise the server waits in `starting` with a "Queued"
   * reason and this resolves at once: the queue launches it when its tenant's turn comes.
   */
  async start(server: ServerRecord, options: StartOptions): Promise<ServerRecord> {
    const { status, deps, launches } = this.core;
    this.restarts.cancel(server.id);
    this.core.tenants.set(server.id, server.tenantId);
    const port = await this.admit(server);
    const generation = server.generation + 1;
    const slot = launches.tryAcquire(server.tenantId);
    // Compare-and-set on the generation the caller read: two replicas (a crash restart on the owner,
    // a user's start or a post-restore start on the other) must not both launch a process. The loser
    // gets INVALID_TRANSITION; without this it failed the server while the winner's process ran.
    const starting = await status
      .transition(server.id, 'starting', {
        generation: server.generation,
        patch: {
          desiredState: 'running',
          generation,
          port,
          statusReason: slot ? null : queuedReason(launches.concurrency),
          playersOnline: null,
          ...(options.resetCrashes ? { crashCount: 0, lastCrashAt: null } : {}),
        },
      })
      .catch((error: unknown) => {
        slot?.();
        throw error;
      });
    if (!starting) {
      slot?.();
      // Not started after all: the port goes back unless the server is one that keeps its port.
      const now = await status.load(server.id);
      if (now && ['stopped', 'failed', 'sleeping', 'deploying', 'restoring'].includes(now.status))
        await deps.ports.release(server.id);
      throw new DomainError(
        'INVALID_TRANSITION',
        now && now.generation !== server.generation
          ? `The server was started meanwhile (it is ${now.status}).`
          : `Cannot start a server that is ${now?.status ?? server.status}.`,
      );
    }
    if (!slot) {
      launches.enqueue(server.id, server.tenantId, () => this.launchQueued(server.id, generation, options));
      return starting;
    }
    let launched: Awaited<ReturnType<Power['launch']>>;
    try {
      launched = await this.launch(starting, generation, options);
    } catch (error) {
      slot();
      throw error;
    }
    void this.holdSlot(launched.warmup).finally(slot);
    return launched.record;
  }

  /** A queued start's turn: under the server's lock, launch it if it still waits in this generation. */
  private async launchQueued(serverId: string, generation: number, options: StartOptions): Promise<void> {
    if (this.core.stopping) return;
    // Wrapped: awaiting the lock's answer must not wait for the warm-up itself.
    const launched = await this.core.locks.run(
      serverId,
      'start',
      async (): Promise<{ warmup: Promise<void> | undefined }> => {
        // Clears the "Queued" reason, and only while the server still waits: a stop, a kill, a delete
        // or another replica's start since it was queued moved it on, and nothing is launched.
        const now = await this.core.status.transition(serverId, 'starting', {
          generation,
          onlyFrom: ['starting'],
          patch: { statusReason: null },
        });
        if (!now) return { warmup: undefined };
        return this.launch(now, generation, options);
      },
      600_000,
    );
    await this.holdSlot(launched.warmup);
  }

  /** Deploys, configures and spawns the process, then watches its warm-up. */
  private async launch(
    starting: ServerRecord,
    generation: number,
    options: StartOptions,
  ): Promise<{ record: ServerRecord; warmup: Promise<void> | undefined }> {
    const { status, deps } = this.core;
    try {
      const spec = specOf(starting, this.core.settings.bindHost);
      await deps.runtime.deploy(spec);
      await deps.runtime.configure(spec);
      await deps.runtime.start(spec, {
        generation,
        preStartCommands: options.preStartCommands ?? [],
        propertyOverrides: options.propertyOverrides ?? {},
      });
    } catch (error) {
      this.core.log.warn({ err: error, serverId: starting.id }, 'start failed');
      const failed = await status.transition(starting.id, 'failed', {
        generation,
        onlyFrom: ['starting'],
        patch: { statusReason: `Start failed: ${(error as Error).message}` },
      });
      return { record: failed ?? starting, warmup: undefined };
    }
    const warmup = this.warmups.watch(
      starting.id,
      generation,
      options.warmupTimeoutMs ?? this.core.settings.warmupTimeoutMs,
    );
    return { record: starting, warmup };
  }

  /** A launch keeps its start slot until its warm-up ends, at most `launchSlotMaxMs`. */
  private async holdSlot(warmup: Promise<void> | undefined): Promise<void> {
    if (!warmup) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      warmup,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.core.settings.launchSlotMaxMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  /** The graceful stop sequence; `accept` is called once the server is `stopping` (or settled). */
  async stop(server: ServerRecord, request: StopRequest, accept?: (r: ServerRecord) => void): Promise<void> {
    const { status, deps } = this.core;
    this.restarts.cancel(server.id);
    this.warmups.abort(server.id);
    this.core.launches.cancel(server.id);
    if (server.status === 'crashed' || server.status === 'sleeping') {
      // No process is running: just settle.
      const settled = await status.transition(server.id, 'stopped', {
        patch: { desiredState: 'stopped', playersOnline: null },
      });
      accept?.(settled ?? server);
      return;
    }
    const stopping = await status.transition(server.id, 'stopping', {
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
      exit = await deps.runtime.kill(server.id);
    } else {
      exit = await deps.runtime.stop(server.id, {
        timeoutMs: (request.gracefulTimeoutSeconds ?? this.core.settings.stopTimeoutMs / 1000) * 1000,
        beforeStop: before,
      });
    }
    await this.settleStopped(server.id, stopping.generation, exit);
  }

  /** Stops a running or starting server, then starts it again (with fresh crash counters). */
  async restart(
    serverId: string,
    request: StopRequest & StartRequest,
    accept: (r: ServerRecord) => void,
  ): Promise<void> {
    let server = await this.core.mustLoad(serverId);
    assertActionAllowed('restart', server.status);
    if (server.status === 'running' || server.status === 'starting') {
      await this.stop(server, request, accept);
      server = await this.core.mustLoad(serverId);
      if (server.status !== 'stopped') return;
    }
    accept(await this.start(server, { resetCrashes: true }));
  }

  /** Records the end of a process that was meant to stop. */
  async settleStopped(serverId: string, generation: number, exit: ExitInfo | null): Promise<void> {
    const forced = exit?.signal === 'SIGKILL';
    await this.core.status.transition(serverId, 'stopped', {
      generation,
      onlyFrom: ['starting', 'running', 'stopping'],
      patch: {
        playersOnline: null,
        statusReason: forced ? 'The server did not stop in time and was killed.' : null,
      },
    });
  }

  /** Kills the process at once. Takes no lock: it is how a stuck operation is ended. */
  async kill(server: ServerRecord): Promise<ServerRecord> {
    const { status, deps } = this.core;
    const serverId = server.id;
    this.restarts.cancel(serverId);
    this.warmups.abort(serverId);
    this.core.launches.cancel(serverId);
    const stopping =
      server.status === 'stopping'
        ? await status.patch(serverId, { desiredState: 'stopped' }, true)
        : await status.transition(serverId, 'stopping', {
            generation: server.generation,
            patch: { desiredState: 'stopped' },
          });
    if (server.status === 'crashed') {
      return (await status.transition(serverId, 'stopped', { patch: { desiredState: 'stopped' } })) ?? server;
    }
    const exit = await deps.runtime.kill(serverId);
    await status.transition(serverId, 'stopped', {
      generation: server.generation,
      onlyFrom: ['starting', 'running', 'stopping'],
      patch: { playersOnline: null, statusReason: exit ? 'Killed.' : null },
    });
    return (await status.load(serverId)) ?? stopping ?? server;
  }
}

/** The status reason of a start waiting in the start queue (docs/runtime.md, "The start queue"). */
export function queuedReason(concurrency: number): string {
  return `Queued: this host launches ${concurrency} server${concurrency === 1 ? '' : 's'} at a time; this one starts when a slot frees.`;
}
