import type { EventSubscription } from '@minefleet/domain/ports/event-bus';
import type { FrontDoor } from './front-door.js';
import type { GatewaySettingsRow, RouteRow } from './gateway-store.js';
import { RouteSync } from './route-sync.js';
import { SleepCore, type SleepDeps, type SleepSettings } from './sleep-core.js';
import { Sleeper } from './sleeper.js';
import { Waker, type WakeDecision, type WakingPlayer } from './waker.js';

export type { CachedStatus, FrontDoor, FrontDoorRoute } from './front-door.js';
export {
  DEFAULT_SLEEP_SETTINGS,
  type SleepObserver,
  type SleepSettings,
  type WakeOutcome,
} from './sleep-core.js';
export type { WakeDecision, WakeResult } from './waker.js';

/**
 * Sleep and wake: puts servers nobody plays on to sleep (stopped with the world saved, or frozen in
 * memory; `sleeper.ts`), wakes them when a player logs in through the gateway (`waker.ts`), and keeps
 * the gateway's route table in step with the servers (`route-sync.ts`: status events, and a periodic
 * reload for what other replicas changed). This class starts and stops them and is their one face.
 */
export class SleepService {
  private readonly core: SleepCore;
  private readonly routes: RouteSync;
  private readonly sleeper: Sleeper;
  private readonly waker: Waker;
  private checkTimer: NodeJS.Timeout | undefined;
  private reloadTimer: NodeJS.Timeout | undefined;
  private subscription: EventSubscription | undefined;
  private unsubscribeRuntime: (() => void) | undefined;

  constructor(deps: SleepDeps) {
    this.core = new SleepCore(deps);
    this.routes = new RouteSync(this.core);
    this.sleeper = new Sleeper(this.core, this.routes);
    this.waker = new Waker(this.core);
  }

  get settings(): SleepSettings {
    return this.core.settings;
  }

  /** Connects the front door, fills its route table and starts the idle checks. */
  async start(frontDoor: FrontDoor): Promise<void> {
    const core = this.core;
    core.frontDoor = frontDoor;
    this.subscription = await core.deps.events.subscribe({ types: ['status'] }, (event) => {
      if (event.type !== 'status' || core.closed) return;
      this.routes.onStatus(event);
      core.waiters.notify(event.serverId, event.data.status, event.data.status_reason ?? null);
    });
    this.unsubscribeRuntime = core.deps.runtime.onEvent((event) => {
      if (event.type === 'exit') core.background('frozen exit', () => this.sleeper.onExit(event.serverId));
    });
    await this.reload();
    this.checkTimer = setInterval(
      () => core.background('idle check', () => this.check()),
      core.settings.checkIntervalMs,
    );
    this.checkTimer.unref();
    this.reloadTimer = setInterval(
      () => core.background('route reload', () => this.reload()),
      core.settings.reloadIntervalMs,
    );
    this.reloadTimer.unref();
  }

  async close(): Promise<void> {
    this.core.closed = true;
    clearInterval(this.checkTimer);
    clearInterval(this.reloadTimer);
    this.unsubscribeRuntime?.();
    await this.subscription?.unsubscribe().catch(() => {});
    this.core.waiters.releaseAll('The platform is shutting down.');
    await this.core.work.drain();
  }

  /** The hostnames a server answers to: its platform name and its custom ones. */
  hostnamesOf(row: Pick<RouteRow, 'name' | 'slug' | 'hostnames'>): string[] {
    return this.routes.hostnamesOf(row);
  }

  /** Reloads routes (all, or some servers) from the database. */
  reload(only?: string[]): Promise<void> {
    return this.routes.reload(only);
  }

  /** One pass: idle running servers go to sleep, frozen ones past their limit are stopped for real. */
  check(): Promise<void> {
    return this.sleeper.check();
  }

  /** Players on the server now (gateway connections or the game's list); null when it does not answer. */
  playersNow(serverId: string): Promise<number | null> {
    return this.sleeper.playersNow(serverId);
  }

  /** Puts one idle server to sleep (stop or freeze), unless a player turned up at the last moment. */
  sleep(serverId: string, settings: GatewaySettingsRow): Promise<boolean> {
    return this.sleeper.sleep(serverId, settings);
  }

  /** The median of the server's recent start times, if it has any. */
  expectedStartMs(serverId: string): Promise<number | null> {
    return this.waker.expectedStartMs(serverId);
  }

  /** A login to a server that does not run: resume or start it, and say whether to forward the player. */
  wake(
    route: { serverId: string },
    player: WakingPlayer,
    signal?: AbortSignal,
    options: { bypassWakers?: boolean } = {},
  ): Promise<WakeDecision> {
    return this.waker.wake(route, player, signal, options);
  }
}
