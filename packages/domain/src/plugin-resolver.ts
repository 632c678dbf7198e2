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
 */
import type { Distribution } from './distributions.js';
import type { PluginApproval } from './enums.js';
import { DomainError } from './errors.js';
import { loadOrder, type DependencyEdge } from './plugin-resolver-graph.js';
import {
  compareVersions,
  compareVersionsDescending,
  isValidRange,
  satisfiesRange,
  supportsMinecraftVersion,
} from './plugin-resolver-versions.js';

export interface PluginDependency {
  pluginId: string;
  /** A semver range, e.g. `^1.2.0`, `>=2 <3`, `*`. */
  versionRange: string;
  optional: boolean;
}

/** One version of a plugin as the catalogue knows it. */
export interface CatalogueVersion {
  version: string;
  minecraftVersions: readonly string[];
  distributions: readonly Distribution[];
  dependencies: readonly PluginDependency[];
  approval: PluginApproval;
}

/** Every version of a plugin, or undefined when the catalogue has no such plugin. */
export type CatalogueLookup = (pluginId: string) => readonly CatalogueVersion[] | undefined;

/** A plugin on the server, with the dependencies of the version that is installed. */
export interface InstalledPlugin {
  pluginId: string;
  version: string;
  /** Installed to satisfy another plugin rather than asked for by the user. */
  asDependency: boolean;
  dependencies: readonly PluginDependency[];
}

export interface ResolveRequest {
  pluginId: string;
  /** An exact catalogue version; without it the newest version that resolves is chosen. */
  version?: string;
  minecraftVersion: string;
  distribution: Distribution;
  catalogue: CatalogueLookup;
  installed: readonly InstalledPlugin[];
}

export type PlanAction = 'install' | 'upgrade' | 'downgrade';

export interface PlannedChange {
  pluginId: string;
  version: string;
  action: PlanAction;
  previousVersion?: string;
  asDependency: boolean;
  /** Plugins (present after the change) that depend on this one. */
  requiredBy: string[];
}

export type ConflictReason =
  'no-version-satisfies' | 'missing' | 'incompatible' | 'invalid-range' | 'cycle' | 'too-complex';

export interface SkippedOptional {
  pluginId: string;
  requiredBy: string;
  reason: ConflictReason;
}

export interface ResolutionPlan {
  pluginId: string;
  version: string;
  /** What to download and place, dependencies first. Empty when nothing changes. */
  changes: PlannedChange[];
  /** Every plugin on the server after the change, dependencies first (the launcher's load order). */
  loadOrder: string[];
  skippedOptional: SkippedOptional[];
}

/** One step of the path from the requested plugin to the one that failed (`details.chain`). */
export interface ChainLink {
  plugin_id: string;
  /** The range by which the previous link required this plugin. */
  version_range?: string;
  /** The version chosen for this plugin, absent for the plugin that could not be chosen. */
  version?: string;
}

/** A requirement that ruled a version out (`details.conflicts`). */
export interface ConflictingRequirement {
  plugin_id: string;
  version: string;
  requires: string;
  version_range: string;
  /** The requirement comes from an installed plugin that the install does not change. */
  installed: boolean;
}

/** Whether a version may be installed on a server, approval aside. */
export function isVersionCompatible(
  version: Pick<CatalogueVersion, 'minecraftVersions' | 'distributions'>,
  minecraftVersion: string,
  distribution: Distribution,
): boolean {
  return (
    version.distributions.includes(distribution) &&
    supportsMinecraftVersion(version.minecraftVersions, minecraftVersion)
  );
}

const SEARCH_LIMIT = 20_000;
const MAX_CONFLICTS_REPORTED = 20;

interface Failure {
  reason: ConflictReason;
  pluginId: string;
  chain: ChainLink[];
  conflicts: ConflictingRequirement[];
  cycle?: string[];
}

interface Demand {
  from: string;
  range: string;
}

interface SearchState {
  assigned: ReadonlyMap<string, CatalogueVersion>;
  demands: ReadonlyMap<string, Demand>;
  agenda: readonly string[];
}

class TooComplex extends Error {}

/** Backtracking search over the versions of the plugins the request reaches. */
class Search {
  private steps = 0;
  failure: Failure | undefined;

