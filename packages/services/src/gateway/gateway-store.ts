import { and, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import {
  serverGateway,
  serverHostnames,
  servers,
  serverWakes,
  tenants,
  tenantSlugs,
} from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';

export type GatewaySettingsRow = typeof serverGateway.$inferSelect;
export type WakeRow = typeof serverWakes.$inferSelect;

export const SLEEP_MODES = ['stop', 'freeze'] as const;
export type SleepMode = (typeof SLEEP_MODES)[number];

/** Settings of a server that has no row yet. */
export function defaultSettings(serverId: string, tenantId: string): GatewaySettingsRow {
  return {
    serverId,
    tenantId,
    sleepEnabled: false,
    idleAfterSeconds: 600,
    sleepMode: 'stop',
    freezeMaxSeconds: 3600,
    proxyProtocol: false,
    wakers: [],
    lastStatus: null,
    lastStatusAt: null,
    startDurationsMs: [],
    asleepSince: null,
    updatedAt: new Date(0),
  };
}

/** What the route table needs of every server, in one query. */
export interface RouteRow {
  serverId: string;
  tenantId: string;
  name: string;
  status: string;
  port: number | null;
  region: string;
  slug: string | null;
  settings: GatewaySettingsRow;
  hostnames: string[];
}

/** A DNS label from a tenant's name: lower-case letters, digits and hyphens. */
export function slugOf(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30)
    .replace(/-+$/g, '');
  return slug || 'team';
}

/** Gateway rows: settings, hostnames, tenant slugs and wake history. */
export class GatewayStore {
  constructor(private readonly db: Database) {}

  async settings(serverId: string): Promise<GatewaySettingsRow | undefined> {
    return this.db.system(
      async (tx) => (await tx.select().from(serverGateway).where(eq(serverGateway.serverId, serverId)))[0],
    );
  }

  async saveSettings(
    serverId: string,
    tenantId: string,
    patch: Partial<Omit<GatewaySettingsRow, 'serverId' | 'tenantId'>>,
  ): Promise<GatewaySettingsRow> {
    const values = { ...patch, updatedAt: new Date() };
    const [row] = await this.db.system((tx) =>
      tx
        .insert(serverGateway)
        .values({ serverId, tenantId, ...values })
        .onConflictDoUpdate({ target: serverGateway.serverId, set: values })
        .returning(),
    );
    return row!;
  }

  /** The tenant's slug, assigned on first use from its name (a number appended when taken). */
  async slug(tenantId: string): Promise<string> {
    return this.db.system(async (tx) => {
      const [existing] = await tx.select().from(tenantSlugs).where(eq(tenantSlugs.tenantId, tenantId));
      if (existing) return existing.slug;
      const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, tenantId));
      const base = slugOf(tenant?.name ?? 'team');
      for (let n = 1; n < 1000; n++) {
        const candidate = n === 1 ? base : `${base}-${n}`;
        const [row] = await tx
          .insert(tenantSlugs)
          .values({ tenantId, slug: candidate })
          .onConflictDoNothing()
          .returning();
        if (row) return row.slug;
        const [mine] = await tx.select().from(tenantSlugs).where(eq(tenantSlugs.tenantId, tenantId));
        if (mine) return mine.slug;
      }
      throw new Error('no free tenant slug');
    });
  }

  async hostnames(serverId: string): Promise<string[]> {
    const rows = await this.db.system((tx) =>
      tx.select().from(serverHostnames).where(eq(serverHostnames.serverId, serverId)),
    );
    return rows.map((r) => r.hostname).sort();
  }

  /** Replaces a server's custom hostnames; a name another server holds is refused with HOSTNAME_TAKEN. */
  async setHostnames(serverId: string, tenantId: string, hostnames: string[]): Promise<string[]> {
    return this.db.system(async (tx) => {
      if (hostnames.length > 0) {
        const taken = await tx
          .select()
          .from(serverHostnames)
          .where(inArray(serverHostnames.hostname, hostnames));
        const other = taken.find((row) => row.serverId !== serverId);
        if (other)
          throw new DomainError('HOSTNAME_TAKEN', `${other.hostname} is already used by another server.`, {
            hostname: other.hostname,
          });
      }
      await tx.delete(serverHostnames).where(eq(serverHostnames.serverId, serverId));
      if (hostnames.length > 0)
        await tx
          .insert(serverHostnames)
          .values(hostnames.map((hostname) => ({ hostname, serverId, tenantId })));
      return [...hostnames].sort();
    });
  }

  /** Every server with what routing needs (ids limited to `only` when given). */
  async routeRows(only?: string[]): Promise<RouteRow[]> {
    return this.db.system(async (tx) => {
      const rows = await tx
        .select({
          serverId: servers.id,
          tenantId: servers.tenantId,
          name: servers.name,
          status: servers.status,
          port: servers.port,
          region: servers.region,
          slug: tenantSlugs.slug,
          settings: serverGateway,
        })
        .from(servers)
        .leftJoin(tenantSlugs, eq(tenantSlugs.tenantId, servers.tenantId))
        .leftJoin(serverGateway, eq(serverGateway.serverId, servers.id))
        .where(
          only
            ? inArray(servers.id, only.length > 0 ? only : ['00000000-0000-0000-0000-000000000000'])
            : undefined,
        );
      const names = await tx
        .select()
        .from(serverHostnames)
        .where(
          only
            ? inArray(
                serverHostnames.serverId,
                only.length > 0 ? only : ['00000000-0000-0000-0000-000000000000'],
              )
            : undefined,
        );
      const byServer = new Map<string, string[]>();
      for (const n of names) byServer.set(n.serverId, [...(byServer.get(n.serverId) ?? []), n.hostname]);
      return rows.map((r) => ({
        serverId: r.serverId,
        tenantId: r.tenantId,
        name: r.name,
        status: r.status,
        port: r.port,
        region: r.region,
        slug: r.slug,
        settings: r.settings ?? defaultSettings(r.serverId, r.tenantId),
        hostnames: byServer.get(r.serverId) ?? [],
      }));
    });
  }

  async recordWake(wake: typeof serverWakes.$inferInsert): Promise<void> {
    await this.db.system((tx) => tx.insert(serverWakes).values(wake));
  }

  async wakes(serverId: string, limit: number): Promise<WakeRow[]> {
    return this.db.system((tx) =>
      tx
        .select()
        .from(serverWakes)
        .where(eq(serverWakes.serverId, serverId))
        .orderBy(desc(serverWakes.at))
        .limit(limit),
    );
  }

  /** Milliseconds spent asleep by wakes since `since` (the current sleep is added by the caller). */
  async asleepSince(serverId: string, since: Date): Promise<number> {
    const [row] = await this.db.system((tx) =>
      tx
        .select({ total: sql<string | null>`sum(${serverWakes.asleepMs})` })
        .from(serverWakes)
        .where(and(eq(serverWakes.serverId, serverId), gte(serverWakes.at, since))),
    );
    return Number(row?.total ?? 0);
  }
}
