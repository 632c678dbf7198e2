import type { ServerRecord } from '../server-record.js';
import { defaultSettings, type GatewaySettingsRow } from './gateway-store.js';
import type { SleepCore, WakeOutcome } from './sleep-core.js';

/** How a wake ends for the player: forwarded to the running server, or told why not. */
export type WakeResult =
  { kind: 'forward'; backend: { host: string; port: number } } | { kind: 'disconnect'; message: string };

/**
 * `hold` (only for a transferable player): the server will not be ready inside the hold window; the
 * gateway keeps the client itself and transfers it back when `ready` resolves with `forward`.
 */
export type WakeDecision = WakeResult | { kind: 'hold'; ready: Promise<WakeResult> };

export interface WakingPlayer {
  username: string;
  address: string;
  /** A 1.20.5+ client the gateway can hold outside the server and transfer back once it runs. */
  transferable?: boolean;
}

/** One login's wake: the server as loaded, its settings, who asks, and when the login came. */
interface WakeAttempt {
  serverId: string;
  server: ServerRecord;
  settings: GatewaySettingsRow;
  player: WakingPlayer;
  began: number;
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Wakes sleeping and frozen servers when a player logs in through the gateway, holding the login
 * while the server starts; each wake is recorded (the wake history, the audit log, the observer).
 */
export class Waker {
  /** The start of each server being woken, shared by every login that asks meanwhile. */
  private readonly wakes = new Map<string, Promise<void>>();

  constructor(private readonly core: SleepCore) {}

  /** The median of the server's recent start times, if it has any. */
  async expectedStartMs(serverId: string): Promise<number | null> {
    const settings = await this.core.deps.store.settings(serverId);
    return median(settings?.startDurationsMs ?? []);
  }

  /**
   * A login through the gateway to a server that does not run (pings never come here). Checks who may
   * wake it, then resumes a frozen server, or starts a sleeping one and holds the player until it is
   * ready — unless its recent starts say it will not be ready inside the hold window, in which case the
   * player is told at once when to join again (the start goes on).
   */
  async wake(
    route: { serverId: string },
    player: WakingPlayer,
    signal?: AbortSignal,
    options: { bypassWakers?: boolean } = {},
  ): Promise<WakeDecision> {
    const { deps } = this.core;
    const began = deps.clock.now();
    const serverId = route.serverId;
    let server = await deps.lifecycle.load(serverId);
    if (!server) return { kind: 'disconnect', message: 'This server no longer exists.' };
    const settings = (await deps.store.settings(serverId)) ?? defaultSettings(serverId, server.tenantId);
    const attempt: WakeAttempt = { serverId, server, settings, player, began };
    if (
      !options.bypassWakers &&
      settings.wakers.length > 0 &&
      !settings.wakers.some((w) => w.toLowerCase() === player.username.toLowerCase())
    ) {
      this.record(attempt, 'refused', server.status, null, 'not on the wake list');
      return { kind: 'disconnect', message: 'This server is asleep and you may not wake it. Ask its owner.' };
    }
    // Going to sleep right now: wait for that to finish, then wake it.
    if (server.status === 'stopping') {
      await this.core.waiters.wait(serverId, (s) => s !== 'stopping', this.core.settings.stopWaitMs, signal);
      server = (await deps.lifecycle.load(serverId)) ?? server;
      attempt.server = server;
    }
    const from = server.status;
    if (from === 'running') return this.forward(attempt);
    if (from === 'frozen') return this.resume(attempt);
    if (from !== 'sleeping' && from !== 'starting') {
      return {
        kind: 'disconnect',
        message: from === 'stopped' ? 'This server is stopped by its owner.' : `This server is ${from}.`,
      };
    }
    return this.startAndHold(attempt, signal);
  }

  /** Where the running server is: its driver's address where it has one, else its game port here. */
  private async forward(attempt: WakeAttempt): Promise<WakeResult> {
    const { runtime } = this.core.deps;
    if (!runtime.endpoint)
      return {
        kind: 'forward',
        backend: { host: this.core.settings.backendHost, port: attempt.server.port ?? 0 },
      };
    const backend = await runtime.endpoint(attempt.serverId).catch(() => undefined);
    if (backend) return { kind: 'forward', backend };
    return { kind: 'disconnect', message: 'The server is running but cannot be reached yet. Join again.' };
  }

  /** A frozen server: its process is resumed under the server's lock. */
  private async resume(attempt: WakeAttempt): Promise<WakeDecision> {
    const { serverId, began } = attempt;
    const { lifecycle, runtime, clock } = this.core.deps;
    try {
      await lifecycle.exclusive(serverId, 'resume', async () => {
        const fresh = await lifecycle.load(serverId);
        if (fresh?.status !== 'frozen') return;
        await runtime.pause?.(serverId, false);
        await lifecycle.transition(serverId, 'running', {
          onlyFrom: ['frozen'],
          generation: fresh.generation,
          patch: { statusReason: null },
        });
      });
    } catch (error) {
      this.record(attempt, 'failed', 'frozen', null, (error as Error).message);
      return { kind: 'disconnect', message: `The server could not resume: ${(error as Error).message}` };
    }
    const ms = clock.now() - began;
    this.core.active(serverId);
    this.record(attempt, 'ready', 'frozen', ms);
    return this.forward(attempt);
  }