  constructor(
    private readonly request: ResolveRequest,
    private readonly installed: ReadonlyMap<string, InstalledPlugin>,
    private readonly rootCandidates: readonly CatalogueVersion[],
    private readonly candidateCache: Map<string, readonly CatalogueVersion[] | undefined>,
  ) {}

  run(state: SearchState): SearchState | null {
    const target = state.agenda.find((id) => !state.assigned.has(id));
    if (target === undefined) return this.complete(state);

    const candidates = this.candidates(target, state);
    if (!candidates) return null;

    const rejected: ConflictingRequirement[] = [];
    let anyAccepted = false;
    for (const candidate of candidates) {
      if (++this.steps > SEARCH_LIMIT) throw new TooComplex();
      const violations = this.check(target, candidate, state.assigned);
      if (violations.length > 0) {
        rejected.push(...violations);
        continue;
      }
      anyAccepted = true;
      const assigned = new Map(state.assigned).set(target, candidate);
      const demands = new Map(state.demands);
      const agenda = [...state.agenda];
      for (const dep of candidate.dependencies) {
        const present = assigned.has(dep.pluginId) || this.installed.has(dep.pluginId);
        if (dep.optional && !present) continue; // absent optional dependencies come after, see resolve
        if (!demands.has(dep.pluginId) && dep.pluginId !== this.request.pluginId) {
          demands.set(dep.pluginId, { from: target, range: dep.versionRange });
        }
        if (!assigned.has(dep.pluginId)) agenda.push(dep.pluginId);
      }
      const solved = this.run({ assigned, demands, agenda });
      if (solved) return solved;
    }
    if (!anyAccepted) {
      this.fail({
        reason: rejected.some((r) => !isValidRange(r.version_range))
          ? 'invalid-range'
          : 'no-version-satisfies',
        pluginId: target,
        chain: this.chain(target, state),
        conflicts: dedupe(rejected).slice(0, MAX_CONFLICTS_REPORTED),
      });
    }
    return null;
  }

  private candidates(target: string, state: SearchState): readonly CatalogueVersion[] | null {
    if (target === this.request.pluginId) return this.rootCandidates;
    if (!this.candidateCache.has(target)) {
      const versions = this.request.catalogue(target);
      this.candidateCache.set(
        target,
        versions && installable(versions, this.request.minecraftVersion, this.request.distribution),
      );
    }
    const compatible = this.candidateCache.get(target);
    if (!compatible || compatible.length === 0) {
      this.fail({
        reason: compatible ? 'incompatible' : 'missing',
        pluginId: target,
        chain: this.chain(target, state),
        conflicts: [],
      });
      return null;
    }
    // An installed dependency keeps its version when it still fits: an install should not upgrade
    // what it does not need to.
    const installedVersion = this.installed.get(target)?.version;
    const kept = compatible.filter((v) => v.version === installedVersion);
    return [...kept, ...compatible.filter((v) => v.version !== installedVersion)];
  }

  /** Requirements that `candidate` for `target` breaks, given what is already chosen or installed. */
  private check(
    target: string,
    candidate: CatalogueVersion,
    assigned: ReadonlyMap<string, CatalogueVersion>,
  ): ConflictingRequirement[] {
    const violations: ConflictingRequirement[] = [];
    // Ranges pointing at the target from every other present plugin (optional ones too: present).
    for (const [id, version, deps, fixed] of this.present(assigned)) {
      if (id === target) continue;
      for (const dep of deps) {
        if (dep.pluginId === target && !satisfiesRange(candidate.version, dep.versionRange)) {
          violations.push(requirement(id, version, dep, fixed));
        }
      }
    }
    // The candidate's own ranges onto plugins already chosen in this search (installed plugins it
    // needs are not checked here: they join the agenda and may still be upgraded).
    for (const dep of candidate.dependencies) {
      const chosen = dep.pluginId === target ? candidate : assigned.get(dep.pluginId);
      if (chosen && !satisfiesRange(chosen.version, dep.versionRange)) {
        violations.push(requirement(target, candidate.version, dep, false));
      }
    }
    return violations;
  }

  private *present(
    assigned: ReadonlyMap<string, CatalogueVersion>,
  ): Generator<[string, string, readonly PluginDependency[], boolean]> {
    for (const [id, version] of assigned) yield [id, version.version, version.dependencies, false];
    for (const [id, plugin] of this.installed) {
      if (!assigned.has(id)) yield [id, plugin.version, plugin.dependencies, true];
    }
  }

