import { decideAfterCrash } from '@minefleet/domain/crash-policy';
import type { ExitInfo } from '@minefleet/domain/ports/runtime-driver';
import type { LifecycleCore } from './core.js';
import type { CrashRestarts } from './crash-restarts.js';
import type { Power } from './power.js';
import type { ServerPatch } from './status-store.js';
import type { Warmups } from './warmup.js';

/**
 * Crash handling: the runtime's exit events are the one place a process end becomes `stopped`,
 * `crashed` (restart scheduled with backoff) or `failed` (too many crashes in the window).
 */
export class CrashHandler {
  constructor(
    private readonly core: LifecycleCore,
    private readonly warmups: Warmups,
    private readonly power: Power,
    private readonly restarts: CrashRestarts,
  ) {}

  async onExit(serverId: string, exit: ExitInfo): Promise<void> {
    const { status, settings } = this.core;
    const server = await status.load(serverId);
    if (!server || server.generation !== exit.generation) return;
    this.warmups.abort(serverId);
    if (server.status === 'stopping' || server.desiredState !== 'running') {
      await this.power.settleStopped(serverId, exit.generation, exit);
      return;
    }
    if (server.status !== 'starting' && server.status !== 'running') return;
    const now = this.core.deps.clock.now();
    const decision = decideAfterCrash(
      settings.crashPolicy,
      server.crashCount,
      server.lastCrashAt?.getTime() ?? null,
      now,
    );
    const how = exit.reason
      ? exit.reason
      : exit.signal
        ? `was killed by ${exit.signal}`
        : `exited with code ${exit.code}`;
    // Both outcomes record the crash on the process that crashed; only the reason and the next step differ.
    const record = (to: 'failed' | 'crashed', patch: ServerPatch) =>
      status.transition(serverId, to, {
        generation: exit.generation,
        onlyFrom: ['starting', 'running'],
        patch: { crashCount: decision.crashCount, lastCrashAt: new Date(now), playersOnline: null, ...patch },
      });
    if (decision.action === 'fail') {
      const lines = await this.lastLines(serverId);
      await record('failed', {
        desiredState: 'stopped',
        statusReason: `Crashed ${decision.crashCount} times in ${Math.round(settings.crashPolicy.windowMs / 60_000)} min; the last time it ${how}.${lines ? ` Last log lines:\n${lines}` : ''}`,
      });
      return;
    }
    const crashed = await record('crashed', {
      statusReason: `The server ${how}; restarting in ${Math.round(decision.delayMs / 1000)} s (crash ${decision.crashCount} of ${settings.crashPolicy.maxCrashes}).`,
    });
    // Any replica that sees the exit records it (the conditional update lets one win); the restart is
    // the owner's work, which it also picks up from the status event when another replica recorded it.
    if (crashed && this.core.owns(serverId))
      this.restarts.schedule(serverId, exit.generation, decision.delayMs);
  }

  /** Schedules the restart of a crash another replica recorded (this replica owns the server). */
  async followUp(serverId: string): Promise<void> {
    const server = await this.core.status.load(serverId);
    if (!server || server.status !== 'crashed' || server.desiredState !== 'running') return;
    if (this.restarts.has(serverId) || !this.core.owns(serverId)) return;
    const policy = this.core.settings.crashPolicy;
    const delay = Math.min(
      policy.maxBackoffMs,
      policy.baseBackoffMs * 2 ** Math.max(0, server.crashCount - 1),
    );
    this.restarts.schedule(serverId, server.generation, delay);
  }

  private async lastLines(serverId: string): Promise<string> {
    try {
      const page = await this.core.deps.runtime.readLogs(serverId, { tail: 10, page: 1, perPage: 10 });
      return page.lines.map((l) => l.message).join('\n');
    } catch {
      return '';
    }
  }
}
