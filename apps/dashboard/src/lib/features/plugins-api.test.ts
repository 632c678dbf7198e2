import { describe, expect, it } from 'vitest';
// The API's own rule, read from its source: the dashboard's copy must answer the same.
import { supportsMinecraftVersion as apiRule } from '@minefleet/domain/plugin-resolver-versions';
import { compatibility, supportsMinecraftVersion } from './plugins-api.js';

describe('plugin compatibility', () => {
  const supported = [
    ['*'],
    ['1.20.2'],
    ['1.20'],
    ['1.20.x'],
    ['1.19.X'],
    ['1.16-1.18.2'],
    ['1.20-pre1'],
    ['23w31a'],
    ['1.8.8', '1.21.x'],
    [],
  ];
  const servers = [
    '1.20.2',
    '1.20',
    '1.20.0',
    '1.19.4',
    '1.18.2',
    '1.18.3',
    '1.16',
    '1.21.4',
    '1.8.8',
    '1.20-pre1',
    '23w31a',
  ];
  it.each(supported.flatMap((s) => servers.map((v) => [s, v] as const)))(
    '%j on %s agrees with the API',
    (list, version) => {
      expect(supportsMinecraftVersion(list, version)).toBe(apiRule(list, version));
    },
  );

  it('says why a version does not fit', () => {
    const v = { minecraft_versions: ['1.20.x'], distributions: ['flying-squid' as const] };
    expect(compatibility(v, { minecraft_version: '1.20.2', distribution: 'flying-squid' })).toEqual({
      ok: true,
    });
    expect(compatibility(v, { minecraft_version: '1.21.4', distribution: 'flying-squid' }).reason).toBe(
      'not for 1.21.4',
    );
    expect(compatibility(v, { minecraft_version: '1.20.2', distribution: 'paper' }).reason).toBe(
      'not for paper',
    );
    expect(
      compatibility(
        { ...v, approval: 'pending' },
        { minecraft_version: '1.20.2', distribution: 'flying-squid' },
      ).reason,
    ).toBe('not approved (pending)');
  });
});