  /** Every plugin is chosen: refuse a result without a load order (a cycle of required dependencies). */
  private complete(state: SearchState): SearchState | null {
    const ids = [...this.present(state.assigned)].map(([id]) => id);
    const edges: DependencyEdge[] = [...this.present(state.assigned)].flatMap(([id, , deps]) =>
      deps.map((d) => ({ from: id, to: d.pluginId, optional: d.optional })),
    );
    const order = loadOrder(ids, edges);
    if (order.ok) return state;
    const cycle = order.cycle;
    const chain: ChainLink[] = cycle.map((id, i) => {
      const previous = i === 0 ? undefined : cycle[i - 1];
      const range = previous
        ? this.dependenciesOf(previous, state.assigned).find((d) => d.pluginId === id && !d.optional)
            ?.versionRange
        : undefined;
      const version = state.assigned.get(id)?.version ?? this.installed.get(id)?.version;
      return {
        plugin_id: id,
        ...(range !== undefined && { version_range: range }),
        ...(version && { version }),
      };
    });
    this.fail({ reason: 'cycle', pluginId: cycle[0]!, chain, conflicts: [], cycle });
    return null;
  }

  private dependenciesOf(
    id: string,
    assigned: ReadonlyMap<string, CatalogueVersion>,
  ): readonly PluginDependency[] {
    return assigned.get(id)?.dependencies ?? this.installed.get(id)?.dependencies ?? [];
  }

  /** The path of first demands from the requested plugin down to `target`. */
  private chain(target: string, state: SearchState): ChainLink[] {
    const links: ChainLink[] = [];
    const seen = new Set<string>();
    let current = target;
    while (current !== this.request.pluginId && !seen.has(current)) {
      seen.add(current);
      const demand = state.demands.get(current);
      if (!demand) break;
      const version = state.assigned.get(current)?.version;
      links.unshift({ plugin_id: current, version_range: demand.range, ...(version && { version }) });
      current = demand.from;
    }
    const rootVersion = state.assigned.get(this.request.pluginId)?.version;
    links.unshift({ plugin_id: this.request.pluginId, ...(rootVersion && { version: rootVersion }) });
    return links;
  }

  // The first failure met is kept: the search goes down the preferred (newest) path first, so it is
  // the deepest reason why the versions a user would expect do not work.
  private fail(failure: Failure): void {
    this.failure ??= failure;
  }
}

function requirement(
  id: string,
  version: string,
  dep: PluginDependency,
  installed: boolean,
): ConflictingRequirement {
  return { plugin_id: id, version, requires: dep.pluginId, version_range: dep.versionRange, installed };
}

function dedupe(list: readonly ConflictingRequirement[]): ConflictingRequirement[] {
  const seen = new Map<string, ConflictingRequirement>();
  for (const item of list) seen.set(JSON.stringify(item), item);
  return [...seen.values()];
}

/** Approved versions that run on the server, newest first. */
function installable(
  versions: readonly CatalogueVersion[],
  minecraftVersion: string,
  distribution: Distribution,
): CatalogueVersion[] {
  return versions
    .filter((v) => v.approval === 'approved' && isVersionCompatible(v, minecraftVersion, distribution))
    .sort((a, b) => compareVersionsDescending(a.version, b.version));
}

function conflictError(failure: Failure | undefined, request: ResolveRequest): DomainError {
  const f = failure ?? {
    reason: 'no-version-satisfies' as const,
    pluginId: request.pluginId,
    chain: [{ plugin_id: request.pluginId }],
    conflicts: [],
  };
  const message =
    f.reason === 'cycle'
      ? `Circular required dependencies: ${f.cycle?.join(' → ')}`
      : `Cannot install ${request.pluginId}: ${f.pluginId} (${f.reason}) via ${f.chain
          .map((l) => l.plugin_id)
          .join(' → ')}`;
  return new DomainError('DEPENDENCY_CONFLICT', message, {
    reason: f.reason,
    plugin_id: f.pluginId,
    chain: f.chain,
    conflicts: f.conflicts,
    ...(f.cycle && { cycle: f.cycle }),
  });
}

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

function buildPlan(
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
