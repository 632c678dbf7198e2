import { defaultSettings, type GatewaySettingsRow } from './gateway-store.js';
import type { RouteSync } from './route-sync.js';
import type { SleepCore } from './sleep-core.js';

/**
 * Puts servers nobody plays on to sleep: stopped with the world saved, or frozen in memory; a frozen
 * server past its limit is stopped for real.
 *
 * A server is idle only when both the gateway's own connections to it and the server's player list
 * (a fresh server-list ping) are zero for the whole `idle_after`; a ping that does not answer counts as
 * busy. Just before it stops, the route is marked `stopping` (new logins wait for the wake that follows)
 * and both counts are checked again, so a player who joined meanwhile is never cut off.
 */
export class Sleeper {
  /** Servers being put to sleep (or stopped from frozen) right now. */
  private readonly sleeping = new Set<string>();

  constructor(
    private readonly core: SleepCore,
    private readonly routes: RouteSync,
  ) {}

  /** One pass: idle running servers go to sleep, frozen ones past their limit are stopped for real. */
  async check(): Promise<void> {
    const core = this.core;
    if (core.closed || !core.frontDoor) return;
    const rows = (await core.deps.store.routeRows()).filter(
      (r) => r.settings.sleepEnabled && core.owns(r.serverId),
    );
    const now = core.deps.clock.now();
    for (const row of rows) {
      if (row.status === 'running') {
        const players = await this.playersNow(row.serverId);
        if (players !== 0) {
          core.lastActive.set(row.serverId, now);
          continue;
        }
        const since = core.lastActive.get(row.serverId);
        if (since === undefined) {
          core.lastActive.set(row.serverId, now);
          continue;
        }
        if (now - since >= row.settings.idleAfterSeconds * 1000 && !this.sleeping.has(row.serverId)) {
          this.sleeping.add(row.serverId);
          core.background('sleep', () =>
            this.sleep(row.serverId, row.settings).finally(() => this.sleeping.delete(row.serverId)),
          );
        }
      } else if (row.status === 'frozen' && row.settings.asleepSince) {
        if (
          now - row.settings.asleepSince.getTime() >= row.settings.freezeMaxSeconds * 1000 &&
          !this.sleeping.has(row.serverId)
        ) {
          this.sleeping.add(row.serverId);
          core.background('stop frozen', () =>
            this.stopFrozen(row.serverId).finally(() => this.sleeping.delete(row.serverId)),
          );
        }
      }
    }
  }

  /**
   * Players on the server now: the gateway's own connections, or the game's player list when higher.
   * Null (treated as busy) when the game does not answer its ping.
   */
  async playersNow(serverId: string): Promise<number | null> {
    const viaGateway = this.core.frontDoor?.playersOn(serverId) ?? 0;
    try {
      const ping = await this.core.deps.runtime.ping(serverId, 2_000);
      return Math.max(viaGateway, ping.onlinePlayers);
    } catch {
      return null;
    }
  }

  /** Puts one idle server to sleep (stop or freeze), unless a player turned up at the last moment. */
  async sleep(serverId: string, settings: GatewaySettingsRow): Promise<boolean> {
    const { frontDoor, deps } = this.core;
    if (!frontDoor) return false;
    const server = await deps.lifecycle.load(serverId);
    if (server?.status !== 'running') return false;
    await this.routes.cacheStatus(serverId);
    // From here on the gateway holds new logins (they wait for the wake after the sleep).
    frontDoor.routes.update(serverId, { status: 'stopping' });
    const players = await this.playersNow(serverId);
    if (players !== 0) {
      frontDoor.routes.update(serverId, { status: 'running' });
      this.core.active(serverId);
      return false;
    }
    const freeze = settings.sleepMode === 'freeze' && typeof deps.runtime.pause === 'function';
    if (freeze) {
      if (!(await this.freeze(serverId))) {
        frontDoor.routes.update(serverId, { status: server.status });
        return false;
      }
    } else if (!(await this.stopIntoSleep(serverId, server.tenantId))) {
      return false;
    }
    await deps.store.saveSettings(serverId, server.tenantId, { asleepSince: new Date(deps.clock.now()) });
    deps.observer?.slept?.(freeze ? 'freeze' : 'stop');
    void deps.audit?.record({
      tenantId: server.tenantId,
      action: freeze ? 'server.freeze' : 'server.sleep',
      targetType: 'server',
      targetId: serverId,
      serverId,
      outcome: 'success',
      details: { idle_after_seconds: settings.idleAfterSeconds },
    });
    deps.logger.info({ serverId, mode: freeze ? 'freeze' : 'stop' }, 'server went to sleep');
    return true;
  }

  /** Pauses the running process and moves the server to `frozen`; false when it was no longer running. */
  private freeze(serverId: string): Promise<boolean> {
    const { lifecycle, runtime } = this.core.deps;
    return lifecycle.exclusive(serverId, 'freeze', async () => {
      const fresh = await lifecycle.load(serverId);
      if (fresh?.status !== 'running') return false;
      await runtime.pause!(serverId, true);
      const moved = await lifecycle.transition(serverId, 'frozen', {
        generation: fresh.generation,
        onlyFrom: ['running'],
        patch: { playersOnline: 0, statusReason: 'Paused: nobody played. A login resumes it.' },
      });
      if (!moved) await runtime.pause!(serverId, false);
      return !!moved;
    });
  }

  /** Stops the server (the world is saved) and moves it from `stopped` to `sleeping`. */
  private async stopIntoSleep(serverId: string, tenantId: string): Promise<boolean> {
    const core = this.core;
    await core.deps.lifecycle.stop(core.actorFor(tenantId), serverId, {});
    const settled = await core.waiters.wait(
      serverId,
      (s) => s !== 'stopping' && s !== 'running',
      core.settings.stopWaitMs,
    );
    if (settled?.status !== 'stopped') return false;
    const asleep = await core.deps.lifecycle.transition(serverId, 'sleeping', {
      onlyFrom: ['stopped'],
      patch: { desiredState: 'sleeping', statusReason: 'Sleeping: nobody played. A login starts it.' },
    });
    return !!asleep;
  }

  /** A frozen server past its limit: resumed and stopped for real, into `sleeping`. */
  private async stopFrozen(serverId: string): Promise<void> {
    const { deps } = this.core;
    const server = await deps.lifecycle.load(serverId);
    if (server?.status !== 'frozen') return;
    await deps.runtime.pause?.(serverId, false);
    await deps.lifecycle.transition(serverId, 'running', {
      onlyFrom: ['frozen'],
      generation: server.generation,
    });
    const settings = (await deps.store.settings(serverId)) ?? defaultSettings(serverId, server.tenantId);
    const asleepSince = settings.asleepSince;
    await this.sleep(serverId, { ...settings, sleepMode: 'stop' });
    // The time it spent frozen still counts as asleep.
    if (asleepSince) await deps.store.saveSettings(serverId, server.tenantId, { asleepSince });
  }

  /** A frozen server's process ended (killed from outside): it is stopped now. */
  async onExit(serverId: string): Promise<void> {
    const { lifecycle } = this.core.deps;
    const server = await lifecycle.load(serverId);
    if (server?.status !== 'frozen') return;
    await lifecycle.transition(serverId, 'stopped', {
      onlyFrom: ['frozen'],
      patch: { desiredState: 'stopped', playersOnline: null, statusReason: 'The paused process ended.' },
    });
  }
}
