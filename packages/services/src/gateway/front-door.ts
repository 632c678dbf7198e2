/** A server-list status as the game sends it. */
export interface CachedStatus {
  version: { name: string; protocol: number };
  players: { max: number; online: number };
  description: unknown;
  [key: string]: unknown;
}

export interface FrontDoorRoute {
  serverId: string;
  tenantId: string;
  status: string;
  backend: { host: string; port: number } | null;
  proxyProtocol: boolean;
  hostnames: string[];
  /** The server's region: the gateway refuses those of another region than its own. */
  region: string;
}

/**
 * The part of the gateway (the protocol front door) the sleep service drives: its route table, its
 * status cache and its own count of players. The composition root passes the gateway itself.
 */
export interface FrontDoor {
  readonly routes: {
    upsert(route: FrontDoorRoute): void;
    update(serverId: string, patch: Partial<Omit<FrontDoorRoute, 'serverId' | 'hostnames'>>): unknown;
    remove(serverId: string): void;
    all(): FrontDoorRoute[];
  };
  readonly statuses: {
    set(serverId: string, status: CachedStatus, at: number): void;
    get(serverId: string): { status: CachedStatus; at: number } | undefined;
  };
  playersOn(serverId: string): number;
  refreshStatus(serverId: string, timeoutMs?: number): Promise<CachedStatus | undefined>;
}
