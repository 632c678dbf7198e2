import { and, desc, eq, ilike, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { mapRows } from '@minefleet/db/one-trip';
import { SERVER_LIST_VERSION, serverListVersionOf } from '@minefleet/db/server-changes';
import { servers, tenants } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import { isDistribution, type Distribution } from '@minefleet/domain/distributions';
import { DEFAULT_REGION, assertRegion, assertServerName } from '@minefleet/domain/names';
import type { DistributionInfo } from '@minefleet/domain/ports/runtime-driver';
import type { ServerStatus } from '@minefleet/domain/server-state';
import { validateProperties, type ServerProperties } from '@minefleet/domain/server-properties';
import { requirePermission, scopeOf, type Actor } from './actor.js';
import type { PortAllocator } from './port-allocator.js';
import type { ServerRecord } from './server-record.js';
import { recordInitialRevision } from './config-manager.js';
import { offsetOf, type Page, type PageRequest } from './pagination.js';
import type { ServerCounts } from './server-counts.js';
import type { SkuService } from './skus.js';
import { actOn, assertServerId } from './server-access.js';

export type { ServerRecord } from './server-record.js';

export interface CreateServerInput {
  name: string;
  skuId: string;
  minecraftVersion: string;
  distribution?: string | undefined;
  serverProperties?: Record<string, unknown> | undefined;
  maxPlayers?: number | undefined;
  start?: boolean | undefined;
  /** Where it runs (docs/multi-region.md); the installation's region when absent. */
  region?: string | undefined;
}

export interface ServerListQuery extends PageRequest {
  status?: ServerStatus[] | undefined;
  q?: string | undefined;
  /**
   * Also read the tenant's server list version (PostgreSQL, `@minefleet/db/server-changes`) in the same
   * round trip, before the page: the page shows at least every write up to that version.
   */
  withVersion?: boolean | undefined;
}

/** Tenant limits; a null column on the tenant row means the platform default. */
export interface QuotaDefaults {
  maxServers: number;
  maxMemoryMb: number;
}

export interface QuotaUsage {
  servers: { used: number; limit: number };
  memory_mb: { used: number; limit: number };
}

/** What happens after a record changes: the lifecycle service deploys and removes real servers. */
export interface ServerRuntimeHooks {
  /** A server row was created in `deploying`: prepare its workspace (in the background). */
  created(server: ServerRecord): void;
}

/** The distributions and versions the runtime can run (cached: asking it is not free). */
export type CatalogueSource = () => Promise<DistributionInfo[]>;

/** Server records: create (validation, quotas), list, get. Power and config live elsewhere. */
export class ServerService {
  constructor(
    private readonly deps: {
      db: Database;
      clock: Clock;
      skus: SkuService;
      ports: PortAllocator;
      catalogue: CatalogueSource;
      quotas: QuotaDefaults;
      hooks: ServerRuntimeHooks;
      /** The region of servers created without one (MINEFLEET_REGION). */
      region?: string | undefined;
      /** Remembered totals for the unfiltered list; only where this process makes every write (server-counts.ts). */
      counts?: ServerCounts | undefined;
    },
  ) {}

  /** A write that adds or removes servers of a tenant (the remembered total is dropped around it). */
  private changing<T>(tenantId: string, write: () => Promise<T>): Promise<T> {
    return this.deps.counts ? this.deps.counts.changing(tenantId, write) : write();
  }

  async create(actor: Actor, input: CreateServerInput): Promise<ServerRecord> {
    requirePermission(actor, 'server.create');
    assertServerName(input.name);
    const region = input.region ?? this.deps.region ?? DEFAULT_REGION;
    assertRegion(region);
    const distribution = input.distribution ?? 'flying-squid';
    if (!isDistribution(distribution)) {
      throw new DomainError('UNSUPPORTED_DISTRIBUTION', `Unknown distribution "${distribution}".`, {
        distribution,
      });
    }
    await this.assertVersion(distribution, input.minecraftVersion);
    const userProperties = validateProperties(input.serverProperties ?? {});
    const { db } = this.deps;

    let created: ServerRecord;
    try {
      created = await this.changing(actor.tenantId, () =>
        db.tenant(scopeOf(actor), async (tx) => {
          const sku = await this.deps.skus.find(tx, input.skuId);
          if (!sku || !sku.available)
            throw new DomainError('INVALID_SKU', `No available plan "${input.skuId}".`, {
              sku_id: input.skuId,
            });
          const maxPlayers = input.maxPlayers ?? sku.maxPlayers;
          if (!Number.isInteger(maxPlayers) || maxPlayers < 1 || maxPlayers > sku.maxPlayers) {
            throw new DomainError(
              'VALIDATION_FAILED',
              `max_players must be from 1 to ${sku.maxPlayers} on the ${sku.name} plan.`,
              {
                field: 'max_players',
              },
            );
          }
          await this.assertQuota(tx, actor.tenantId, sku.memoryMb);
          const properties: ServerProperties = {
            ...validateProperties(sku.defaultProperties),
            ...userProperties,
          };
          const [row] = await tx
            .insert(servers)
            .values({
              tenantId: actor.tenantId,
              name: input.name,
              skuId: sku.id,
              distribution,
              minecraftVersion: input.minecraftVersion,
              status: 'deploying',
              desiredState: input.start ? 'running' : 'stopped',
              cpuMillicores: sku.cpuMillicores,
              memoryMb: sku.memoryMb,
              storageMb: sku.storageMb,
              maxPlayers,
              serverProperties: properties,
              region,
            })
            .returning();
          await recordInitialRevision(tx, row!, actor.userId);
          return { ...row!, configRevision: 1 };
        }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('SERVER_NAME_TAKEN', `A server named "${input.name}" already exists.`, {
          name: input.name,
        });
      }
      throw error;
    }
    // A game port is taken when the server starts and freed when it stops (docs/runtime.md): one
    // created to start takes it now, so the answer carries its address and a full host says so at once.
    if (input.start) {
      try {
        const port = await this.deps.ports.allocate({
          id: created.id,
          tenantId: created.tenantId,
          memoryMb: created.memoryMb,
          lastPort: null,
        });
        created = { ...created, port, lastPort: port };
      } catch (error) {
        await this.changing(created.tenantId, () =>
          db.system((tx) => tx.delete(servers).where(eq(servers.id, created.id))),
        );
        throw error;
      }
    }
    this.deps.hooks.created(created);
    return created;
  }

  private async assertVersion(distribution: Distribution, version: string): Promise<void> {
    const catalogue = await this.deps.catalogue();
    const entry = catalogue.find((c) => c.distribution === distribution);
    if (!entry) {
      throw new DomainError(
        'UNSUPPORTED_DISTRIBUTION',
        `The ${distribution} distribution is not offered here.`,
        { distribution },
      );
    }
    if (!entry.versions.includes(version)) {
      throw new DomainError('UNSUPPORTED_VERSION', `${distribution} does not support Minecraft ${version}.`, {
        distribution,
        minecraft_version: version,
        supported: entry.versions,
      });
    }
  }

  /** Locks the tenant row so two concurrent creates cannot both slip under the quota. */
  private async assertQuota(tx: Tx, tenantId: string, memoryMb: number): Promise<void> {
    const usage = await this.usageIn(tx, tenantId, true);
    if (usage.servers.used + 1 > usage.servers.limit) {
      throw new DomainError('QUOTA_EXCEEDED', `Your plan allows ${usage.servers.limit} servers.`, {
        quota: 'servers',
        used: usage.servers.used,
        limit: usage.servers.limit,
      });
    }
    if (usage.memory_mb.used + memoryMb > usage.memory_mb.limit) {
      throw new DomainError(
        'QUOTA_EXCEEDED',
        `Your plan allows ${usage.memory_mb.limit} MB of memory in all.`,
        {
          quota: 'memory_mb',
          used: usage.memory_mb.used,
          requested: memoryMb,
          limit: usage.memory_mb.limit,
        },
      );
    }
  }

  private async usageIn(tx: Tx, tenantId: string, lock: boolean): Promise<QuotaUsage> {
    const tenantQuery = tx.select().from(tenants).where(eq(tenants.id, tenantId));
    const [tenant] = lock ? await tenantQuery.for('update') : await tenantQuery;
    const [used] = await tx
      .select({ count: sql<number>`count(*)`, memory: sql<number>`coalesce(sum(${servers.memoryMb}), 0)` })
      .from(servers);
    return {
      servers: { used: Number(used?.count ?? 0), limit: tenant?.maxServers ?? this.deps.quotas.maxServers },
      memory_mb: {
        used: Number(used?.memory ?? 0),
        limit: tenant?.maxMemoryMb ?? this.deps.quotas.maxMemoryMb,
      },
    };
  }

  async usage(actor: Actor): Promise<QuotaUsage> {
    return this.deps.db.tenant(scopeOf(actor), (tx) => this.usageIn(tx, actor.tenantId, false));
  }

  /**
   * The tenant's server list version (installed on PostgreSQL only: `@minefleet/db/server-changes`),
   * in one round trip. A page read with `withVersion` at this same version is still the current page.
   */
  async listVersion(actor: Actor): Promise<string> {
    const [rows] = await this.deps.db.tenantRead(scopeOf(actor), [SERVER_LIST_VERSION]);
    return serverListVersionOf(rows);
  }

  async list(actor: Actor, query: ServerListQuery): Promise<Page<ServerRecord> & { version?: string }> {
    const filters: SQL[] = [];
    if (query.status && query.status.length > 0) filters.push(inArray(servers.status, query.status));
    if (query.q) filters.push(ilike(servers.name, `%${query.q.replace(/[%_\\]/g, '\\$&')}%`));
    const where = filters.length > 0 ? and(...filters) : undefined;
    // One round trip: the page comes straight off the (tenant, created_at, id) index, with the count.
    const { db } = this.deps;
    const page = db.drizzle
      .select()
      .from(servers)
      .where(where)
      .orderBy(desc(servers.createdAt), desc(servers.id))
      .limit(query.perPage)
      .offset(offsetOf(query));
    // Without a filter the total may be remembered (server-counts.ts): counting every row of a large
    // tenant was most of a list request's database work on the embedded database.
    const counts = where ? undefined : this.deps.counts;
    const known = counts?.get(actor.tenantId);
    if (known !== undefined) {
      const [rows] = await db.tenantRead(scopeOf(actor), [page]);
      return { items: mapRows(servers, rows ?? []), total: known };
    }
    const generation = counts?.version();
    const count = db.drizzle
      .select({ n: sql<number>`count(*)`.as('n') })
      .from(servers)
      .where(where);
    if (query.withVersion) {
      const [versions, rows, counted] = await db.tenantRead(scopeOf(actor), [
        SERVER_LIST_VERSION,
        page,
        count,
      ]);
      const total = Number(counted?.[0]?.n ?? 0);
      return { items: mapRows(servers, rows ?? []), total, version: serverListVersionOf(versions) };
    }
    const [rows, counted] = await db.tenantRead(scopeOf(actor), [page, count]);
    const total = Number(counted?.[0]?.n ?? 0);
    if (counts && generation !== undefined) counts.remember(actor.tenantId, total, generation);
    return { items: mapRows(servers, rows ?? []), total };
  }

  /** The server, or SERVER_NOT_FOUND (also for another tenant's server: row-level security hides it). */
  async get(actor: Actor, id: string): Promise<ServerRecord> {
    assertServerId(id);
    const [rows] = await this.deps.db.tenantRead(scopeOf(actor), [
      this.deps.db.drizzle.select().from(servers).where(eq(servers.id, id)),
    ]);
    return actOn(mapRows(servers, rows ?? [])[0], actor, id);
  }
}
