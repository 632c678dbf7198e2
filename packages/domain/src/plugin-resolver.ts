/**
 * The plugin resolver: which plugins, at which versions, a server needs so that a plugin can be installed.
 *
 * Pure: it reads the catalogue through a lookup function and the server's installed plugins, and returns
 * a plan or throws a `DomainError`. Rules (docs/plugins.md repeats them for users):
 *
 * - Only `approved` versions that list the server's Minecraft version and distribution are candidates.
 * - The requested plugin gets its newest candidate for which the whole graph resolves (or the exact
 *   version asked for). A dependency not yet installed gets its newest candidate satisfying every range
 *   that points at it; an installed dependency keeps its version when that still satisfies every range,
 *   and is upgraded (or downgraded) otherwise. The search backtracks over older candidates on conflict.
 * - Installed plugins outside the request's dependency graph are never changed: their ranges are hard
 *   constraints, so installing B that needs `core ^2` while installed A needs `core ^1` is a conflict.
 * - Optional dependencies: one that is present (installed or part of the plan) must satisfy its range
 *   like a required one, because the dependent will use it. One that is absent is added when it (and its
 *   own dependencies) resolves without changing anything already chosen; otherwise it is skipped and
 *   listed in `skippedOptional`. They never make an install fail.
 * - Cycles of required dependencies are refused (no load order exists); a cycle through an optional
 *   dependency is allowed, that edge being ignored for the load order (Bukkit's softdepend behaviour).
 *
 * This module is the entry point; the backtracking search is `plugin-resolver-search.ts`, the plan it
 * becomes `plugin-resolver-plan.ts`, the types `plugin-resolver-model.ts`.
 */
import { DomainError } from './errors.js';
import type {
  CatalogueVersion,
  InstalledPlugin,
  PluginDependency,
  ResolutionPlan,
  ResolveRequest,
  SkippedOptional,
} from './plugin-resolver-model.js';
import { buildPlan } from './plugin-resolver-plan.js';
import {
  conflictError,
  installable,
  Search,
  TooComplex,
  type SearchState,
} from './plugin-resolver-search.js';

export {
  isVersionCompatible,
  type CatalogueLookup,
  type CatalogueVersion,
  type ChainLink,
  type ConflictingRequirement,
  type ConflictReason,
  type InstalledPlugin,
  type PlanAction,
  type PlannedChange,
  type PluginDependency,
  type ResolutionPlan,
  type ResolveRequest,
  type SkippedOptional,
} from './plugin-resolver-model.js';

// The order plugins load in (dependencies first), for the services that write a server's load order.
export { loadOrder } from './plugin-resolver-graph.js';

/**
 * Resolves the install (or upgrade, or change of version) of `request.pluginId` on a server.
 *
 * @throws DomainError PLUGIN_NOT_FOUND (unknown plugin or version), PLUGIN_INCOMPATIBLE (no approved
 *   version for this Minecraft version and distribution), DEPENDENCY_CONFLICT (details: `reason`,
 *   `plugin_id`, `chain`, `conflicts`, and `cycle` for cycles).
 */
export function resolvePluginInstall(request: ResolveRequest): ResolutionPlan {
  const { pluginId, minecraftVersion, distribution } = request;
  const versions = request.catalogue(pluginId);
  if (!versions) throw new DomainError('PLUGIN_NOT_FOUND', `No plugin ${pluginId}`, { plugin_id: pluginId });

  const incompatible = (details: Record<string, unknown>): DomainError =>
    new DomainError(
      'PLUGIN_INCOMPATIBLE',
      `${pluginId} has no approved version for Minecraft ${minecraftVersion} on ${distribution}`,
      { plugin_id: pluginId, minecraft_version: minecraftVersion, distribution, ...details },
    );
  let rootCandidates: CatalogueVersion[];
  if (request.version !== undefined) {
    const exact = versions.find((v) => v.version === request.version);
    if (!exact) {
      throw new DomainError('PLUGIN_NOT_FOUND', `No version ${request.version} of ${pluginId}`, {
        plugin_id: pluginId,
        version: request.version,
      });
    }
    if (installable([exact], minecraftVersion, distribution).length === 0) {
      throw incompatible({ version: exact.version, approval: exact.approval });
    }
    rootCandidates = [exact];
  } else {
    rootCandidates = installable(versions, minecraftVersion, distribution);
    if (rootCandidates.length === 0) throw incompatible({});
  }

  const installed = new Map(request.installed.map((p) => [p.pluginId, p]));
  const cache = new Map<string, readonly CatalogueVersion[] | undefined>();
  const newSearch = (): Search => new Search(request, installed, rootCandidates, cache);

  const main = newSearch();
  let state: SearchState | null;
  try {
    state = main.run({ assigned: new Map(), demands: new Map(), agenda: [pluginId] });
  } catch (error) {
    if (!(error instanceof TooComplex)) throw error;
    throw conflictError(
      { reason: 'too-complex', pluginId, chain: [{ plugin_id: pluginId }], conflicts: [] },
      request,
    );
  }
  if (!state) throw conflictError(main.failure, request);

  // Absent optional dependencies, one at a time in the order they were met: each is added with its
  // own dependencies if that resolves without touching anything chosen so far.
  const skippedOptional: SkippedOptional[] = [];
  const attempted = new Set<string>();
  for (;;) {
    const next = nextAbsentOptional(state, installed, attempted);
    if (!next) break;
    attempted.add(next.dep.pluginId);
    const attempt = newSearch();
    let added: SearchState | null = null;
    try {
      added = attempt.run({
        assigned: state.assigned,
        demands: new Map(state.demands).set(next.dep.pluginId, {
          from: next.from,
          range: next.dep.versionRange,
        }),
        agenda: [next.dep.pluginId],
      });
    } catch (error) {
      if (!(error instanceof TooComplex)) throw error;
    }
    if (added) state = added;
    else {
      skippedOptional.push({
        pluginId: next.dep.pluginId,
        requiredBy: next.from,
        reason: attempt.failure?.reason ?? 'too-complex',
      });
    }
  }

  return buildPlan(request, state.assigned, installed, skippedOptional);
}

function nextAbsentOptional(
  state: SearchState,
  installed: ReadonlyMap<string, InstalledPlugin>,
  attempted: ReadonlySet<string>,
): { from: string; dep: PluginDependency } | undefined {
  for (const [id, version] of state.assigned) {
    for (const dep of version.dependencies) {
      if (
        dep.optional &&
        !attempted.has(dep.pluginId) &&
        !state.assigned.has(dep.pluginId) &&
        !installed.has(dep.pluginId)
      ) {
        return { from: id, dep };
      }
    }
  }
  return undefined;
}
