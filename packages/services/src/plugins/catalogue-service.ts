import { and, asc, eq, ilike, inArray, or, type SQL } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { pluginVersions, plugins } from '@minefleet/db/schema';
import type { Distribution } from '@minefleet/domain/distributions';
import type { PluginApproval } from '@minefleet/domain/enums';
import { DomainError } from '@minefleet/domain/errors';
import {
  compareVersionsDescending,
  supportsMinecraftVersion,
} from '@minefleet/domain/plugin-resolver-versions';
import { scopeOf, type Actor } from '../actor.js';
import { offsetOf, type Page, type PageRequest } from '../pagination.js';
import type { PlatformAdmins } from '../platform-admins.js';
import type { PluginRecord, PluginVersionRecord } from './catalogue-records.js';
import type { PluginCatalogueSync, SourceSyncReport, SyncRequest } from './catalogue-sync.js';

// The row shape its answers carry, for callers such as the API's serializers.
export type { PluginVersionRecord } from './catalogue-records.js';

export interface CatalogueQuery extends PageRequest {
  /** Part of the id, name or description (case-insensitive). */
  q?: string | undefined;
  category?: string | undefined;
  minecraftVersion?: string | undefined;
  distribution?: Distribution | undefined;
  /** Which versions count: `approved` (installable, the default), `pending` (the review queue), … */
  approval?: PluginApproval | 'any' | undefined;
}

/** A plugin in a search result: the versions that matched the filters summarised. */
export interface CatalogueEntry {
  plugin: PluginRecord;
  /** The newest version that matched the filters. */
  latestVersion: string;
  minecraftVersions: string[];
  distributions: string[];
  versionCount: number;
}

export interface PluginDetails {
  plugin: PluginRecord;
  /** Newest first. */
  versions: PluginVersionRecord[];
}

/**
 * The plugin catalogue as users see it: search and details for every member, sync and approval for
 * platform administrators. Catalogue tables are platform-wide (readable by the application role, written
 * only by system transactions).
 */
export class PluginCatalogueService {
  constructor(private readonly deps: { db: Database; admins: PlatformAdmins; sync: PluginCatalogueSync }) {}

  async search(actor: Actor, query: CatalogueQuery): Promise<Page<CatalogueEntry>> {
    const filters: SQL[] = [];
    if (query.q) {
      const pattern = `%${query.q.replace(/[%_\\]/g, '\\$&')}%`;
      filters.push(
        or(ilike(plugins.name, pattern), ilike(plugins.description, pattern), ilike(plugins.id, pattern))!,
      );
    }
    if (query.category) filters.push(eq(plugins.category, query.category));
    const approval = query.approval ?? 'approved';

    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const candidates = await tx
        .select()
        .from(plugins)
        .where(filters.length > 0 ? and(...filters) : undefined)
        .orderBy(asc(plugins.name), asc(plugins.id));
      if (candidates.length === 0) return { items: [], total: 0 };
      // Minecraft versions are matched in code (wildcards and spans, the resolver's rules), so the
      // version filter runs over the candidates' versions here; the catalogue is bounded by the sync.
      const versions = await tx
        .select({
          pluginId: pluginVersions.pluginId,
          version: pluginVersions.version,
          minecraftVersions: pluginVersions.minecraftVersions,
          distributions: pluginVersions.distributions,
          approval: pluginVersions.approval,
        })
        .from(pluginVersions)
        .where(
          and(
            inArray(
              pluginVersions.pluginId,
              candidates.map((c) => c.id),
            ),
            approval === 'any' ? undefined : eq(pluginVersions.approval, approval),
          ),
        );
      const byPlugin = new Map<string, typeof versions>();
      for (const v of versions) {
        if (query.distribution && !v.distributions.includes(query.distribution)) continue;
        if (query.minecraftVersion && !supportsMinecraftVersion(v.minecraftVersions, query.minecraftVersion))
          continue;
        byPlugin.set(v.pluginId, [...(byPlugin.get(v.pluginId) ?? []), v]);
      }
      const entries: CatalogueEntry[] = [];
      for (const plugin of candidates) {
        const matched = byPlugin.get(plugin.id);
        if (!matched) continue;
        matched.sort((a, b) => compareVersionsDescending(a.version, b.version));
        entries.push({
          plugin,
          latestVersion: matched[0]!.version,
          minecraftVersions: [...new Set(matched.flatMap((v) => v.minecraftVersions))],
          distributions: [...new Set(matched.flatMap((v) => v.distributions))].sort(),
          versionCount: matched.length,
        });
      }
      const start = offsetOf(query);
      return { items: entries.slice(start, start + query.perPage), total: entries.length };
    });
  }

  async get(actor: Actor, pluginId: string): Promise<PluginDetails> {
    return this.deps.db.tenant(scopeOf(actor), async (tx) => {
      const [plugin] = await tx.select().from(plugins).where(eq(plugins.id, pluginId));
      if (!plugin)
        throw new DomainError('PLUGIN_NOT_FOUND', `No plugin ${pluginId}.`, { plugin_id: pluginId });
      const versions = await tx.select().from(pluginVersions).where(eq(pluginVersions.pluginId, pluginId));
      versions.sort((a, b) => compareVersionsDescending(a.version, b.version));
      return { plugin, versions };
    });
  }

  /** Platform administrators: approve, reject or send back to review one version of a plugin. */
  async setApproval(
    actor: Actor,
    pluginId: string,
    version: string,
    approval: PluginApproval,
  ): Promise<PluginVersionRecord> {
    await this.deps.admins.require(actor);
    const [row] = await this.deps.db.system((tx) =>
      tx
        .update(pluginVersions)
        .set({ approval })
        .where(and(eq(pluginVersions.pluginId, pluginId), eq(pluginVersions.version, version)))
        .returning(),
    );
    if (!row) {
      throw new DomainError('PLUGIN_NOT_FOUND', `No version ${version} of ${pluginId}.`, {
        plugin_id: pluginId,
        version,
      });
    }
    return row;
  }

  /** Platform administrators: sync the catalogue from the sources now. */
  async sync(actor: Actor, request: SyncRequest): Promise<SourceSyncReport[]> {
    await this.deps.admins.require(actor);
    return this.deps.sync.sync(request);
  }
}
