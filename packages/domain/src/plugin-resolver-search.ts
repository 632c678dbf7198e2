import type { Distribution } from './distributions.js';
import { DomainError } from './errors.js';
import { loadOrder, type DependencyEdge } from './plugin-resolver-graph.js';
import {
  isVersionCompatible,
  type CatalogueVersion,
  type ChainLink,
  type ConflictingRequirement,
  type ConflictReason,
  type InstalledPlugin,
  type PluginDependency,
  type ResolveRequest,
} from './plugin-resolver-model.js';
import { compareVersionsDescending, isValidRange, satisfiesRange } from './plugin-resolver-versions.js';

const SEARCH_LIMIT = 20_000;
const MAX_CONFLICTS_REPORTED = 20;

export interface Failure {
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

export interface SearchState {
  assigned: ReadonlyMap<string, CatalogueVersion>;
  demands: ReadonlyMap<string, Demand>;
  agenda: readonly string[];
}

/** The search took more steps than allowed: the request is refused as too complex. */
export class TooComplex extends Error {}

/** Backtracking search over the versions of the plugins the request reaches. */
export class Search {
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
export function installable(
  versions: readonly CatalogueVersion[],
  minecraftVersion: string,
  distribution: Distribution,
): CatalogueVersion[] {
  return versions
    .filter((v) => v.approval === 'approved' && isVersionCompatible(v, minecraftVersion, distribution))
    .sort((a, b) => compareVersionsDescending(a.version, b.version));
}

/** The DEPENDENCY_CONFLICT error for the failure a search met (or a generic one). */
export function conflictError(failure: Failure | undefined, request: ResolveRequest): DomainError {
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
