/**
 * Fills the catalogue (`plugins`, `plugin_versions`) from the plugin sources: on a schedule and when
 * a platform administrator asks.
 *
 * Approval rules (only approved versions install):
 * - a version new to the catalogue is stored `approved` when its source is trusted (only the local
 *   catalogue shipped with Minefleet) and `pending` otherwise;
 * - a known version keeps the administrator's decision, unless its file changed at the source (hash,
 *   size or download URL): a version re-uploaded under the same number is new content, so an untrusted
 *   source's version goes back to `pending` and must be reviewed again;
 * - versions that vanish from a source stay (servers may have them installed); they can be rejected.
 */
import { and, eq } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { pluginVersions, plugins } from '@minefleet/db/schema';
import { DomainError, isDomainError } from '@minefleet/domain/errors';
import type { PluginSource, SourcePlugin } from '@minefleet/domain/ports/plugin-source';
import type { Logger } from '../logger.js';
import type { PluginVersionRecord } from './catalogue-records.js';

export interface SyncRequest {
  /** Source ids to sync (`local`, `modrinth`, `hangar`); all configured sources when absent. */
  sources?: readonly string[] | undefined;
  /** Sync exactly these plugins (`modrinth:<project id or slug>`, `hangar:<slug>`, `local:<slug>`). */
  pluginIds?: readonly string[] | undefined;
  /** Text to search each source for (instead of its most popular plugins). */
  q?: string | undefined;
  /** Most plugins read per source from its search (the plugins already in the catalogue come on top). */
  limit?: number | undefined;
}

export interface SyncError {
  plugin_id?: string;
  code: string;
  message: string;
}

export interface SourceSyncReport {
  source: string;
  plugins: number;
  versions_added: number;
  versions_updated: number;
  /** Versions whose file changed at the source and now wait for a new review. */
  versions_reset_to_pending: number;
  errors: SyncError[];
}

const MAX_ERRORS_REPORTED = 10;
const SEARCH_PAGE = 100;

