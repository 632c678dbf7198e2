import type { PlatformEvent } from '@minefleet/domain/ports/event-bus';
import type { CachedStatus, FrontDoorRoute } from './front-door.js';
import { defaultSettings, type RouteRow } from './gateway-store.js';
import type { SleepCore } from './sleep-core.js';

type StatusEvent = Extract<PlatformEvent, { type: 'status' }>;

/**
 * Keeps the gateway's route table and status cache in step with the servers: a reload from the
 * database (all routes, or some servers'), and each status event applied as it comes. It also times
 * each start (starting → running), whose median predicts the next one.
 */
export class RouteSync {
  private readonly startingAt = new Map<string, number>();
  /**
   * Running servers' addresses, for a driver that has its own (Kubernetes: the Service or pod). Asked
   * when a server comes up and dropped when it leaves `running`, so a new pod's address is never
   * mistaken for the old one's.
   */
  private readonly endpoints = new Map<string, { host: string; port: number }>();

  constructor(private readonly core: SleepCore) {}

  /** The hostnames a server answers to: its platform name and its custom ones. */
  hostnamesOf(row: Pick<RouteRow, 'name' | 'slug' | 'hostnames'>): string[] {
    const names = [...row.hostnames];
    const { gameDomain } = this.core.settings;
    if (gameDomain && row.slug) names.unshift(`${row.name}.${row.slug}.${gameDomain}`);
    return names;
  }

  private toRoute(row: RouteRow): FrontDoorRoute {
    return {
      serverId: row.serverId,
      tenantId: row.tenantId,
      status: row.status,
      backend: this.core.deps.runtime.endpoint
        ? (this.endpoints.get(row.serverId) ?? null)
        : row.port
          ? { host: this.core.settings.backendHost, port: row.port }
          : null,
      proxyProtocol: row.settings.proxyProtocol,
      hostnames: this.hostnamesOf(row),
      region: row.region,
    };
  }

  /** Reloads routes (all, or some servers) from the database. */
  async reload(only?: string[]): Promise<void> {
    const { frontDoor, deps } = this.core;
    if (!frontDoor || this.core.closed) return;
    let rows = await deps.store.routeRows(only);
    const missingSlug = [...new Set(rows.filter((r) => !r.slug).map((r) => r.tenantId))];
    if (missingSlug.length > 0 && this.core.settings.gameDomain) {
      for (const tenantId of missingSlug) await deps.store.slug(tenantId);
      rows = await deps.store.routeRows(only);
    }
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.serverId);
      frontDoor.routes.upsert(this.toRoute(row));
      if (row.status === 'running' && !this.endpoints.has(row.serverId)) this.askEndpoint(row.serverId);
      const cached = frontDoor.statuses.get(row.serverId);
      const stored = row.settings.lastStatus as CachedStatus | null;
      const storedAt = row.settings.lastStatusAt?.getTime() ?? 0;
      if (stored && (!cached || cached.at < storedAt)) frontDoor.statuses.set(row.serverId, stored, storedAt);
    }
    const asked = only ? new Set(only) : undefined;
    for (const route of frontDoor.routes.all()) {
      if ((asked ? asked.has(route.serverId) : true) && !seen.has(route.serverId))
        frontDoor.routes.remove(route.serverId);
    }
  }

  /** A server's status changed: its route follows, and a start that ends is timed. */
  onStatus(event: StatusEvent): void {
    const core = this.core;
    const { serverId } = event;
    const status = event.data.status;
    const route = core.frontDoor?.routes.all().find((r) => r.serverId === serverId);
    if (status !== 'running' && this.endpoints.delete(serverId))
      core.frontDoor?.routes.update(serverId, { backend: null });
    if (route) core.frontDoor!.routes.update(serverId, { status });
    else core.background('route of a new server', () => this.reload([serverId]));
    if (status === 'running' && route && !core.owns(serverId)) this.askEndpoint(serverId);
    if (status === 'starting') this.startingAt.set(serverId, Date.parse(event.ts));
    if (status === 'running') {
      core.active(serverId);
      const began = this.startingAt.get(serverId);
      this.startingAt.delete(serverId);
      // A resumed freeze is not a start: only starting → running is timed.
      if (began !== undefined && core.owns(serverId))
        core.background('start time', () => this.recordStart(serverId, Date.parse(event.ts) - began));
      if (core.owns(serverId))
        core.background('status cache', async () => {
          // Its address first, where the driver has its own: the status is read from there.
          if (route && core.deps.runtime.endpoint) await this.resolveEndpoint(serverId);
          await this.cacheStatus(serverId);
        });
      if (!route) core.background('route port', () => this.reload([serverId]));
    }
    if (status === 'deleting') core.frontDoor?.routes.remove(serverId);
  }

  /** Asks a driver with addresses of its own where a running server is, and routes there. */
  private askEndpoint(serverId: string): void {
    if (this.core.deps.runtime.endpoint)
      this.core.background('route address', () => this.resolveEndpoint(serverId));
  }

  private async resolveEndpoint(serverId: string): Promise<void> {
    const endpoint = await this.core.deps.runtime.endpoint?.(serverId);
    if (!endpoint) return;
    this.endpoints.set(serverId, endpoint);
    this.core.frontDoor?.routes.update(serverId, { backend: endpoint });
  }

  private async recordStart(serverId: string, ms: number): Promise<void> {
    if (ms < 0) return;
    const { deps } = this.core;
    const server = await deps.lifecycle.load(serverId);
    if (!server) return;
    const settings = (await deps.store.settings(serverId)) ?? defaultSettings(serverId, server.tenantId);
    const durations = [...settings.startDurationsMs, ms].slice(-this.core.settings.keepStartTimes);
    await deps.store.saveSettings(serverId, server.tenantId, { startDurationsMs: durations });
  }

  /** Fetches the server's real status into the gateway's cache and the database. */
  async cacheStatus(serverId: string): Promise<void> {
    const { deps } = this.core;
    const status = await this.core.frontDoor?.refreshStatus(serverId, 2_000).catch(() => undefined);
    if (!status) return;
    const server = await deps.lifecycle.load(serverId);
    if (!server) return;
    await deps.store.saveSettings(serverId, server.tenantId, {
      lastStatus: status,
      lastStatusAt: new Date(deps.clock.now()),
    });
  }
}
