/**
 * Gateway configuration (docs/gateway.md): one public Minecraft port for every server, routed by
 * hostname, with sleep and wake. Off unless MINEFLEET_GATEWAY=on or MINEFLEET_GATEWAY_PORT is set;
 * MINEFLEET_GATEWAY=external when it runs as its own process (`minefleet gateway run`).
 */
export interface GatewayConfig {
  /** This process listens on the gateway port. */
  enabled: boolean;
  /**
   * The gateway runs as its own process (MINEFLEET_GATEWAY=external): this replica does not listen but
   * still puts the idle servers it owns to sleep and serves the wake API.
   */
  external: boolean;
  host: string;
  port: number;
  /** `<server>.<tenant slug>.<gameDomain>`; empty: servers are reached by custom hostnames only. */
  gameDomain: string;
  /** Address the gateway connects to for game ports (where game servers bind). */
  backendHost: string;
  trustedProxies: string[];
  handshakeTimeoutMs: number;
  holdWindowMs: number;
  /** Longest a 1.20.5+ player is held in the configuration state for a transfer while a server starts. */
  transferHoldMs: number;
  perAddressPerSecond: number;
  maxConnections: number;
  sleepCheckIntervalMs: number;
}

export class GatewayConfigError extends Error {}

/** The gateway when the configuration does not mention it (sleep settings can still be edited). */
export const DISABLED_GATEWAY: GatewayConfig = {
  enabled: false,
  external: false,
  host: '0.0.0.0',
  port: 25565,
  gameDomain: '',
  backendHost: '127.0.0.1',
  trustedProxies: [],
  handshakeTimeoutMs: 5_000,
  holdWindowMs: 25_000,
  transferHoldMs: 120_000,
  perAddressPerSecond: 10,
  maxConnections: 10_000,
  sleepCheckIntervalMs: 15_000,
};

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new GatewayConfigError(`${name} must be an integer from ${min} to ${max}.`);
  return value;
}

export function loadGatewayConfig(
  env: NodeJS.ProcessEnv,
  gameBindHost: string,
  portRange: { from: number; to: number },
): GatewayConfig {
  const flag = (env.MINEFLEET_GATEWAY ?? '').trim().toLowerCase();
  if (!['', 'on', 'true', 'off', 'false', 'external'].includes(flag))
    throw new GatewayConfigError(
      `MINEFLEET_GATEWAY must be on, off or external (got "${env.MINEFLEET_GATEWAY}").`,
    );
  const external = flag === 'external';
  const enabled = flag === 'on' || flag === 'true' || (flag === '' && !!env.MINEFLEET_GATEWAY_PORT);
  const port = int(env, 'MINEFLEET_GATEWAY_PORT', 25565, 0, 65535);
  if (enabled && port !== 0 && port >= portRange.from && port <= portRange.to)
    throw new GatewayConfigError(
      `MINEFLEET_GATEWAY_PORT ${port} lies inside MINEFLEET_PORT_RANGE ${portRange.from}-${portRange.to}: move one of them.`,
    );
  const domain = (env.MINEFLEET_GAME_DOMAIN ?? '').trim().toLowerCase().replace(/\.+$/, '');
  if (domain && !/^[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(domain))
    throw new GatewayConfigError('MINEFLEET_GAME_DOMAIN must be a DNS name such as play.example.com.');
  return {
    enabled,
    external,
    host: env.MINEFLEET_GATEWAY_HOST || '0.0.0.0',
    port,
    gameDomain: domain,
    backendHost: gameBindHost === '0.0.0.0' || gameBindHost === '::' ? '127.0.0.1' : gameBindHost,
    trustedProxies: (env.MINEFLEET_GATEWAY_TRUSTED_PROXIES ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    handshakeTimeoutMs: int(env, 'MINEFLEET_GATEWAY_HANDSHAKE_TIMEOUT_MS', 5_000, 100, 60_000),
    holdWindowMs: int(env, 'MINEFLEET_GATEWAY_HOLD_SECONDS', 25, 1, 25) * 1000,
    transferHoldMs: int(env, 'MINEFLEET_GATEWAY_TRANSFER_HOLD_SECONDS', 120, 5, 900) * 1000,
    perAddressPerSecond: int(env, 'MINEFLEET_GATEWAY_RATE_PER_SECOND', 10, 1, 100_000),
    maxConnections: int(env, 'MINEFLEET_GATEWAY_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
    sleepCheckIntervalMs: int(env, 'MINEFLEET_SLEEP_CHECK_SECONDS', 15, 1, 3600) * 1000,
  };
}
