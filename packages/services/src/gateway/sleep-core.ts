import type { Clock } from '@minefleet/domain/clock';
import type { EventBus } from '@minefleet/domain/ports/event-bus';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { Actor } from '../actor.js';
import type { AuditLog } from '../audit.js';
import { BackgroundWork } from '../background-work.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { Logger } from '../logger.js';
import type { FrontDoor } from './front-door.js';
import type { GatewayStore } from './gateway-store.js';
import { StatusWaiters } from './status-waiters.js';

/** The platform acts for the gateway; this id matches no user. */
const GATEWAY_USER_ID = '00000000-0000-0000-0000-000000000000';

export type WakeOutcome = 'ready' | 'too_slow' | 'failed' | 'refused';

export interface SleepSettings {
  /** `<server>.<tenant slug>.<gameDomain>` is every server's hostname; empty: custom hostnames only. */
  gameDomain: string;
  /** Address the gateway connects to for a server's game port. */
  backendHost: string;
  /** How often idle servers and frozen ones are checked. */
  checkIntervalMs: number;
  /** How often the whole route table is reloaded (other replicas' hostname changes, deletes). */
  reloadIntervalMs: number;
  /** Longest a login is held while its server starts (the Java client gives up at 30 s). */
  holdWindowMs: number;
  /**
   * Longest a 1.20.5+ player is held by the gateway (in the configuration state, then transferred)
   * while its server starts, counted from the login.
   */
  transferHoldMs: number;
  /** How long a stop into sleep may take before the service gives up waiting for it. */
  stopWaitMs: number;
  /** Start times remembered per server (their median predicts the next start). */
  keepStartTimes: number;
}

export const DEFAULT_SLEEP_SETTINGS: SleepSettings = {
  gameDomain: '',
  backendHost: '127.0.0.1',
  checkIntervalMs: 15_000,
  reloadIntervalMs: 30_000,
  holdWindowMs: 25_000,
  transferHoldMs: 120_000,
  stopWaitMs: 60_000,
  keepStartTimes: 5,
};

export interface SleepObserver {
  wake?(outcome: WakeOutcome, fromStatus: string, durationMs: number | null): void;
  slept?(mode: 'stop' | 'freeze'): void;
}

export interface SleepDeps {
  store: GatewayStore;
  lifecycle: LifecycleService;
  runtime: RuntimeDriver;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  audit?: AuditLog;
  observer?: SleepObserver;
  settings?: Partial<SleepSettings>;
  owns?: (serverId: string) => boolean;
}

/**
 * What the parts of sleep and wake share: their dependencies and settings, the front door once the
 * service has started, when each server last had players, the status waiters, and the background
 * work shutdown waits for.
 */
export class SleepCore {
  frontDoor: FrontDoor | undefined;
  /** Set by close(): no new work starts afterwards. */
  closed = false;
  /** When each server last had players (or last came up). */
  readonly lastActive = new Map<string, number>();
  readonly waiters: StatusWaiters;
  readonly work: BackgroundWork;
  readonly settings: SleepSettings;

  constructor(readonly deps: SleepDeps) {
    this.settings = { ...DEFAULT_SLEEP_SETTINGS, ...deps.settings };
    this.waiters = new StatusWaiters((serverId) => deps.lifecycle.load(serverId));
    this.work = new BackgroundWork(deps.logger);
  }

  owns(serverId: string): boolean {
    return this.deps.owns ? this.deps.owns(serverId) : true;
  }

  /** Runs `work` without waiting for it; a failure is logged as a warning. */
  background(what: string, work: () => Promise<unknown>): void {
    void this.work.track(
      work().catch((error: unknown) =>
        this.deps.logger.warn({ err: error, what }, 'gateway background work failed'),
      ),
    );
  }

  /** The platform's actor for the gateway in a tenant. */
  actorFor(tenantId: string): Actor {
    return { userId: GATEWAY_USER_ID, tenantId, role: 'operator' };
  }

  /** Marks the server as having players now. */
  active(serverId: string): void {
    this.lastActive.set(serverId, this.deps.clock.now());
  }
}
