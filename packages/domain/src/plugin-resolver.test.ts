import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import { dependentsOf, orphansAfterRemoval } from './plugin-resolver-dependents.js';
import { resolvePluginInstall, type InstalledPlugin, type ResolveRequest } from './plugin-resolver.js';
import { installedFrom, lookup, opt, req, v } from './plugin-resolver.test-support.js';
import type { CatalogueVersion } from './plugin-resolver.js';

type Catalogue = Record<string, CatalogueVersion[]>;

function resolve(
  plugins: Catalogue,
  pluginId: string,
  extra: Partial<Omit<ResolveRequest, 'catalogue' | 'installed'>> & { installed?: InstalledPlugin[] } = {},
) {
  return resolvePluginInstall({
    pluginId,
    minecraftVersion: '1.20.2',
    distribution: 'flying-squid',
    catalogue: lookup(plugins),
    installed: [],
    ...extra,
  });
}

function failure(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('resolvePluginInstall — choosing versions', () => {
  const plugins: Catalogue = {
    core: [v('1.0.0'), v('1.2.0'), v('2.0.0'), v('1.3.0', { approval: 'pending' })],
    hello: [v('1.0.0', { deps: [req('core', '^1.0.0')] }), v('1.1.0', { deps: [req('core', '^1.1.0')] })],
  };

  it('installs the newest approved version with its dependency first', () => {
    const plan = resolve(plugins, 'hello');
    expect(plan.version).toBe('1.1.0');
    expect(plan.changes).toEqual([
      { pluginId: 'core', version: '1.2.0', action: 'install', asDependency: true, requiredBy: ['hello'] },
      { pluginId: 'hello', version: '1.1.0', action: 'install', asDependency: false, requiredBy: [] },
    ]);
    expect(plan.loadOrder).toEqual(['core', 'hello']);
    expect(plan.skippedOptional).toEqual([]);
  });

  it('installs the exact version asked for', () => {
    const plan = resolve(plugins, 'hello', { version: '1.0.0' });
    expect(plan.changes.map((c) => `${c.pluginId}@${c.version}`)).toEqual(['core@1.2.0', 'hello@1.0.0']);
  });

  it('answers PLUGIN_NOT_FOUND for an unknown plugin or version', () => {
    expect(failure(() => resolve(plugins, 'nope')).code).toBe('PLUGIN_NOT_FOUND');
    expect(failure(() => resolve(plugins, 'hello', { version: '9.9.9' })).code).toBe('PLUGIN_NOT_FOUND');
  });

  it('never picks a pending or rejected version', () => {
    const only = { x: [v('1.0.0', { approval: 'pending' }), v('2.0.0', { approval: 'rejected' })] };
    const error = failure(() => resolve(only, 'x'));
    expect(error.code).toBe('PLUGIN_INCOMPATIBLE');
    expect(failure(() => resolve(plugins, 'core', { version: '1.3.0' })).code).toBe('PLUGIN_INCOMPATIBLE');
  });

  it('filters by Minecraft version and distribution', () => {
    const mixed: Catalogue = {
      x: [
        v('3.0.0', { mc: ['1.21'] }),
        v('2.0.0', { dist: ['paper'] }),
        v('1.0.0', { mc: ['1.20.x'], dist: ['flying-squid'] }),
      ],
    };
    expect(resolve(mixed, 'x').version).toBe('1.0.0');
    expect(resolve(mixed, 'x', { distribution: 'paper' }).version).toBe('2.0.0');
    expect(resolve(mixed, 'x', { minecraftVersion: '1.21', distribution: 'paper' }).version).toBe('3.0.0');
    const error = failure(() => resolve(mixed, 'x', { minecraftVersion: '1.19.4' }));
    expect(error.code).toBe('PLUGIN_INCOMPATIBLE');
    expect(error.details).toMatchObject({
      plugin_id: 'x',
      minecraft_version: '1.19.4',
      distribution: 'flying-squid',
    });
  });

  it('backtracks to an older version of the requested plugin when the newest cannot resolve', () => {
    const c: Catalogue = {
      app: [v('2.0.0', { deps: [req('lib', '^3.0.0')] }), v('1.0.0', { deps: [req('lib', '^1.0.0')] })],
      lib: [v('1.4.0'), v('2.0.0')],
    };
    const plan = resolve(c, 'app');
    expect(plan.changes.map((x) => `${x.pluginId}@${x.version}`)).toEqual(['lib@1.4.0', 'app@1.0.0']);
  });

  it('backtracks inside the graph: an older dependency that agrees with the others', () => {
    const c: Catalogue = {
      app: [v('1.0.0', { deps: [req('b'), req('c', '^1.0.0')] })],
      b: [v('2.0.0', { deps: [req('c', '^2.0.0')] }), v('1.0.0', { deps: [req('c', '^1.0.0')] })],
      c: [v('2.0.0'), v('1.5.0')],
    };
    const plan = resolve(c, 'app');
    expect(Object.fromEntries(plan.changes.map((x) => [x.pluginId, x.version]))).toEqual({
      app: '1.0.0',
      b: '1.0.0',
      c: '1.5.0',
    });
    expect(plan.loadOrder).toEqual(['c', 'b', 'app']);
  });

  it('stops a search that explodes with DEPENDENCY_CONFLICT too-complex', () => {
    const ten = (deps: CatalogueVersion['dependencies'] = []) =>
      Array.from({ length: 10 }, (_, i) => v(`1.${i}.0`, { deps }));
    const c: Catalogue = {
      app: [v('1.0.0', { deps: ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => req(id)) })],
      a: ten(),
      b: ten(),
      c: ten(),
      d: ten(),
      e: ten(),
      f: ten([req('a', '=0.0.1')]),
    };
    const error = failure(() => resolve(c, 'app'));
    expect(error.code).toBe('DEPENDENCY_CONFLICT');
    expect(error.details).toMatchObject({ reason: 'too-complex' });
  });
});