  /**
   * A sleeping or starting server: started (once), and the player held until it runs. When its recent
   * starts say it will not be ready inside the hold window, or the window runs out, a transferable
   * player is held by the gateway (up to `transferHoldMs` from the login) and anyone else is told when
   * to join again.
   */
  private async startAndHold(attempt: WakeAttempt, signal?: AbortSignal): Promise<WakeDecision> {
    const { serverId, began } = attempt;
    const core = this.core;
    const from = attempt.server.status;
    if (from === 'sleeping') this.startWake(serverId, attempt.server.tenantId);
    const expected = median(attempt.settings.startDurationsMs);
    const transferable = attempt.player.transferable === true;
    if (expected !== null && expected > core.settings.holdWindowMs) {
      if (transferable) return { kind: 'hold', ready: this.heldUntilReady(attempt, from, signal) };
      const seconds = Math.ceil(expected / 1000);
      this.record(attempt, 'too_slow', from, null, `expected ${seconds} s`);
      return { kind: 'disconnect', message: `The server is starting. Join again in ${seconds} s.` };
    }
    const result = await this.untilReady(attempt, from, core.settings.holdWindowMs, signal);
    if (result) return result;
    if (transferable && !signal?.aborted)
      return { kind: 'hold', ready: this.heldUntilReady(attempt, from, signal) };
    const left = expected ? Math.max(1, Math.ceil((expected - (core.deps.clock.now() - began)) / 1000)) : 10;
    this.record(attempt, 'too_slow', from, null, 'not ready inside the hold window');
    return { kind: 'disconnect', message: `The server is still starting. Join again in ${left} s.` };
  }

  /** A player the gateway holds for a transfer: waits for the start up to `transferHoldMs` in all. */
  private async heldUntilReady(
    attempt: WakeAttempt,
    from: string,
    signal?: AbortSignal,
  ): Promise<WakeResult> {
    const core = this.core;
    const bound = core.settings.transferHoldMs;
    const left = Math.max(0, bound - (core.deps.clock.now() - attempt.began));
    const result = await this.untilReady(attempt, from, left, signal);
    if (result) return result;
    this.record(attempt, 'too_slow', from, null, 'not ready inside the transfer hold');
    return {
      kind: 'disconnect',
      message: `The server did not start within ${Math.round(bound / 1000)} s. Try again later.`,
    };
  }

  /**
   * Waits up to `timeoutMs` for the start to end: the player is forwarded once the server runs, told
   * why when it crashed or stopped instead; null when it is still starting (or the player left).
   */
  private async untilReady(
    attempt: WakeAttempt,
    from: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WakeResult | null> {
    const core = this.core;
    const { serverId, began } = attempt;
    const settled = await core.waiters.wait(
      serverId,
      (s) => s === 'running' || s === 'crashed' || s === 'failed' || s === 'stopped' || s === 'deleting',
      timeoutMs,
      signal,
    );
    if (!settled) return null;
    if (settled.status !== 'running') {
      const reason = settled.reason ? `: ${settled.reason.split('\n')[0]!.slice(0, 300)}` : '.';
      this.record(attempt, 'failed', from, null, settled.reason ?? settled.status);
      return {
        kind: 'disconnect',
        message:
          settled.status === 'crashed' || settled.status === 'failed'
            ? `The server crashed while starting${reason}`
            : `The server did not start${reason}`,
      };
    }
    const ms = core.deps.clock.now() - began;
    core.active(serverId);
    this.record(attempt, 'ready', from, ms);
    attempt.server = (await core.deps.lifecycle.load(serverId)) ?? attempt.server;
    return this.forward(attempt);
  }

  /** Starts a sleeping server once, however many players ask at the same time. */
  private startWake(serverId: string, tenantId: string): void {
    if (this.wakes.has(serverId)) return;
    const { lifecycle, logger } = this.core.deps;
    const task = lifecycle
      .start(this.core.actorFor(tenantId), serverId, {})
      .then(() => undefined)
      .catch((error: unknown) => logger.warn({ err: error, serverId }, 'wake start failed'))
      .finally(() => this.wakes.delete(serverId));
    this.wakes.set(serverId, task);
    void this.core.work.track(task);
  }

  /** Tells the observer, and records the wake (history, end of the sleep, audit) in the background. */
  private record(
    attempt: WakeAttempt,
    outcome: WakeOutcome,
    from: string,
    durationMs: number | null,
    message?: string,
  ): void {
    const { deps } = this.core;
    const { serverId, settings, player } = attempt;
    const tenantId = attempt.server.tenantId;
    deps.observer?.wake?.(outcome, from, durationMs);
    const asleepMs =
      settings.asleepSince && outcome !== 'refused' ? attempt.began - settings.asleepSince.getTime() : null;
    this.core.background('wake record', async () => {
      await deps.store.recordWake({
        tenantId,
        serverId,
        player: player.username ? player.username.slice(0, 32) : null,
        fromStatus: from,
        outcome,
        durationMs,
        asleepMs,
        message: message ?? null,
      });
      if (asleepMs !== null) await deps.store.saveSettings(serverId, tenantId, { asleepSince: null });
      await deps.audit?.record({
        tenantId,
        action: 'server.wake',
        targetType: 'server',
        targetId: serverId,
        serverId,
        outcome: outcome === 'ready' || outcome === 'too_slow' ? 'success' : 'failure',
        ip: player.address || null,
        details: { player: player.username, from, outcome, duration_ms: durationMs },
      });
    });
  }
}
