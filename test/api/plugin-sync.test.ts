import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../packages/plugins/src/fixtures/api-server.js';
import { modrinthChunkyBorder } from '../../packages/plugins/src/fixtures/modrinth-chunky.js';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { TestApi } from '@minefleet/testkit/api';

/**
 * Catalogue sync from a remote source through the API: the real Modrinth client (configured by
 * MINEFLEET_MODRINTH_URL, as an operator would point it at a mirror) against a loopback server that
 * answers with recorded Modrinth v2 payloads. Versions from Modrinth start `pending`, only a platform
 * administrator's approval makes them searchable as installable, and a version whose file changes at
 * the source goes back to review.
 */
const PASSWORD = 'a long test passphrase';
const PLUGIN = 'modrinth:s86X568j'; // ChunkyBorder
const PAPER_BUILD = '1.2.23+paper.purpur';

describe.each(testBackends())('plugin catalogue sync from Modrinth on %s', (backend) => {
  let modrinth: ApiServer;
  let cp: RunningControlPlane;
  let api: TestApi;
  let adminToken: string;
  let adminSignupUser: { is_platform_admin: boolean };
  /** Set to make the source publish another file under the same version number. */
  let reuploaded = false;
  const adminEmail = `sync-admin-${process.pid}-${Date.now()}@example.com`;

  beforeAll(async () => {
    modrinth = await startApiServer(
      modrinthChunkyBorder((versions) => {
        if (reuploaded) versions.find((v) => v.id === 'hpu2D9Zq')!.files[0]!.hashes.sha512 = 'ab'.repeat(64);
        return versions;
      }),
    );
    cp = await startControlPlane(backend, {
      env: {
        MINEFLEET_PLUGIN_SOURCES: 'local,modrinth',
        MINEFLEET_MODRINTH_URL: `${modrinth.baseUrl}/v2`,
        MINEFLEET_PLUGIN_SYNC_INTERVAL_MINUTES: '0',
        MINEFLEET_PLATFORM_ADMINS: adminEmail,
      },
    });
    api = cp.api;
    expect((await api.post('/auth/signup', { email: adminEmail, password: PASSWORD })).status).toBe(202);
    const signedIn = await api.post('/auth/login', { email: adminEmail, password: PASSWORD });
    adminToken = signedIn.body.token;
    adminSignupUser = signedIn.body.user;
    // A listed address counts once it is proven: follow the link mailed to it.
    await api.verifyEmail(adminEmail);
  });
  afterAll(async () => {
    await cp?.close();
    await modrinth?.close();
  });

  it('tells an administrator named in MINEFLEET_PLATFORM_ADMINS who signed up after the start so in /me once verified', async () => {
    // Not at sign-up (anyone can type the address), only after the emailed link was followed.
    expect(adminSignupUser.is_platform_admin).toBe(false);
    const me = await api.get('/me', adminToken);
    expect(me.status).toBe(200);
    expect(me.body.user).toMatchObject({ email: adminEmail, is_platform_admin: true });
    const other = await api.signup('not-admin');
    expect((await api.get('/me', other.token)).body.user.is_platform_admin).toBe(false);
  });

  it('syncs Modrinth’s plugins as pending, with their hashes, dependencies and distributions', async () => {
    const res = await api.post('/plugins/sync', { sources: ['modrinth'] }, adminToken);
    expect(res.status).toBe(200);
    const [report] = res.body.sources;
    expect(report).toMatchObject({ source: 'modrinth', plugins: 1 });
    expect(report.errors).toEqual([
      expect.objectContaining({ plugin_id: 'modrinth:fALzjamp', code: 'PLUGIN_NOT_FOUND' }),
    ]);
    expect(modrinth.requests.every((r) => (r.headers['user-agent'] ?? '').startsWith('minefleet/'))).toBe(
      true,
    );

    const plugin = await api.get(`/plugins/${PLUGIN}`, adminToken);
    expect(plugin.status).toBe(200);
    expect(plugin.body).toMatchObject({ name: 'ChunkyBorder', source: 'modrinth', latest_version: null });
    const paper = plugin.body.versions.find((v: { version: string }) => v.version === PAPER_BUILD);
    expect(paper).toMatchObject({
      distributions: ['paper', 'purpur'],
      approval: 'pending',
      sha512: expect.stringMatching(/^[0-9a-f]{128}$/),
      dependencies: expect.arrayContaining([
        { plugin_id: 'modrinth:fALzjamp', version_range: '*', optional: false },
      ]),
    });
    expect(plugin.body.versions.every((v: { approval: string }) => v.approval === 'pending')).toBe(true);

    expect((await api.get('/plugins?distribution=paper', adminToken)).body.plugins).toEqual([]);
    const queue = await api.get(
      '/plugins?approval=pending&distribution=paper&minecraft_version=1.21',
      adminToken,
    );
    expect(queue.body.plugins.map((p: { id: string }) => p.id)).toEqual([PLUGIN]);
  });

  it('an approved version becomes searchable as installable; a sync keeps the decision', async () => {
    const approved = await api.post(
      `/plugins/${PLUGIN}/versions/${encodeURIComponent(PAPER_BUILD)}/approval`,
      { approval: 'approved' },
      adminToken,
    );
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ version: PAPER_BUILD, approval: 'approved' });

    const bySlug = await api.post('/plugins/sync', { plugin_ids: ['modrinth:chunkyborder'] }, adminToken);
    expect(bySlug.body.sources[0]).toMatchObject({
      plugins: 1,
      versions_added: 0,
      versions_reset_to_pending: 0,
    });
    const found = await api.get('/plugins?distribution=paper&minecraft_version=1.21&q=border', adminToken);
    expect(found.body.plugins).toEqual([
      expect.objectContaining({
        id: PLUGIN,
        latest_version: PAPER_BUILD,
        distributions: ['paper', 'purpur'],
      }),
    ]);
    expect((await api.get('/plugins?distribution=fabric', adminToken)).body.plugins).toEqual([]);
    expect(
      (await api.get('/plugins?distribution=paper&minecraft_version=1.19.4', adminToken)).body.plugins,
    ).toEqual([]);
  });

  it('a version whose file changed at the source goes back to pending', async () => {
    reuploaded = true;
    const res = await api.post('/plugins/sync', { plugin_ids: [PLUGIN] }, adminToken);
    expect(res.body.sources[0]).toMatchObject({ versions_updated: 1, versions_reset_to_pending: 1 });
    const plugin = await api.get(`/plugins/${PLUGIN}`, adminToken);
    expect(plugin.body.versions.find((v: { version: string }) => v.version === PAPER_BUILD)).toMatchObject({
      approval: 'pending',
      sha512: 'ab'.repeat(64),
    });
    expect((await api.get('/plugins?distribution=paper', adminToken)).body.plugins).toEqual([]);
  });
});