export class PluginCatalogueSync {
  private readonly sources: ReadonlyMap<string, PluginSource>;
  /** One sync per source at a time: two at once would race on the same rows. */
  private readonly running = new Map<string, Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      db: Database;
      sources: readonly PluginSource[];
      logger: Logger;
      /** Plugins read from each source's search on a full sync. */
      searchLimit: number;
    },
  ) {
    this.sources = new Map(deps.sources.map((s) => [s.id, s]));
  }

  get sourceIds(): string[] {
    return [...this.sources.keys()];
  }

  async sync(request: SyncRequest = {}): Promise<SourceSyncReport[]> {
    const byId = new Map<string, string[]>();
    for (const id of request.pluginIds ?? []) {
      const [source, sourceId] = splitPluginId(id);
      if (!this.sources.has(source)) {
        throw new DomainError('PLUGIN_SOURCE_UNAVAILABLE', `No plugin source "${source}" is configured.`, {
          source,
          configured: this.sourceIds,
        });
      }
      byId.set(source, [...(byId.get(source) ?? []), sourceId]);
    }
    const wanted = request.pluginIds?.length ? [...byId.keys()] : (request.sources ?? this.sourceIds);
    const unknown = wanted.filter((s) => !this.sources.has(s));
    if (unknown.length > 0) {
      throw new DomainError('PLUGIN_SOURCE_UNAVAILABLE', `Unknown plugin source ${unknown.join(', ')}.`, {
        sources: unknown,
        configured: this.sourceIds,
      });
    }
    const reports: SourceSyncReport[] = [];
    for (const id of wanted) {
      const source = this.sources.get(id)!;
      reports.push(
        await this.exclusive(id, () =>
          this.syncSource(source, {
            sourceIds: byId.get(id),
            q: request.q,
            limit: request.limit ?? this.deps.searchLimit,
          }),
        ),
      );
    }
    return reports;
  }

  /**
   * Syncs the local catalogue now (it needs no network and is what a fresh host offers first), the other
   * sources in the background, then every source every `intervalMs` (0: no schedule). Failures are
   * logged, never thrown: an unreachable Modrinth must not keep the control plane from starting.
   */
  async start(intervalMs: number): Promise<void> {
    const run = async (sources: string[]) => {
      if (this.stopped || sources.length === 0) return;
      try {
        for (const r of await this.sync({ sources })) {
          const log = r.errors.length > 0 ? 'warn' : 'info';
          this.deps.logger[log]({ ...r, errors: r.errors.slice(0, 3) }, 'plugin catalogue synced');
        }
      } catch (error) {
        if (!this.stopped) this.deps.logger.warn({ err: error }, 'plugin catalogue sync failed');
      }
    };
    const local = this.sourceIds.filter((id) => id === 'local');
    await run(local);
    void run(this.sourceIds.filter((id) => id !== 'local'));
    if (intervalMs > 0) {
      this.timer = setInterval(() => void run(this.sourceIds), intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Stops the schedule and waits for the local catalogue's sync (fast, and it writes the rows tests and
   * first start-ups need). Remote syncs are not waited for: an unreachable API may take minutes to
   * give up, and their rows are written one plugin at a time, each in its own transaction.
   */
  async close(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running.get('local')?.catch(() => undefined);
  }

  private async exclusive<T>(sourceId: string, work: () => Promise<T>): Promise<T> {
    for (;;) {
      const current = this.running.get(sourceId);
      if (!current) break;
      await current.catch(() => undefined);
    }
    const task = work();
    this.running.set(sourceId, task);
    try {
      return await task;
    } finally {
      this.running.delete(sourceId);
    }
  }

  private async syncSource(
    source: PluginSource,
    options: { sourceIds: readonly string[] | undefined; q: string | undefined; limit: number },
  ): Promise<SourceSyncReport> {
    const report: SourceSyncReport = {
      source: source.id,
      plugins: 0,
      versions_added: 0,
      versions_updated: 0,
      versions_reset_to_pending: 0,
      errors: [],
    };
    const fail = (error: unknown, pluginId?: string) => {
      if (report.errors.length >= MAX_ERRORS_REPORTED) return;
      report.errors.push({
        ...(pluginId && { plugin_id: pluginId }),
        code: isDomainError(error) ? error.code : 'INTERNAL',
        message: error instanceof Error ? error.message : String(error),
      });
    };

    let ids: string[];
    if (options.sourceIds) ids = [...options.sourceIds];
    else {
      try {
        ids = await this.searchIds(source, options.q, options.limit);
      } catch (error) {
        fail(error);
        ids = [];
      }
      // Plugins already in the catalogue are refreshed too (installed ones must see new versions).
      if (!options.q) {
        const known = await this.deps.db.system((tx) =>
          tx.select({ sourceId: plugins.sourceId }).from(plugins).where(eq(plugins.source, source.id)),
        );
        ids = [...new Set([...ids, ...known.map((k) => k.sourceId)])];
      }
    }

    for (const sourceId of ids) {
      if (this.stopped) break;
      try {
        const plugin = await source.get(sourceId);
        if (!plugin) {
          fail(
            new DomainError('PLUGIN_NOT_FOUND', `${source.id} has no plugin "${sourceId}".`),
            `${source.id}:${sourceId}`,
          );
          continue;
        }
        const counts = await this.deps.db.system((tx) => this.upsert(tx, source, plugin));
        report.plugins++;
        report.versions_added += counts.added;
        report.versions_updated += counts.updated;
        report.versions_reset_to_pending += counts.reset;
      } catch (error) {
        if (this.stopped) break;
        fail(error, `${source.id}:${sourceId}`);
      }
    }
    return report;
  }

  private async searchIds(source: PluginSource, q: string | undefined, limit: number): Promise<string[]> {
    const ids: string[] = [];
    while (ids.length < limit) {
      const hits = await source.search({
        ...(q && { q }),
        limit: Math.min(SEARCH_PAGE, limit - ids.length),
        offset: ids.length,
      });
      if (hits.length === 0) break;
      ids.push(...hits.map((h) => h.sourceId));
    }
    return [...new Set(ids)];
  }

  private async upsert(
    tx: Tx,
    source: PluginSource,
    plugin: SourcePlugin,
  ): Promise<{ added: number; updated: number; reset: number }> {
    const fields = {
      source: plugin.source,
      sourceId: plugin.sourceId,
      name: plugin.name,
      description: plugin.description,
      category: plugin.category,
      author: plugin.author,
      homepage: plugin.homepage ?? null,
    };
    await tx
      .insert(plugins)
      .values({ id: plugin.id, ...fields })
      .onConflictDoUpdate({ target: plugins.id, set: { ...fields, updatedAt: new Date() } });

    const existing = new Map(
      (await tx.select().from(pluginVersions).where(eq(pluginVersions.pluginId, plugin.id))).map((v) => [
        v.version,
        v,
      ]),
    );
    const counts = { added: 0, updated: 0, reset: 0 };
    for (const v of plugin.versions) {
      const values = {
        minecraftVersions: v.minecraftVersions,
        distributions: v.distributions,
        dependencies: v.dependencies.map((d) => ({
          plugin_id: d.pluginId,
          version_range: d.versionRange,
          optional: d.optional,
        })),
        downloadUrl: v.downloadUrl,
        fileName: v.fileName,
        sha256: v.sha256?.toLowerCase() ?? null,
        sha512: v.sha512?.toLowerCase() ?? null,
        sizeBytes: v.sizeBytes,
        publishedAt: v.publishedAt ? new Date(v.publishedAt) : null,
      };
      const known = existing.get(v.version);
      if (!known) {
        const inserted = await tx
          .insert(pluginVersions)
          .values({
            pluginId: plugin.id,
            version: v.version,
            ...values,
            approval: source.trusted ? 'approved' : 'pending',
          })
          .onConflictDoNothing()
          .returning({ id: pluginVersions.id });
        counts.added += inserted.length;
        continue;
      }
      if (!changed(known, values)) continue;
      const fileChanged =
        known.sha256 !== values.sha256 ||
        known.sha512 !== values.sha512 ||
        known.sizeBytes !== values.sizeBytes ||
        known.downloadUrl !== values.downloadUrl;
      const reset = fileChanged && !source.trusted && known.approval !== 'pending';
      await tx
        .update(pluginVersions)
        .set({ ...values, ...(reset && { approval: 'pending' as const }) })
        .where(and(eq(pluginVersions.pluginId, plugin.id), eq(pluginVersions.version, v.version)));
      counts.updated++;
      if (reset) counts.reset++;
    }
    return counts;
  }
}

function changed(
  known: PluginVersionRecord,
  next: Omit<PluginVersionRecord, 'id' | 'pluginId' | 'version' | 'approval' | 'createdAt'>,
): boolean {
  return (
    JSON.stringify(known.minecraftVersions) !== JSON.stringify(next.minecraftVersions) ||
    JSON.stringify(known.distributions) !== JSON.stringify(next.distributions) ||
    canonicalDependencies(known.dependencies) !== canonicalDependencies(next.dependencies) ||
    known.downloadUrl !== next.downloadUrl ||
    known.fileName !== next.fileName ||
    known.sha256 !== next.sha256 ||
    known.sha512 !== next.sha512 ||
    known.sizeBytes !== next.sizeBytes ||
    (known.publishedAt?.getTime() ?? null) !== (next.publishedAt?.getTime() ?? null)
  );
}

// jsonb stores object keys in its own order, so dependencies are compared field by field.
function canonicalDependencies(deps: PluginVersionRecord['dependencies']): string {
  return JSON.stringify(deps.map((d) => [d.plugin_id, d.version_range, d.optional]));
}

/** `modrinth:AANobbMI` → ['modrinth', 'AANobbMI']. */
export function splitPluginId(id: string): [string, string] {
  const colon = id.indexOf(':');
  if (colon <= 0 || colon === id.length - 1) {
    throw new DomainError('VALIDATION_FAILED', `A plugin id looks like "<source>:<id>" (got "${id}").`, {
      field: 'plugin_id',
    });
  }
  return [id.slice(0, colon), id.slice(colon + 1)];
}
