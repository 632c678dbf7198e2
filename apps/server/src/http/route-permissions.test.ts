import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '@minefleet/domain/permissions';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { routeDeclarations } from './auth.js';

/**
 * Every route of the control plane names the permission it needs in its route definition
 * (`config: { permission: 'backup.create' }`, or `public` / `account`). A new route without one fails
 * here: add the key (docs/security.md says how).
 */
describe('route permissions', () => {
  let cp: RunningControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend());
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('every route declares a known permission key', () => {
    const routes = cp.controlPlane.app.routeAccess;
    expect(routes.length).toBeGreaterThan(50);
    const known = new Set<string>([...PERMISSIONS, 'public', 'account']);
    expect(routes.filter((r) => !known.has(r.permission))).toEqual([]);
  });

  it('a route without a permission, or with an unknown one, is refused at registration', () => {
    expect(() => routeDeclarations({ method: 'GET', url: '/api/v1/x' })).toThrow(
      /does not declare config.permission/,
    );
    expect(() =>
      routeDeclarations({
        method: 'GET',
        url: '/api/v1/x',
        config: { permission: 'server.teleport' as never },
      }),
    ).toThrow(/unknown permission "server.teleport"/);
    expect(
      routeDeclarations({
        method: ['GET', 'HEAD'],
        url: '/api/v1/x',
        config: { permission: 'backup.create' },
      }),
    ).toEqual([{ method: 'GET', url: '/api/v1/x', permission: 'backup.create' }]);
  });

  it('docs/security.md describes every permission', async () => {
    const { readFile } = await import('node:fs/promises');
    const doc = await readFile(new URL('../../../../docs/security.md', import.meta.url), 'utf8');
    expect(PERMISSIONS.filter((p) => !doc.includes(`\`${p}\``))).toEqual([]);
  });
});
