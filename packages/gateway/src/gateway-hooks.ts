import type { Route } from './route-table.js';

export interface Player {
  username: string;
  address: string;
  protocolVersion: number;
  /**
   * The gateway can hold this client outside the server and transfer it back when the server is ready
   * (1.20.5+, a version whose packets it knows): the wake may answer `hold` instead of `join again`.
   */
  transferable: boolean;
}

/** How a wake ends for the player: forwarded to the running server, or told why not. */
export type WakeResult =
  { kind: 'forward'; backend: { host: string; port: number } } | { kind: 'disconnect'; message: string };

/**
 * What the control plane decides for a login to a server that does not run. `hold` (only for a
 * transferable player): the server will not be ready inside the hold window; the gateway holds the
 * client in the configuration state and transfers it back once `ready` resolves with `forward`.
 */
export type WakeDecision = WakeResult | { kind: 'hold'; ready: Promise<WakeResult> };

export interface GatewayHooks {
  /**
   * A login to a server that is not running: wake it and resolve once it accepts players (forward), or
   * with the message the player should see. Pings never call this.
   */
  wake?(route: Route, player: Player, signal: AbortSignal): Promise<WakeDecision>;
  /** The line shown under the MOTD while the server does not run; a built-in one when absent. */
  stateLine?(route: Route): string | undefined;
}

export type ConnectionOutcome =
  | 'routed'
  | 'status_answered'
  | 'unknown_host'
  | 'other_region'
  | 'rate_limited'
  | 'over_capacity'
  | 'invalid'
  | 'timeout'
  | 'backend_unreachable'
  | 'woken'
  | 'wake_refused'
  | 'hold_timeout'
  | 'transferred';

/** Counters the composition root turns into metrics. */
export interface GatewayObserver {
  connection?(outcome: ConnectionOutcome, serverId?: string): void;
  /** A spliced connection closed: bytes from the client and to the client. */
  spliced?(serverId: string, bytesIn: number, bytesOut: number): void;
}
