import { and, eq } from 'drizzle-orm';
import type { Tx } from '@minefleet/db/database';
import { pluginVersions, plugins, serverPlugins } from '@minefleet/db/schema';
import { loadOrder, type InstalledPlugin, type PluginDependency } from '@minefleet/domain/plugin-resolver';
import { dependenciesOf, type InstallationRecord } from './catalogue-records.js';

/** An installation with what the catalogue says about its installed version. */
export interface InstallationView {
  row: InstallationRecord;
  pluginName: string;
  /** Dependencies of the installed version. */
  dependencies: PluginDependency[];
  /** Installed plugins (on this server) that require this one. */
  requiredBy: string[];
}

/** The plugins of one server as the install service reasons about them. */
export class ServerPluginState {
  readonly views: InstallationView[];

  constructor(views: InstallationView[]) {
    this.views = views;
  }

  byId(installationId: string): InstallationView | undefined {
    return this.views.find((v) => v.row.id === installationId);
  }

  byPlugin(pluginId: string): InstallationView | undefined {
    return this.views.find((v) => v.row.pluginId === pluginId);
  }

  /**
   * What the resolver and the removal rules count as installed: placed plugins, enabled or not (a
   * disabled plugin comes back with the same needs). Failed installs are not on the server.
   */
  installed(): InstalledPlugin[] {
    return this.views
      .filter((v) => v.row.status === 'installed' || v.row.status === 'disabled')
      .map((v) => ({
        pluginId: v.row.pluginId,
        version: v.row.version,
        asDependency: v.row.asDependency,
        dependencies: v.dependencies,
      }));
  }

  /**
   * File names of the enabled plugins, dependencies first: what the loader should load first. Edges to
   * plugins that are not enabled are ignored (a required one cannot be missing: disabling it is refused).
   */
  loadOrderFileNames(): string[] {
    const files = new Map(this.enabled().map((v) => [v.row.pluginId, v.row.fileName!]));
    return this.loadOrder().map((id) => files.get(id)!);
  }

  /** Plugin ids of the enabled plugins, dependencies first. */
  loadOrder(): string[] {
    const enabled = this.enabled();
    const ids = enabled.map((v) => v.row.pluginId);
    const edges = enabled.flatMap((v) =>
      v.dependencies.map((d) => ({ from: v.row.pluginId, to: d.pluginId, optional: d.optional })),
    );
    const result = loadOrder(ids, edges);
    return result.ok ? result.order : [...ids].sort();
  }

  private enabled(): InstallationView[] {
    return this.views.filter((v) => v.row.status === 'installed' && v.row.fileName);
  }
}

/** Reads a server's installations (inside a tenant transaction: row-level security applies). */
export async function loadServerPluginState(tx: Tx, serverId: string): Promise<ServerPluginState> {
  const rows = await tx
    .select({ row: serverPlugins, dependencies: pluginVersions.dependencies, name: plugins.name })
    .from(serverPlugins)
    .leftJoin(
      pluginVersions,
      and(
        eq(pluginVersions.pluginId, serverPlugins.pluginId),
        eq(pluginVersions.version, serverPlugins.version),
      ),
    )
    .leftJoin(plugins, eq(plugins.id, serverPlugins.pluginId))
    .where(eq(serverPlugins.serverId, serverId))
    .orderBy(serverPlugins.createdAt, serverPlugins.pluginId);
  const views: InstallationView[] = rows.map((r) => ({
    row: r.row,
    pluginName: r.name ?? r.row.pluginId,
    dependencies: r.dependencies ? dependenciesOf({ dependencies: r.dependencies }) : [],
    requiredBy: [],
  }));
  const placed = views.filter((v) => v.row.status === 'installed' || v.row.status === 'disabled');
  for (const view of views) {
    view.requiredBy = placed
      .filter((other) => other.dependencies.some((d) => d.pluginId === view.row.pluginId && !d.optional))
      .map((other) => other.row.pluginId)
      .sort();
  }
  return new ServerPluginState(views);
}