describe('resolvePluginInstall — installed plugins', () => {
  const plugins: Catalogue = {
    core: [v('1.0.0'), v('1.5.0'), v('2.0.0')],
    chat: [v('1.0.0', { deps: [req('core', '^1.0.0')] })],
    shop: [v('1.0.0', { deps: [req('core', '^2.0.0')] })],
    hello: [v('1.0.0', { deps: [req('core', '>=1.0.0')] }), v('1.1.0', { deps: [req('core', '>=1.0.0')] })],
    spawn: [v('1.0.0', { deps: [req('core', '^1.5.0')] })],
  };

  it('keeps an installed dependency that still satisfies every range', () => {
    const installed = installedFrom(plugins, { core: { version: '1.0.0', asDependency: true } });
    const plan = resolve(plugins, 'hello', { installed });
    expect(plan.changes.map((c) => c.pluginId)).toEqual(['hello']);
    expect(plan.loadOrder).toEqual(['core', 'hello']);
  });

  it('upgrades an installed dependency when a range needs it, and says so', () => {
    const installed = installedFrom(plugins, { core: { version: '1.0.0', asDependency: true } });
    const plan = resolve(plugins, 'spawn', { installed });
    expect(plan.changes[0]).toEqual({
      pluginId: 'core',
      version: '1.5.0',
      action: 'upgrade',
      previousVersion: '1.0.0',
      asDependency: true,
      requiredBy: ['spawn'],
    });
  });

  it('upgrades the requested plugin itself, and changes nothing when it is current', () => {
    const installed = installedFrom(plugins, { core: '1.0.0', hello: '1.0.0' });
    expect(resolve(plugins, 'hello', { installed }).changes).toMatchObject([
      { pluginId: 'hello', action: 'upgrade', previousVersion: '1.0.0', version: '1.1.0' },
    ]);
    const current = installedFrom(plugins, { core: '1.0.0', hello: '1.1.0' });
    expect(resolve(plugins, 'hello', { installed: current }).changes).toEqual([]);
    expect(resolve(plugins, 'hello', { installed, version: '1.0.0' }).changes).toEqual([]);
  });

  it('refuses to break an installed plugin and reports the chain and the conflicting requirement', () => {
    const installed = installedFrom(plugins, { core: '1.0.0', chat: '1.0.0' });
    const error = failure(() => resolve(plugins, 'shop', { installed }));
    expect(error.code).toBe('DEPENDENCY_CONFLICT');
    expect(error.details).toEqual({
      reason: 'no-version-satisfies',
      plugin_id: 'core',
      chain: [
        { plugin_id: 'shop', version: '1.0.0' },
        { plugin_id: 'core', version_range: '^2.0.0' },
      ],
      conflicts: expect.arrayContaining([
        { plugin_id: 'chat', version: '1.0.0', requires: 'core', version_range: '^1.0.0', installed: true },
        { plugin_id: 'shop', version: '1.0.0', requires: 'core', version_range: '^2.0.0', installed: false },
      ]) as unknown,
    });
  });

  it('refuses an explicit version that an installed plugin does not accept', () => {
    const installed = installedFrom(plugins, { core: '1.0.0', chat: '1.0.0' });
    const error = failure(() => resolve(plugins, 'core', { installed, version: '2.0.0' }));
    expect(error.code).toBe('DEPENDENCY_CONFLICT');
    expect(error.details).toMatchObject({ plugin_id: 'core', chain: [{ plugin_id: 'core' }] });
  });
});

