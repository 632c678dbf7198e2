/**
 * Property-based tests of the resolver over small random catalogues: whatever the catalogue, a plan
 * is sound (approved, compatible, every range satisfied, dependencies first), a failure is typed, and
 * without installed plugins the resolver finds a plan whenever one exists, with the newest requested
 * version any valid plan can have (checked against a brute-force enumeration).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Distribution } from './distributions.js';
import { DomainError } from './errors.js';
import { loadOrder } from './plugin-resolver-graph.js';
import {
  isVersionCompatible,
  resolvePluginInstall,
  type CatalogueVersion,
  type InstalledPlugin,
  type PluginDependency,
  type ResolutionPlan,
} from './plugin-resolver.js';
import { lookup } from './plugin-resolver.test-support.js';
import { compareVersionsDescending, satisfiesRange } from './plugin-resolver-versions.js';

const IDS = ['p0', 'p1', 'p2', 'p3'] as const;
const VERSIONS = ['1.0.0', '1.1.0', '2.0.0', '2.1.0', '3.0.0'];
const RANGES = ['*', '^1.0.0', '^2.0.0', '>=1.1.0', '~2.1.0', '<2.0.0', '1.0.0 - 2.0.0', '=3.0.0'];
const MINECRAFT = ['1.20.1', '1.20.2', '1.21'];
const DISTRIBUTIONS: Distribution[] = ['flying-squid', 'paper'];

type Catalogue = Record<string, CatalogueVersion[]>;

// Weighted so that most scenarios get past the first checks (a plugin missing from the catalogue, or
// with no version for this server, is a quick failure that teaches little).
const dependency = fc.record({
  pluginId: fc.oneof(
    { weight: 12, arbitrary: fc.constantFrom<string>(...IDS) },
    { weight: 1, arbitrary: fc.constant('ghost') },
  ),
  versionRange: fc.constantFrom(...RANGES),
  optional: fc.boolean(),
});

const version = fc.record({
  version: fc.constantFrom(...VERSIONS),
  minecraftVersions: fc.oneof(
    { weight: 3, arbitrary: fc.constant(MINECRAFT) },
    { weight: 2, arbitrary: fc.subarray(MINECRAFT, { minLength: 1 }) },
  ),
  distributions: fc.oneof(
    { weight: 3, arbitrary: fc.constant(DISTRIBUTIONS) },
    { weight: 1, arbitrary: fc.subarray(DISTRIBUTIONS, { minLength: 1 }) },
  ),
  dependencies: fc.array(dependency, { maxLength: 2 }),
  approval: fc.oneof(
    { weight: 6, arbitrary: fc.constant('approved' as const) },
    { weight: 1, arbitrary: fc.constantFrom('pending' as const, 'rejected' as const) },
  ),
});

const versions = fc.uniqueArray(version, { selector: (v) => v.version, minLength: 1, maxLength: 3 });
const catalogue: fc.Arbitrary<Catalogue> = fc.record({
  p0: versions,
  p1: versions,
  p2: versions,
  p3: versions,
});

const server = fc.record({
  minecraftVersion: fc.constantFrom(...MINECRAFT),
  distribution: fc.constantFrom(...DISTRIBUTIONS),
});

/** A catalogue, a request, and a server that may already have some plugins (at any catalogue version). */
const scenario = catalogue.chain((plugins) =>
  fc.record({
    plugins: fc.constant(plugins),
    pluginId: fc.constantFrom<string>(...IDS),
    version: fc.oneof(
      { weight: 4, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom(...VERSIONS) },
    ),
    server,
    installed: fc
      .subarray([...IDS])
      .chain((ids) =>
        fc.tuple(
          ...ids.map((id) =>
            fc.record({
              pluginId: fc.constant(id),
              entry: fc.constantFrom(...plugins[id]!),
              asDependency: fc.boolean(),
            }),
          ),
        ),
      )
      .map((list) =>
        list.map(({ pluginId, entry, asDependency }): InstalledPlugin => ({
          pluginId,
          version: entry.version,
          asDependency,
          dependencies: entry.dependencies,
        })),
      ),
  }),
);

type Scenario = {
  plugins: Catalogue;
  pluginId: string;
  version: string | undefined;
  server: { minecraftVersion: string; distribution: Distribution };
  installed: InstalledPlugin[];
};

