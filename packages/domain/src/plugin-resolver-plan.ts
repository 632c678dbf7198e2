import type {
  CatalogueVersion,
  InstalledPlugin,
  PlannedChange,
  PluginDependency,
  ResolutionPlan,
  ResolveRequest,
  SkippedOptional,
} from './plugin-resolver-model.js';
import { loadOrder } from './plugin-resolver-graph.js';
import { compareVersions } from './plugin-resolver-versions.js';

/**
 * The plan of a resolved search: the changes to make (install, upgrade or downgrade, dependencies
 * first, each with the plugins that need it) and the load order of every plugin on the server after.
 */
export function buildPlan(
  request: ResolveRequest,
  assigned: ReadonlyMap<string, CatalogueVersion>,
  installed: ReadonlyMap<string, InstalledPlugin>,
  skippedOptional: SkippedOptional[],
): ResolutionPlan {
  const ids = [...new Set([...installed.keys(), ...assigned.keys()])];
  const depsOf = (id: string): readonly PluginDependency[] =>
    assigned.get(id)?.dependencies ?? installed.get(id)?.dependencies ?? [];
  const edges = ids.flatMap((id) =>
    depsOf(id).map((d) => ({ from: id, to: d.pluginId, optional: d.optional })),
  );
  const order = loadOrder(ids, edges);
  // The search only returns states with a load order.
  if (!order.ok) throw new Error('resolver invariant: a resolved plan has no load order');

  const requiredBy = (target: string): string[] =>
    ids.filter((id) => id !== target && depsOf(id).some((d) => d.pluginId === target)).sort();

  const changes: PlannedChange[] = [];
  for (const id of order.order) {
    const chosen = assigned.get(id);
    if (!chosen) continue;
    const before = installed.get(id);
    if (before?.version === chosen.version) continue;
    changes.push({
      pluginId: id,
      version: chosen.version,
      action: !before
        ? 'install'
        : compareVersions(chosen.version, before.version) < 0
          ? 'downgrade'
          : 'upgrade',
      ...(before && { previousVersion: before.version }),
      asDependency: id === request.pluginId ? false : (before?.asDependency ?? true),
      requiredBy: requiredBy(id),
    });
  }
  return {
    pluginId: request.pluginId,
    version: assigned.get(request.pluginId)!.version,
    changes,
    loadOrder: order.order,
    skippedOptional,
  };
}
