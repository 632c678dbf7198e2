import type { StatusJson } from './answers.js';

/** What the gateway needs to know about one server to route to it. */
export interface Route {
  serverId: string;
  tenantId: string;
  /** The server's status as the control plane last reported it (`running` is forwarded directly). */
  status: string;
  /** Where the game listens while it runs. */
  backend: { host: string; port: number } | null;
  /** Send a PROXY v2 header first (only for backends configured to accept it). */
  proxyProtocol: boolean;
  /** Hostnames it answers to: exact names, or `*.domain` for any one or more labels below `domain`. */
  hostnames: string[];
  /**
   * The region it runs in. A gateway answers for the servers of its own region only: another region's
   * is refused with a message naming its region, never spliced across (docs/multi-region.md).
   */
  region: string;
}

/**
 * The live route table: hostname → server. Exact names first, then the closest wildcard
 * (`a.b.example.com` tries `*.b.example.com`, then `*.example.com`). Replacing a server's route replaces
 * all of its names at once, so a renamed host never keeps pointing at the old server.
 */
export class RouteTable {
  private readonly byServer = new Map<string, Route>();
  private readonly exact = new Map<string, string>();
  private readonly wildcard = new Map<string, string>();

  get size(): number {
    return this.byServer.size;
  }

  upsert(route: Route): void {
    this.remove(route.serverId);
    const names = route.hostnames.map((h) => h.toLowerCase());
    this.byServer.set(route.serverId, { ...route, hostnames: names });
    for (const name of names) {
      if (name.startsWith('*.')) this.wildcard.set(name.slice(2), route.serverId);
      else this.exact.set(name, route.serverId);
    }
  }

  /** Changes fields of a known route (status, backend) without touching its names. */
  update(serverId: string, patch: Partial<Omit<Route, 'serverId' | 'hostnames'>>): Route | undefined {
    const route = this.byServer.get(serverId);
    if (!route) return undefined;
    const next = { ...route, ...patch };
    this.byServer.set(serverId, next);
    return next;
  }

  remove(serverId: string): void {
    const old = this.byServer.get(serverId);
    if (!old) return;
    this.byServer.delete(serverId);
    for (const name of old.hostnames) {
      const map = name.startsWith('*.') ? this.wildcard : this.exact;
      const key = name.startsWith('*.') ? name.slice(2) : name;
      if (map.get(key) === serverId) map.delete(key);
    }
  }

  get(serverId: string): Route | undefined {
    return this.byServer.get(serverId);
  }

  all(): Route[] {
    return [...this.byServer.values()];
  }

  lookup(host: string): Route | undefined {
    const exact = this.exact.get(host);
    if (exact) return this.byServer.get(exact);
    let dot = host.indexOf('.');
    while (dot !== -1) {
      const suffix = host.slice(dot + 1);
      const id = this.wildcard.get(suffix);
      if (id) return this.byServer.get(id);
      dot = host.indexOf('.', dot + 1);
    }
    return undefined;
  }
}

/** The cached last real status of each server, answered while it does not run. */
export class StatusCache {
  private readonly statuses = new Map<string, { status: StatusJson; at: number }>();

  set(serverId: string, status: StatusJson, at: number): void {
    this.statuses.set(serverId, { status, at });
  }

  get(serverId: string): { status: StatusJson; at: number } | undefined {
    return this.statuses.get(serverId);
  }

  delete(serverId: string): void {
    this.statuses.delete(serverId);
  }
}
