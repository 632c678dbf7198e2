import type { ServerRecord } from '../servers.js';
import type { LifecycleCore } from './core.js';
import type { CrashRestarts } from './crash-restarts.js';
import type { Deleter } from './delete.js';
import type { Power } from './power.js';
import type { Warmups } from './warmup.js';

/** States whose record says no process runs; a live one found there is an orphan (see endOrphan). */
const ORPHAN_STATES: readonly ServerRecord['status'][] = ['stopped', 'crashed', 'failed'];

export interface ReconcileOptions {
  only?: (serverId: string) => boolean;
  recover?: boolean;
}

/**
 * The desired-state loop: every server this replica owns is compared with what the runtime observes
 * and driven toward its desired state; work a previous control plane left half-done is resumed.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: LifecycleCore,
    private readonly warmups: Warmups,
    private readonly power: Power,
    private readonly restarts: CrashRestarts,
    private readonly deleter: Deleter,
  ) {}

  /** Runs a pass every `reconcileIntervalMs` until stop(). */
  every(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.core.background('reconcile', '*', () => this.pass(false));
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * One pass. `adopt` is set on the first pass after the control plane starts (and when servers move
   * to this replica); `only` limits the pass to some servers; `recover` (default: `adopt`) resumes
   * deploys, deletes and restores that a previous control plane left half-done. Running servers are
   * (re)attached on every pass: another replica may have restarted them.
   */
  async pass(adopt: boolean, options: ReconcileOptions = {}): Promise<void> {
    const { runtime } = this.core.deps;
    const all = (await this.core.status.all()).filter(
      (s) => this.core.owns(s.id) && (options.only ? options.only(s.id) : true),
    );
    for (const server of all) this.core.tenants.set(server.id, server.tenantId);
    const withProcess = all.filter((s) => ['starting', 'running', 'stopping'].includes(s.status));
    const reapUnresponsive = adopt && (options.recover ?? true) && this.core.settings.reapUnresponsive;
    const attachable = adopt ? withProcess : withProcess.filter((s) => s.status !== 'starting');
    const observations = await runtime.adopt(
      attachable.map((s) => s.id),
      { reapUnresponsive },
    );
    for (const s of withProcess) {
      if (!observations.has(s.id)) observations.set(s.id, await runtime.inspect(s.id));
    }
    // A process may outlive the record of it (a start that lost a race, a replica that took a `starting`
    // server for gone): every later start would be refused with "already running". Look for one.
    for (const s of all) {
      if (ORPHAN_STATES.includes(s.status) && !this.core.locks.busyWith(s.id))
        observations.set(s.id, await runtime.inspect(s.id));
    }
    const recover = options.recover ?? adopt;
    for (const server of all) {
      // A start waiting in this replica's start queue has no process yet, by design.
      if (this.core.locks.busyWith(server.id) || this.core.launches.has(server.id)) continue;
      const seen = observations.get(server.id);
      try {
        await this.one(server, seen?.state === 'alive', recover);
      } catch (error) {
        this.core.log.warn({ err: error, serverId: server.id }, 'reconcile failed');
      }
    }
  }

  /**
   * Whether nobody runs the restore a `restoring` server is in: this replica (which runs none: the
   * caller skipped locked servers) or a replica that is gone. Unknown (no record of who, or no way to
   * ask) is not abandoned.
   */
  private async restoreAbandoned(server: ServerRecord): Promise<boolean> {
    const worker = server.maintenanceWorker;
    if (!worker) return false;
    if (worker === this.core.deps.replicaId) return true;
    const hooks = this.core.deps.hooks;
    return hooks?.replicaAlive ? !(await hooks.replicaAlive(worker)) : false;
  }

  private async one(server: ServerRecord, alive: boolean, firstPass: boolean): Promise<void> {
    const id = server.id;
    if (alive && ORPHAN_STATES.includes(server.status)) {
      this.endOrphan(server);
      return;
    }
    switch (server.status) {
      case 'deploying':
        if (firstPass) this.power.deployInBackground(id);
        return;
      case 'deleting':
        if (firstPass) this.core.background('delete', id, () => this.deleter.finish(id, { force: true }));
        return;
      case 'restoring':
        // A restore swaps folders atomically; one cut short left the old or the new world whole.
        if (firstPass) {
          await this.core.status.transition(id, 'stopped', {
            onlyFrom: ['restoring'],
            patch: {
              statusReason: 'A restore was interrupted by a control-plane restart.',
              maintenanceWorker: null,
            },
          });
        } else if (await this.restoreAbandoned(server)) {
          // Any replica may run a restore (the one the request reached), and the owner may never change
          // hands when that one dies: a chaos run found a server `restoring` for good after its restoring
          // replica was SIGKILLed while another owned it.
          await this.core.status.transition(id, 'stopped', {
            onlyFrom: ['restoring'],
            patch: {
              statusReason: 'A restore was interrupted: the control plane running it stopped.',
              maintenanceWorker: null,
            },
          });
        }
        return;
      case 'starting':
      case 'running':
      case 'stopping':
        if (alive) this.alive(server, firstPass);
        else if (!this.mayBeStartingElsewhere(server)) await this.gone(server);
        return;
      case 'crashed':
        if (!this.restarts.has(id) && server.desiredState === 'running') {
          this.restarts.schedule(id, server.generation, this.core.settings.crashPolicy.baseBackoffMs);
        }
        return;
      case 'stopped':
        if (server.desiredState === 'running') {
          this.core.background('start', id, () =>
            this.core.locks.run(id, 'start', async () => {
              const fresh = await this.core.status.load(id);
              if (fresh?.status === 'stopped' && fresh.desiredState === 'running')
                await this.power.start(fresh, {});
            }),
          );
        }
        return;
      case 'failed':
      case 'sleeping':
        return;
    }
  }

  /** A server with a live process: resume its warm-up watch, or the stop it is meant to get. */
  private alive(server: ServerRecord, firstPass: boolean): void {
    const id = server.id;
    if (server.status === 'starting' && !this.warmups.has(id))
      void this.warmups.watch(id, server.generation, this.core.settings.warmupTimeoutMs);
    if (server.status === 'stopping' && firstPass) {
      this.core.background('stop', id, () =>
        this.core.locks.run(id, 'stop', async () => {
          const exit = await this.core.deps.runtime.stop(id, {
            timeoutMs: this.core.settings.stopTimeoutMs,
          });
          await this.power.settleStopped(id, server.generation, exit);
        }),
      );
    }
    if (server.status === 'running' && server.desiredState !== 'running') {
      this.core.background('stop', id, () =>
        this.core.locks.run(id, 'stop', () => this.power.stop(server, {})),
      );
    }
  }

  /**
   * A live process under a server recorded `stopped`, `crashed` or `failed`: it is stopped (adopted,
   * then the graceful stop, which saves the world), not adopted into `running`. The record is the
   * decision the platform last made (a stop, a crash to restart after a backoff, a failure to show);
   * stopping the process makes it true again, and the usual paths (a start, the crash restart) go on
   * from there. Under the lock, and only for a process no newer than the record: a start that moved
   * the server on meanwhile launched a newer generation, which is left alone.
   */
  private endOrphan(server: ServerRecord): void {
    const id = server.id;
    this.core.background('stop orphan', id, () =>
      this.core.locks.run(id, 'stop', async () => {
        const fresh = await this.core.status.load(id);
        if (fresh?.status !== server.status || fresh.generation !== server.generation) return;
        const seen = (await this.core.deps.runtime.adopt([id])).get(id);
        if (seen?.state !== 'alive' || seen.generation > fresh.generation) return;
        this.core.log.warn(
          { serverId: id, status: fresh.status, generation: seen.generation },
          'a game process runs under a server that is not running; stopping it',
        );
        await this.core.deps.runtime.stop(id, {
          timeoutMs: this.core.settings.stopTimeoutMs,
          beforeStop: ['save-all'],
        });
      }),
    );
  }

  /**
   * A `starting` server without a process, changed less than `startGraceMs` ago: another replica (or a
   * user's request on one) may be launching it and not have spawned its process yet. Declaring it gone
   * now would start a second process beside that one, and every start after it would be refused
   * ("adopt it first"); the next pass looks again. (This replica's own starts hold the lock or sit in
   * its start queue, and never get here.)
   */
  private mayBeStartingElsewhere(server: ServerRecord): boolean {
    if (server.status !== 'starting') return false;
    const changedAt = server.updatedAt.getTime();
    return this.core.deps.clock.now() - changedAt < this.core.settings.startGraceMs;
  }

  /** The process is gone and no exit was seen (the control plane was down, or the event was lost). */
  private async gone(server: ServerRecord): Promise<void> {
    const id = server.id;
    if (server.desiredState !== 'running' || server.status === 'stopping') {
      await this.power.settleStopped(id, server.generation, null);
      return;
    }
    // The observation may be stale: a start that began after it (its process not spawned yet when we
    // looked) holds the lock. Under the lock, look again before restarting anything.
    this.core.background('restart', id, () =>
      this.core.locks.run(id, 'restart', async () => {
        const fresh = await this.core.status.load(id);
        if (fresh?.status !== server.status || fresh.generation !== server.generation) return;
        if ((await this.core.deps.runtime.inspect(id)).state === 'alive') return;
        this.core.log.info({ serverId: id }, 'process not found; restarting');
        const settled = await this.core.status.transition(id, 'stopped', {
          generation: server.generation,
          onlyFrom: [server.status],
          patch: { statusReason: 'The process was gone after a control-plane restart; restarting.' },
        });
        if (settled) await this.power.start(settled, {});
      }),
    );
  }
}
