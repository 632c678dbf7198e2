export interface GatewaySettings {
  /** Address and port the gateway listens on. */
  host: string;
  port: number;
  /** A connection that has not completed its handshake (and login start, when held) by then is closed. */
  handshakeTimeoutMs: number;
  /** How long the status exchange the gateway answers itself may take. */
  statusTimeoutMs: number;
  /** How long a backend may take to accept the TCP connection. */
  connectTimeoutMs: number;
  /** Longest a login is held while its server wakes (the Java client gives up at 30 s). */
  holdTimeoutMs: number;
  /**
   * Longest a 1.20.5+ client is held in the configuration state (answered by the gateway itself) while
   * its server starts, before it is transferred back; then it is told the server did not start.
   */
  transferHoldMs: number;
  /** Keep-alive interval for such a held client (the client drops a connection silent for 30 s). */
  transferKeepAliveMs: number;
  /** A legacy ping that stops short of its 1.6 host part is answered after this long. */
  legacyWaitMs: number;
  /** Peers whose PROXY v2 header is believed (load balancers). From anyone else it is refused. */
  trustedProxies: string[];
  perAddressPerSecond: number;
  perAddressBurst: number;
  maxConnections: number;
  /** The region this gateway serves (MINEFLEET_REGION): servers of other regions are not routed to. */
  region: string;
}

export const DEFAULT_GATEWAY_SETTINGS: GatewaySettings = {
  host: '0.0.0.0',
  port: 25565,
  handshakeTimeoutMs: 5_000,
  statusTimeoutMs: 5_000,
  connectTimeoutMs: 5_000,
  holdTimeoutMs: 25_000,
  transferHoldMs: 120_000,
  transferKeepAliveMs: 10_000,
  legacyWaitMs: 150,
  trustedProxies: [],
  perAddressPerSecond: 10,
  perAddressBurst: 30,
  maxConnections: 10_000,
  region: 'local',
};
