/**
 * An install plan as the API answers it, and the rows that record it before the files are placed.
 */
import type { Tx } from '@minefleet/db/database';
import { serverPlugins } from '@minefleet/db/schema';
import type { PlanAction, ResolutionPlan, SkippedOptional } from '@minefleet/domain/plugin-resolver';
import type { ServerRecord } from '../servers.js';
import type { InstallationRecord } from './catalogue-records.js';
import type { CatalogueGraph } from './catalogue-graph.js';
import type { ChangeToApply } from './install-apply.js';
import type { InstallationView, ServerPluginState } from './server-plugin-state.js';

export type Applied = 'live' | 'on_restart';

/** One entry of `resolved`: a plugin version the install places. */
export interface ResolvedPlugin {
  pluginId: string;
  name: string;
  version: string;
  action: PlanAction;
  previousVersion: string | null;
  asDependency: boolean;
  requiredBy: string[];
  sizeBytes: number;
}

export interface PlanResult {
  /** The requested plugin's installation; null for a dry run. */
  installation: InstallationView | null;
  resolved: ResolvedPlugin[];
  /** Every plugin on the server afterwards, dependencies first. */
  loadOrder: string[];
  skippedOptional: SkippedOptional[];
  applied: Applied;
  /** True when files are being placed in the background (answer 202). */
  accepted: boolean;
}

export function planResult(
  plan: ResolutionPlan,
  graph: CatalogueGraph,
  state: ServerPluginState,
): PlanResult {
  return {
    installation: null,
    resolved: plan.changes.map((c) => ({
      pluginId: c.pluginId,
      name: graph.plugin(c.pluginId)?.name ?? c.pluginId,
      version: c.version,
      action: c.action,
      previousVersion: c.previousVersion ?? null,
      // A plugin the user installed explicitly stays explicit when an install upgrades it.
      asDependency: c.asDependency && state.byPlugin(c.pluginId)?.row.asDependency !== false,
      requiredBy: c.requiredBy,
      sizeBytes: graph.version(c.pluginId, c.version)?.sizeBytes ?? 0,
    })),
    loadOrder: plan.loadOrder,
    skippedOptional: plan.skippedOptional,
    applied: 'on_restart',
    accepted: false,
  };
}

/** Upserts one `installing` row per planned change and returns what to apply. */
export async function recordChanges(
  tx: Tx,
  server: ServerRecord,
  state: ServerPluginState,
  plan: ResolutionPlan,
  graph: CatalogueGraph,
  requested: { pluginId: string; configOverrides: Record<string, unknown> | undefined },
): Promise<ChangeToApply[]> {
  {
    const out: ChangeToApply[] = [];
    for (const change of plan.changes) {
      const plugin = graph.plugin(change.pluginId)!;
      const version = graph.version(change.pluginId, change.version)!;
      const existing = state.byPlugin(change.pluginId)?.row;
      const isRequested = change.pluginId === requested.pluginId;
      const placed = existing && (existing.status === 'installed' || existing.status === 'disabled');
      const values = {
        version: change.version,
        status: 'installing' as const,
        asDependency: isRequested ? false : (existing?.asDependency ?? true) && change.asDependency,
        fileName: version.fileName,
        configOverrides:
          isRequested && requested.configOverrides
            ? requested.configOverrides
            : (existing?.configOverrides ?? {}),
        errorCode: null,
        error: null,
        updatedAt: new Date(),
      };
      const [row] = await tx
        .insert(serverPlugins)
        .values({
          tenantId: server.tenantId,
          serverId: server.id,
          pluginId: change.pluginId,
          enabled: true,
          ...values,
        })
        .onConflictDoUpdate({ target: [serverPlugins.serverId, serverPlugins.pluginId], set: values })
        .returning();
      out.push({
        plugin,
        version,
        row: row!,
        previous: placed ? pick(existing) : undefined,
        writeConfig: isRequested && requested.configOverrides !== undefined,
      });
    }
    return out;
  }
}

function pick(
  row: InstallationRecord,
): Pick<InstallationRecord, 'version' | 'fileName' | 'status' | 'enabled'> {
  return { version: row.version, fileName: row.fileName, status: row.status, enabled: row.enabled };
}
