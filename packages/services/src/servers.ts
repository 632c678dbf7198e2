import { and, desc, eq, ilike, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { mapRows } from '@minefleet/db/one-trip';
import { servers, tenants } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import { isDistribution, type Distribution } from '@minefleet/domain/distributions';
import { assertServerName, isUuid } from '@minefleet/domain/names';
import type { DistributionInfo } from '@minefleet/domain/ports/runtime-driver';
import type { ServerStatus } from '@minefleet/domain/server-state';
import { validateProperties, type ServerProperties } from '@minefleet/domain/server-properties';
import { requireRole, scopeOf, type Actor } from './actor.js';
import type { ServerRecord } from './server-record.js';
import { recordInitialRevision } from './config-manager.js';
import { offsetOf, type Page, type PageRequest } from './pagination.js';
import type { PortAllocator } from './port-allocator.js';
import type { SkuService } from './skus.js';

export type { ServerRecord } from './server-record.js';

export interface CreateServerInput {
  name: string;
  skuId: string;
  minecraftVersion: string;
  distribution?: string | undefined;
  serverProperties?: Record<string, unknown> | undefined;
  maxPlayers?: number | undefined;
  start?: boolean | undefined;
}

export interface ServerListQuery extends PageRequest {
  status?: ServerStatus[] | undefined;
  q?: string | undefined;
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

/** Server records: create (validation, quotas, port), list, get. Power and config live elsewhere. */
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
    },
  ) {}

  async create(actor: Actor, input: CreateServerInput): Promise<ServerRecord> {
    requireRole(actor, 'admin');
    assertServerName(input.name);
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
      created = await db.tenant(scopeOf(actor), async (tx) => {
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
          })
          .returning();
        await recordInitialRevision(tx, row!, actor.userId);
        return { ...row!, configRevision: 1 };
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('SERVER_NAME_TAKEN', `A server named "${input.name}" already exists.`, {
          name: input.name,
        });
      }
      throw error;
    }
    // The port is platform-wide state (port_allocations is not tenant-owned), so it is taken separately.
    try {
      const port = await this.deps.ports.allocate(created.id);
      created = await db.system(async (tx) => {
        const [row] = await tx.update(servers).set({ port }).where(eq(servers.id, created.id)).returning();
        return row!;
      });
    } catch (error) {
      await db.system((tx) => tx.delete(servers).where(eq(servers.id, created.id)));
      throw error;
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

  async list(actor: Actor, query: ServerListQuery): Promise<Page<ServerRecord>> {
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
    const count = db.drizzle
      .select({ n: sql<number>`count(*)`.as('n') })
      .from(servers)
      .where(where);
    const [rows, counted] = await db.tenantRead(scopeOf(actor), [page, count]);
    return { items: mapRows(servers, rows ?? []), total: Number(counted?.[0]?.n ?? 0) };
  }

  /** The server, or SERVER_NOT_FOUND (also for another tenant's server: row-level security hides it). */
  async get(actor: Actor, id: string): Promise<ServerRecord> {
    if (!isUuid(id)) throw new DomainError('INVALID_ID', 'The server id is not a UUID.', { id });
    const [rows] = await this.deps.db.tenantRead(scopeOf(actor), [
      this.deps.db.drizzle.select().from(servers).where(eq(servers.id, id)),
    ]);
    const row = mapRows(servers, rows ?? [])[0];
    if (!row) throw new DomainError('SERVER_NOT_FOUND', 'No such server.', { id });
    return row;
  }
}
