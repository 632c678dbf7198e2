import { and, desc, eq, ilike, inArray, sql, type SQL } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { insertAsJson } from '@minefleet/db/bulk-insert';
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
import { recordInitialRevisions } from './config-manager.js';
import { Coalescer, outcomeOf, type Outcome } from './coalesce.js';
import { offsetOf, type Page, type PageRequest } from './pagination.js';
import type { ServerCounts } from './server-counts.js';
import type { SkuRecord, SkuService } from './skus.js';
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

/** A create that passed its checks outside the database, waiting for its batch (`insertRecords`). */
interface PendingCreate {
  actor: Actor;
  input: CreateServerInput;
  region: string;
  distribution: Distribution;
  userProperties: ServerProperties;
}

/** Server records: create (validation, quotas), list, get. Power and config live elsewhere. */
export class ServerService {
  /** Creates of one tenant and user that arrive together, written in one transaction (coalesce.ts). */
  private readonly creates = new Coalescer<PendingCreate, ServerRecord>((_key, items) =>
    this.insertRecords(items),
  );

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
    let created = await this.changing(actor.tenantId, () =>
      this.creates.submit(`${actor.tenantId}:${actor.userId}`, {
        actor,
        input,
        region,
        distribution,
        userProperties,
      }),
    );
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
          this.deps.db.system((tx) => tx.delete(servers).where(eq(servers.id, created.id))),
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

  /**
   * Writes the records of creates that arrived together (one tenant, one user), in one transaction:
   * the tenant row locked once (so concurrent creates cannot both slip under the quota), its usage
   * counted once, and each create checked in arrival order as if alone (plan, players, quota, name),
   * counting the ones before it. A create that fails a check gets its own error; the others are
   * written. A batch the database refuses as a whole (a name taken by another replica meanwhile) is
   * written again one create at a time, each with its own answer.
   */
  private async insertRecords(items: PendingCreate[]): Promise<Outcome<ServerRecord>[]> {
    if (items.length === 1) return [await outcomeOf(() => this.insertAlone(items[0]!))];
    try {
      return await this.insertTogether(items);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      return Promise.all(items.map((item) => outcomeOf(() => this.insertAlone(item))));
    }
  }

  private async insertAlone(item: PendingCreate): Promise<ServerRecord> {
    try {
      const [outcome] = await this.insertTogether([item]);
      if (!outcome!.ok) throw outcome!.error;
      return outcome!.value;
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken(item.input.name);
      throw error;
    }
  }

  private insertTogether(items: PendingCreate[]): Promise<Outcome<ServerRecord>[]> {
    const { actor } = items[0]!;
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const plans = new Map<string, SkuRecord | undefined>();
      for (const { input } of items)
        if (!plans.has(input.skuId)) plans.set(input.skuId, await this.deps.skus.find(tx, input.skuId));
      const usage = await this.usageIn(tx, actor.tenantId, true);
      // Alone, the unique key answers for the name; together, one read finds the names already taken.
      const names = new Set<string>();
      if (items.length > 1) {
        const taken = await tx
          .select({ name: servers.name })
          .from(servers)
          .where(inArray(servers.name, [...new Set(items.map((i) => i.input.name))]));
        for (const { name } of taken) names.add(name);
      }
      const outcomes: Outcome<ServerRecord>[] = [];
      const rows: { index: number; values: typeof servers.$inferInsert }[] = [];
      items.forEach((item, index) => {
        try {
          rows.push({ index, values: this.recordOf(item, plans.get(item.input.skuId), usage, names) });
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          outcomes[index] = { ok: false, error };
        }
      });
      if (rows.length > 0) {
        const ids = await insertAsJson(
          tx,
          servers,
          rows.map((r) => r.values),
        );
        const inserted = await tx.select().from(servers).where(inArray(servers.id, ids));
        await recordInitialRevisions(tx, inserted, actor.userId);
        const byName = new Map(inserted.map((row) => [row.name, row]));
        for (const { index, values } of rows) outcomes[index] = { ok: true, value: byName.get(values.name)! };
      }
      return outcomes;
    });
  }

  /** One create's checks, in order, against the usage so far; counts it in and returns its row. */
  private recordOf(
    { actor, input, region, distribution, userProperties }: PendingCreate,
    sku: SkuRecord | undefined,
    usage: QuotaUsage,
    names: Set<string>,
  ): typeof servers.$inferInsert {
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
    assertQuota(usage, sku.memoryMb);
    if (names.has(input.name)) throw nameTaken(input.name);
    names.add(input.name);
    usage.servers.used += 1;
    usage.memory_mb.used += sku.memoryMb;
    const properties: ServerProperties = {
      ...validateProperties(sku.defaultProperties),
      ...userProperties,
    };
    return {
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
      configRevision: 1,
    };
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

function nameTaken(name: string): DomainError {
  return new DomainError('SERVER_NAME_TAKEN', `A server named "${name}" already exists.`, { name });
}

/** Refuses a create that would take the tenant over its server count or memory. */
function assertQuota(usage: QuotaUsage, memoryMb: number): void {
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