describe('resolvePluginInstall — failures with a chain', () => {
  it('reports a missing dependency', () => {
    const c: Catalogue = {
      app: [v('1.0.0', { deps: [req('lib', '^1.0.0')] })],
      lib: [v('1.0.0', { deps: [req('ghost')] })],
    };
    const error = failure(() => resolve(c, 'app'));
    expect(error.code).toBe('DEPENDENCY_CONFLICT');
    expect(error.details).toMatchObject({
      reason: 'missing',
      plugin_id: 'ghost',
      chain: [
        { plugin_id: 'app', version: '1.0.0' },
        { plugin_id: 'lib', version_range: '^1.0.0', version: '1.0.0' },
        { plugin_id: 'ghost', version_range: '*' },
      ],
    });
  });

  it('reports a dependency with no version for this server', () => {
    const c: Catalogue = {
      app: [v('1.0.0', { deps: [req('lib')] })],
      lib: [v('1.0.0', { dist: ['paper'] })],
    };
    expect(failure(() => resolve(c, 'app')).details).toMatchObject({
      reason: 'incompatible',
      plugin_id: 'lib',
    });
  });

  it('reports an invalid range instead of matching everything', () => {
    const c: Catalogue = { app: [v('1.0.0', { deps: [req('lib', 'banana')] })], lib: [v('1.0.0')] };
    expect(failure(() => resolve(c, 'app')).details).toMatchObject({
      reason: 'invalid-range',
      plugin_id: 'lib',
    });
  });
});

describe('resolvePluginInstall — optional dependencies', () => {
  it('adds an absent optional dependency that resolves', () => {
    const c: Catalogue = { app: [v('1.0.0', { deps: [opt('extra', '^1.0.0')] })], extra: [v('1.1.0')] };
    const plan = resolve(c, 'app');
    expect(plan.changes.map((x) => `${x.pluginId}@${x.version}`)).toEqual(['extra@1.1.0', 'app@1.0.0']);
    expect(plan.changes[0]!.asDependency).toBe(true);
  });

  it('skips an absent optional dependency that does not resolve, and says why', () => {
    const c: Catalogue = {
      app: [v('1.0.0', { deps: [opt('extra'), opt('gone'), opt('old', '^2.0.0')] })],
      extra: [v('1.0.0', { dist: ['paper'] })],
      old: [v('1.0.0')],
    };
    const plan = resolve(c, 'app');
    expect(plan.changes.map((x) => x.pluginId)).toEqual(['app']);
    expect(plan.skippedOptional).toEqual([
      { pluginId: 'extra', requiredBy: 'app', reason: 'incompatible' },
      { pluginId: 'gone', requiredBy: 'app', reason: 'missing' },
      { pluginId: 'old', requiredBy: 'app', reason: 'no-version-satisfies' },
    ]);
  });

  it('holds a present optional dependency to its range: upgrade it, or refuse', () => {
    const c: Catalogue = {
      app: [v('1.0.0', { deps: [opt('extra', '^2.0.0')] })],
      extra: [v('1.0.0'), v('2.0.0')],
      pinned: [v('1.0.0', { deps: [req('extra', '^1.0.0')] })],
    };
    const upgraded = resolve(c, 'app', { installed: installedFrom(c, { extra: '1.0.0' }) });
    expect(upgraded.changes[0]).toMatchObject({ pluginId: 'extra', action: 'upgrade', version: '2.0.0' });

    const installed = installedFrom(c, { extra: '1.0.0', pinned: '1.0.0' });
    const error = failure(() => resolve(c, 'app', { installed }));
    expect(error.code).toBe('DEPENDENCY_CONFLICT');
    expect(error.details).toMatchObject({ plugin_id: 'extra' });
  });
});