function run(s: Scenario): ResolutionPlan | DomainError {
  try {
    return resolvePluginInstall({
      pluginId: s.pluginId,
      ...(s.version !== undefined && { version: s.version }),
      ...s.server,
      catalogue: lookup(s.plugins),
      installed: s.installed,
    });
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
}

/** The server after the plan: installed plugins with the changes applied. */
function finalState(
  s: Scenario,
  plan: ResolutionPlan,
): Map<string, { version: string; deps: readonly PluginDependency[] }> {
  const state = new Map(s.installed.map((p) => [p.pluginId, { version: p.version, deps: p.dependencies }]));
  for (const change of plan.changes) {
    const entry = s.plugins[change.pluginId]!.find((v) => v.version === change.version)!;
    state.set(change.pluginId, { version: change.version, deps: entry.dependencies });
  }
  return state;
}

const RUNS = { numRuns: 400 };

describe('resolver properties', () => {
  it('never picks an unapproved or incompatible version', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plan = run(s);
        if (plan instanceof DomainError) return;
        for (const change of plan.changes) {
          const entry = s.plugins[change.pluginId]?.find((v) => v.version === change.version);
          expect(entry?.approval).toBe('approved');
          expect(isVersionCompatible(entry!, s.server.minecraftVersion, s.server.distribution)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('every version in a plan satisfies every range that points at it, and has what it requires', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plan = run(s);
        if (plan instanceof DomainError) return;
        const state = finalState(s, plan);
        const changed = new Set(plan.changes.map((c) => c.pluginId));
        for (const [id, { deps }] of state) {
          for (const dep of deps) {
            const target = state.get(dep.pluginId);
            // Ranges pointing at a planned version, from anyone on the server.
            if (changed.has(dep.pluginId))
              expect(satisfiesRange(target!.version, dep.versionRange)).toBe(true);
            // A planned version's own requirements are present and satisfied.
            if (changed.has(id)) {
              if (!dep.optional) expect(target).toBeDefined();
              if (target) expect(satisfiesRange(target.version, dep.versionRange)).toBe(true);
            }
          }
        }
        expect(state.get(s.pluginId)?.version).toBe(plan.version);
        if (s.version !== undefined) expect(plan.version).toBe(s.version);
      }),
      RUNS,
    );
  });

  it('the plan is topologically ordered: required dependencies load first', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const plan = run(s);
        if (plan instanceof DomainError) return;
        const state = finalState(s, plan);
        expect([...plan.loadOrder].sort()).toEqual([...state.keys()].sort());
        const position = new Map(plan.loadOrder.map((id, i) => [id, i]));
        for (const [id, { deps }] of state) {
          for (const dep of deps) {
            if (!dep.optional && state.has(dep.pluginId)) {
              expect(position.get(dep.pluginId)!).toBeLessThan(position.get(id)!);
            }
          }
        }
        // The changes are the load order restricted to what changes.
        const changed = plan.changes.map((c) => c.pluginId);
        expect(changed).toEqual(plan.loadOrder.filter((id) => changed.includes(id)));
      }),
      RUNS,
    );
  });

  it('fails only with a typed error, and a conflict carries the chain from the requested plugin', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const result = run(s);
        if (!(result instanceof DomainError)) return;
        expect(['PLUGIN_NOT_FOUND', 'PLUGIN_INCOMPATIBLE', 'DEPENDENCY_CONFLICT']).toContain(result.code);
        if (result.code !== 'DEPENDENCY_CONFLICT') return;
        const details = result.details as {
          reason: string;
          chain: { plugin_id: string }[];
          cycle?: string[];
        };
        expect(details.chain.length).toBeGreaterThan(0);
        if (details.reason === 'cycle') {
          expect(details.cycle![0]).toBe(details.cycle!.at(-1));
          expect(details.chain.map((l) => l.plugin_id)).toEqual(details.cycle);
        } else {
          expect(details.chain[0]!.plugin_id).toBe(s.pluginId);
        }
      }),
      RUNS,
    );
  });

  it('finds a plan whenever one exists, with the newest possible requested version (vs brute force)', () => {
    fc.assert(
      fc.property(catalogue, fc.constantFrom<string>(...IDS), server, (plugins, pluginId, srv) => {
        const s: Scenario = { plugins, pluginId, version: undefined, server: srv, installed: [] };
        const best = bruteForceNewest(plugins, pluginId, srv.minecraftVersion, srv.distribution);
        const plan = run(s);
        if (best === undefined) expect(plan).toBeInstanceOf(DomainError);
        else {
          expect(plan).not.toBeInstanceOf(DomainError);
          expect((plan as ResolutionPlan).version).toBe(best);
        }
      }),
      RUNS,
    );
  });
});

/** The newest version of `pluginId` over every valid set of plugins, found by trying them all. */
function bruteForceNewest(
  plugins: Catalogue,
  pluginId: string,
  minecraftVersion: string,
  distribution: Distribution,
): string | undefined {
  const ids = Object.keys(plugins);
  const options = ids.map((id) => [
    undefined,
    ...plugins[id]!.filter(
      (v) => v.approval === 'approved' && isVersionCompatible(v, minecraftVersion, distribution),
    ),
  ]);
  let best: string | undefined;
  const choose = (i: number, chosen: Map<string, CatalogueVersion>): void => {
    if (i === ids.length) {
      const root = chosen.get(pluginId);
      if (
        root &&
        valid(chosen) &&
        (best === undefined || compareVersionsDescending(root.version, best) < 0)
      ) {
        best = root.version;
      }
      return;
    }
    for (const option of options[i]!) {
      const next = new Map(chosen);
      if (option) next.set(ids[i]!, option);
      choose(i + 1, next);
    }
  };
  choose(0, new Map());
  return best;
}

function valid(chosen: ReadonlyMap<string, CatalogueVersion>): boolean {
  for (const entry of chosen.values()) {
    for (const dep of entry.dependencies) {
      const target = chosen.get(dep.pluginId);
      if (!target) {
        if (!dep.optional) return false;
      } else if (!satisfiesRange(target.version, dep.versionRange)) return false;
    }
  }
  const edges = [...chosen].flatMap(([id, v]) =>
    v.dependencies.map((d) => ({ from: id, to: d.pluginId, optional: d.optional })),
  );
  return loadOrder([...chosen.keys()], edges).ok;
}
