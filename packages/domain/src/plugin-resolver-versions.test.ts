import { describe, expect, it } from 'vitest';
import { loadOrder } from './plugin-resolver-graph.js';
import {
  compareVersionsDescending,
  parsePluginVersion,
  satisfiesRange,
  supportsMinecraftVersion,
} from './plugin-resolver-versions.js';

describe('supportsMinecraftVersion', () => {
  it.each([
    [['1.20'], '1.20', true],
    [['1.20'], '1.20.0', true],
    [['1.20.0'], '1.20', true],
    [['1.20'], '1.20.4', false],
    [['1.20.x'], '1.20.4', true],
    [['1.20.x'], '1.20', true],
    [['1.20.x'], '1.21', false],
    [['1.16-1.18.2'], '1.17.1', true],
    [['1.16-1.18.2'], '1.18.2', true],
    [['1.16-1.18.2'], '1.18.3', false],
    [['1.16-1.18.2'], '1.15.2', false],
    [['1.8.8-1.21.4'], '1.20.2', true],
    [['*'], '23w31a', true],
    [['23w31a'], '23w31a', true],
    // A pre-release is not the release it coerces to.
    [['1.20'], '1.20-pre1', false],
    [['1.20-pre1'], '1.20', false],
    [['1.20.x'], '1.20.2-rc1', false],
    [[], '1.20.2', false],
  ] as const)('%j supports %s: %s', (supported, server, expected) => {
    expect(supportsMinecraftVersion(supported, server)).toBe(expected);
  });
});

describe('plugin versions', () => {
  it('parses non-semver plugin versions so they order', () => {
    expect(parsePluginVersion('1.0')?.version).toBe('1.0.0');
    expect(parsePluginVersion('v2.3')?.version).toBe('2.3.0');
    expect(parsePluginVersion('5.4.102')?.version).toBe('5.4.102');
    expect(parsePluginVersion('2.0.0-SNAPSHOT')?.version).toBe('2.0.0-SNAPSHOT');
    expect(parsePluginVersion('latest')).toBeNull();
  });

  it('matches ranges, pre-releases included, and nothing for an invalid range', () => {
    expect(satisfiesRange('1.4', '^1.2.0')).toBe(true);
    expect(satisfiesRange('2.0.0-beta.1', '^2.0.0-0')).toBe(true);
    expect(satisfiesRange('2.0.0-beta.1', '*')).toBe(true);
    expect(satisfiesRange('1.0.0', 'banana')).toBe(false);
    expect(satisfiesRange('latest', '*')).toBe(false);
  });

  it('sorts newest first, unparseable last', () => {
    const sorted = ['1.0', 'latest', '1.10.0', '1.9.0', '2.0.0-rc.1'].sort(compareVersionsDescending);
    expect(sorted).toEqual(['2.0.0-rc.1', '1.10.0', '1.9.0', '1.0', 'latest']);
  });
});

describe('loadOrder', () => {
  it('puts dependencies first, deterministically', () => {
    const result = loadOrder(
      ['c', 'a', 'b'],
      [
        { from: 'a', to: 'b', optional: false },
        { from: 'c', to: 'b', optional: true },
      ],
    );
    expect(result).toEqual({ ok: true, order: ['b', 'a', 'c'] });
  });

  it('drops an optional edge to break a cycle, never a required one', () => {
    expect(
      loadOrder(
        ['a', 'b'],
        [
          { from: 'a', to: 'b', optional: true },
          { from: 'b', to: 'a', optional: false },
        ],
      ),
    ).toEqual({ ok: true, order: ['a', 'b'] });
    expect(
      loadOrder(
        ['a', 'b'],
        [
          { from: 'a', to: 'b', optional: false },
          { from: 'b', to: 'a', optional: false },
          { from: 'b', to: 'a', optional: true },
        ],
      ),
    ).toEqual({ ok: false, cycle: ['a', 'b', 'a'] });
  });

  it('ignores edges to plugins that are not there', () => {
    expect(loadOrder(['a'], [{ from: 'a', to: 'ghost', optional: false }])).toEqual({
      ok: true,
      order: ['a'],
    });
  });
});
