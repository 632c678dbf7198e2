import { and, desc, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { insertAsJson } from '@minefleet/db/bulk-insert';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { serverConfigRevisions, servers, skus } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { assertServerName } from '@minefleet/domain/names';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import {
  isPropertyKey,
  reasonOf,
  liveCommand,
  validateProperty,
  type ServerProperties,
} from '@minefleet/domain/server-properties';
import { scopeOf, type Actor } from './actor.js';
import type { Logger } from './logger.js';
import { offsetOf, toPage, type Page, type PageRequest } from './pagination.js';
import type { ServerRecord } from './server-record.js';
import { actOn, assertServerId, selectServer } from './server-access.js';

export type RevisionRecord = typeof serverConfigRevisions.$inferSelect;

/** The configuration a revision captures. */
export interface ConfigSnapshot {
  name: string;
  max_players: number;
  server_properties: ServerProperties;
}

export interface ConfigPatch {
  name?: string | undefined;
  maxPlayers?: number | undefined;
  /** Keys to set; a `null` value resets the key to its default. */
  serverProperties?: Record<string, unknown> | undefined;
}

export interface ConfigChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface ConfigResult {
  server: ServerRecord;
  revision: number;
  applied: 'live' | 'on_restart';
  changes: ConfigChange[];
}

export function snapshotOf(
  server: Pick<ServerRecord, 'name' | 'maxPlayers' | 'serverProperties'>,
): ConfigSnapshot {
  return { name: server.name, max_players: server.maxPlayers, server_properties: server.serverProperties };
}

function diff(before: ConfigSnapshot, after: ConfigSnapshot): ConfigChange[] {
  const changes: ConfigChange[] = [];
  if (before.name !== after.name) changes.push({ field: 'name', from: before.name, to: after.name });
  if (before.max_players !== after.max_players)
    changes.push({ field: 'max_players', from: before.max_players, to: after.max_players });
  const keys = new Set([...Object.keys(before.server_properties), ...Object.keys(after.server_properties)]);
  for (const key of [...keys].sort()) {
    const from = before.server_properties[key] ?? null;
    const to = after.server_properties[key] ?? null;
    if (from !== to) changes.push({ field: `server_properties.${key}`, from, to });
  }
  return changes;
}

/**
 * Writes the first revision of new servers (inside their create transaction; their records say
 * revision 1 already).
 */
export async function recordInitialRevisions(
  tx: Tx,
  created: ServerRecord[],
  actorUserId: string,
): Promise<void> {
  if (created.length === 0) return;
  await insertAsJson(
    tx,
    serverConfigRevisions,
    created.map((server) => ({
      tenantId: server.tenantId,
      serverId: server.id,
      revision: 1,
      snapshot: snapshotOf(server) as unknown as Record<string, unknown>,
      changes: [],
      actorUserId,
    })),
  );
}

/**
 * The configuration manager: every change of a server's settings is validated against the property
 * catalogue, recorded as a numbered revision (who, when, what changed), applied live where the running
 * server allows it (the catalogue's console command), and otherwise on the next start.
 */
export class ConfigManager {
  constructor(private readonly deps: { db: Database; runtime: RuntimeDriver; logger: Logger }) {}

  async update(actor: Actor, serverId: string, patch: ConfigPatch): Promise<ConfigResult> {
    return this.change(actor, serverId, (current, maxPlayersLimit) => {
      const next: ConfigSnapshot = {
        name: current.name,
        max_players: current.max_players,
        server_properties: { ...current.server_properties },
      };
      if (patch.name !== undefined) {
        assertServerName(patch.name);
        next.name = patch.name;
      }
      if (patch.maxPlayers !== undefined) {
        if (
          !Number.isInteger(patch.maxPlayers) ||
          patch.maxPlayers < 1 ||
          patch.maxPlayers > maxPlayersLimit
        ) {
          throw new DomainError(
            'VALIDATION_FAILED',
            `max_players must be from 1 to ${maxPlayersLimit} on this plan.`,
            {
              field: 'max_players',
            },
          );
        }
        next.max_players = patch.maxPlayers;
      }
      const problems: { property: string; reason: string }[] = [];
      for (const [key, value] of Object.entries(patch.serverProperties ?? {})) {
        if (value === null && isPropertyKey(key)) {
          delete next.server_properties[key];
          continue;
        }
        try {
          next.server_properties[key] = validateProperty(key, value);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          problems.push({ property: key, reason: reasonOf(error) });
        }
      }
      if (problems.length > 0) {
        throw new DomainError(
          'INVALID_PROPERTY',
          problems.map((p) => `Property "${p.property}": ${p.reason}`).join(' '),
          {
            property: problems[0]!.property,
            problems,
          },
        );
      }
      return { next, rollbackOf: null };
    });
  }

  async rollback(actor: Actor, serverId: string, revision: number): Promise<ConfigResult> {
    return this.change(actor, serverId, async (_current, _limit, tx) => {
      const [target] = await tx
        .select()
        .from(serverConfigRevisions)
        .where(
          and(eq(serverConfigRevisions.serverId, serverId), eq(serverConfigRevisions.revision, revision)),
        );
      if (!target) throw new DomainError('REVISION_NOT_FOUND', `No revision ${revision}.`, { revision });
      return { next: target.snapshot as unknown as ConfigSnapshot, rollbackOf: revision };
    });
  }

  private async change(
    actor: Actor,
    serverId: string,
    compute: (
      current: ConfigSnapshot,
      maxPlayersLimit: number,
      tx: Tx,
    ) =>
      | { next: ConfigSnapshot; rollbackOf: number | null }
      | Promise<{ next: ConfigSnapshot; rollbackOf: number | null }>,
  ): Promise<ConfigResult> {
    assertServerId(serverId);
    let result: { server: ServerRecord; revision: number; changes: ConfigChange[] };
    try {
      result = await this.deps.db.tenant(scopeOf(actor), async (tx) => {
        // The row lock orders concurrent changes, so revision numbers never collide.
        const server = actOn(
          await selectServer(tx, serverId, { forUpdate: true }),
          actor,
          serverId,
          'settings.update',
          'configure',
        );
        const [plan] = await tx
          .select({ maxPlayers: skus.maxPlayers })
          .from(skus)
          .where(eq(skus.id, server.skuId));
        const current = snapshotOf(server);
        const { next, rollbackOf } = await compute(current, plan?.maxPlayers ?? server.maxPlayers, tx);
        const changes = diff(current, next);
        if (changes.length === 0) return { server, revision: server.configRevision, changes };
        const revision = server.configRevision + 1;
        await tx.insert(serverConfigRevisions).values({
          tenantId: server.tenantId,
          serverId,
          revision,
          snapshot: next as unknown as Record<string, unknown>,
          changes,
          actorUserId: actor.userId,
          rollbackOf,
        });
        const [updated] = await tx
          .update(servers)
          .set({
            name: next.name,
            maxPlayers: next.max_players,
            serverProperties: next.server_properties,
            configRevision: revision,
            updatedAt: sql`now()`,
          })
          .where(eq(servers.id, serverId))
          .returning();
        return { server: updated!, revision, changes };
      });
    } catch (error) {
      if (isUniqueViolation(error))
        throw new DomainError('SERVER_NAME_TAKEN', 'Another server has this name.');
      throw error;
    }
    const applied = await this.apply(result.server, result.changes);
    return { ...result, applied };
  }

  /** Sends the live commands of a running server; says whether everything took effect now. */
  private async apply(server: ServerRecord, changes: ConfigChange[]): Promise<'live' | 'on_restart'> {
    if (changes.length === 0) return 'live';
    const running = server.status === 'running';
    let allLive = true;
    for (const change of changes) {
      if (change.field === 'name') continue;
      if (!change.field.startsWith('server_properties.') || change.to === null) {
        allLive = false;
        continue;
      }
      const command = liveCommand(
        change.field.slice('server_properties.'.length),
        change.to as string | number | boolean,
      );
      if (!command) {
        allLive = false;
        continue;
      }
      if (!running) continue;
      try {
        await this.deps.runtime.sendCommand(server.id, command);
      } catch (error) {
        this.deps.logger.warn({ err: error, serverId: server.id, command }, 'live setting not applied');
        allLive = false;
      }
    }
    return running && allLive ? 'live' : 'on_restart';
  }

  async revisions(actor: Actor, serverId: string, page: PageRequest): Promise<Page<RevisionRecord>> {
    assertServerId(serverId);
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      actOn(await selectServer(tx, serverId), actor, serverId);
      const where = eq(serverConfigRevisions.serverId, serverId);
      const rows = await tx
        .select({ item: serverConfigRevisions, total: sql<number>`count(*) over ()` })
        .from(serverConfigRevisions)
        .where(where)
        .orderBy(desc(serverConfigRevisions.revision))
        .limit(page.perPage)
        .offset(offsetOf(page));
      return toPage(rows, async () =>
        Number(
          (
            await tx
              .select({ n: sql<number>`count(*)` })
              .from(serverConfigRevisions)
              .where(where)
          )[0]?.n ?? 0,
        ),
      );
    });
  }
}