describe('resolvePluginInstall — cycles', () => {
  it('refuses a cycle of required dependencies and reports its path', () => {
    const c: Catalogue = {
      a: [v('1.0.0', { deps: [req('b')] })],
      b: [v('1.0.0', { deps: [req('c')] })],
      c: [v('1.0.0', { deps: [req('a')] })],
    };
    const error = failure(() => resolve(c, 'a'));
    expect(error.code).toBe('DEPENDENCY_CONFLICT');
    expect(error.details).toMatchObject({
      reason: 'cycle',
      cycle: ['a', 'b', 'c', 'a'],
      chain: [
        { plugin_id: 'a', version: '1.0.0' },
        { plugin_id: 'b', version_range: '*', version: '1.0.0' },
        { plugin_id: 'c', version_range: '*', version: '1.0.0' },
        { plugin_id: 'a', version_range: '*', version: '1.0.0' },
      ],
    });
  });

  it('refuses a plugin that requires itself', () => {
    const c: Catalogue = { a: [v('1.0.0', { deps: [req('a')] })] };
    expect(failure(() => resolve(c, 'a')).details).toMatchObject({ reason: 'cycle', cycle: ['a', 'a'] });
  });

  it('allows a cycle through an optional dependency, ordering by the required edge', () => {
    const c: Catalogue = {
      a: [v('1.0.0', { deps: [req('b')] })],
      b: [v('1.0.0', { deps: [opt('a')] })],
    };
    const plan = resolve(c, 'a');
    expect(plan.loadOrder).toEqual(['b', 'a']);
  });

  it('escapes a cycle by backtracking to a version without it', () => {
    const c: Catalogue = {
      a: [v('1.0.0', { deps: [req('b')] })],
      b: [v('2.0.0', { deps: [req('a')] }), v('1.0.0')],
    };
    expect(resolve(c, 'a').changes.map((x) => `${x.pluginId}@${x.version}`)).toEqual(['b@1.0.0', 'a@1.0.0']);
  });
});

describe('dependentsOf and orphansAfterRemoval', () => {
  const c: Catalogue = {
    core: [v('1.0.0')],
    economy: [v('1.0.0', { deps: [req('core')] })],
    shop: [v('1.0.0', { deps: [req('economy')] })],
    hello: [v('1.0.0', { deps: [opt('economy')] })],
  };

  it('lists the installed plugins that require a plugin, ignoring optional dependents', () => {
    const installed = installedFrom(c, { core: '1.0.0', economy: '1.0.0', shop: '1.0.0', hello: '1.0.0' });
    expect(dependentsOf('economy', installed).map((p) => p.pluginId)).toEqual(['shop']);
    expect(dependentsOf('shop', installed)).toEqual([]);
  });

  it('frees the dependencies nothing reaches any more', () => {
    const installed = installedFrom(c, {
      core: { version: '1.0.0', asDependency: true },
      economy: { version: '1.0.0', asDependency: true },
      shop: '1.0.0',
    });
    expect(orphansAfterRemoval('shop', installed)).toEqual(['core', 'economy']);
    const withHello = [...installed, ...installedFrom(c, { hello: '1.0.0' })];
    expect(orphansAfterRemoval('shop', withHello)).toEqual([]);
  });
});
