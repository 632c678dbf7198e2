import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp as copy, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_CATALOGUE_DIR } from '@minefleet/plugins/local-catalogue-source';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

/**
 * The plugin routes' contract on every database backend: catalogue search and approval, installs with
 * their dependency graph, enable/disable, upgrade, removal rules, roles and tenant isolation, and a
 * tampered download refused with the server's plugin folder left exactly as it was.
 *
 * The control plane reads a copy of the shipped catalogue from a temporary folder: a folder other than
 * the shipped one is not trusted, so its versions start `pending` (the approval flow is exercised), and
 * the copy adds plugins built for the contract: a second hello version, a plugin for an old Minecraft
 * only, one that needs an mf-core that does not exist, and one whose file was altered after its hash
 * was recorded.
 */
const VERSION = '1.20.2';
const PASSWORD = 'a long test passphrase';

interface CatalogueFile {
  plugins: {
    slug: string;
    category: string;
    versions: Record<string, unknown>[];
    [key: string]: unknown;
  }[];
}

async function makeCatalogue(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-catalogue-'));
  await copy(BUILTIN_CATALOGUE_DIR, dir, { recursive: true });
  const file = path.join(dir, 'catalogue.json');
  const catalogue = JSON.parse(await readFile(file, 'utf8')) as CatalogueFile;
  const hello = catalogue.plugins.find((p) => p.slug === 'hello')!;
  const helloVersion = hello.versions[0]!;
  hello.versions.push({ ...helloVersion, version: '1.1.0' });
  const plugin = (slug: string, category: string, version: Record<string, unknown>) => ({
    slug,
    name: slug,
    description: `${slug} (contract test)`,
    category,
    author: 'Tests',
    versions: [{ ...helloVersion, ...version }],
  });
  catalogue.plugins.push(plugin('legacy', 'misc', { minecraft_versions: ['1.8.8'] }));
  catalogue.plugins.push(
    plugin('needs-core-2', 'misc', {
      dependencies: [{ plugin_id: 'local:mf-core', version_range: '^2.0.0', optional: false }],
    }),
  );
  // Same size, one byte different from what its hash describes: a download altered on the way.
  const original = Buffer.from('module.exports.server = () => { /* the published file */ };\n');
  const altered = Buffer.from('module.exports.server = () => { /* the altered   file */ };\n');
  expect(altered.length).toBe(original.length);
  await writeFile(path.join(dir, 'flying-squid', 'tampered.js'), altered);
  catalogue.plugins.push(
    plugin('tampered', 'misc', {
      file: 'flying-squid/tampered.js',
      sha256: createHash('sha256').update(original).digest('hex'),
      size_bytes: original.length,
      dependencies: [{ plugin_id: 'local:announcer', version_range: '^1.0.0', optional: false }],
    }),
  );
  await writeFile(file, JSON.stringify(catalogue, null, 2));
  return dir;
}

/** Every file below `dir` with its content (empty when the folder does not exist). */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = await readFile(full, 'utf8');
  }
  return out;
}

describe.each(testBackends())('plugins API on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let catalogueDir: string;
  let admin: { token: string };
  let owner: SignedUp;
  let other: SignedUp;
  let viewerToken: string;
  let serverId: string;
  let secondServerId: string;
  const adminEmail = `platform-admin-${process.pid}-${Date.now()}@example.com`;

  const pluginsDir = (id: string) => cp.controlPlane.runtime.workspace(id).pluginsDir;
  const installations = async (id: string, token = owner.token) =>
    (await api.get(`/servers/${id}/plugins?per_page=100`, token)).body.plugins as {
      id: string;
      plugin_id: string;
      status: string;
      version: string;
      enabled: boolean;
      as_dependency: boolean;
      required_by: string[];
      error: { code: string } | null;
    }[];
  const installationOf = async (id: string, pluginId: string) =>
    (await installations(id)).find((i) => i.plugin_id === pluginId)!;
  /** Waits until no installation of the server is `installing`. */
  const settled = async (id: string) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const list = await installations(id);
      if (!list.some((i) => i.status === 'installing')) return list;
      if (Date.now() > deadline) throw new Error(`still installing: ${JSON.stringify(list)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const createServer = async (name: string) => {
    const res = await api.post(
      '/servers',
      { name, sku_id: 'starter', minecraft_version: VERSION },
      owner.token,
    );
    expect(res.status).toBe(202);
    await api.waitForStatus(res.body.id, owner.token, 'stopped');
    return res.body.id as string;
  };

  beforeAll(async () => {
    catalogueDir = await makeCatalogue();
    cp = await startControlPlane(backend, {
      env: {
        MINEFLEET_LOCAL_CATALOGUE: catalogueDir,
        MINEFLEET_PLATFORM_ADMINS: adminEmail,
        MINEFLEET_PLUGIN_SYNC_INTERVAL_MINUTES: '0',
      },
    });
    api = cp.api;
    expect((await api.post('/auth/signup', { email: adminEmail, password: PASSWORD })).status).toBe(202);
    admin = { token: (await api.post('/auth/login', { email: adminEmail, password: PASSWORD })).body.token };
    await api.verifyEmail(adminEmail);
    owner = await api.signup('plugins-owner');
    other = await api.signup('plugins-other');
    const viewer = await api.signup('plugins-viewer');
    await api.post('/members', { email: viewer.email, role: 'viewer' }, owner.token);
    viewerToken = (
      await api.post('/auth/login', {
        email: viewer.email,
        password: viewer.password,
        tenant_id: owner.tenantId,
      })
    ).body.token;
    [serverId, secondServerId] = await Promise.all([createServer('plugins-a'), createServer('plugins-b')]);
  });
  afterAll(async () => {
    await cp?.close();
    if (catalogueDir) await rm(catalogueDir, { recursive: true, force: true });
  });

  it('syncs an untrusted catalogue as pending: listed for review, not installable', async () => {
    const listed = await api.get('/plugins', owner.token);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ plugins: [], pagination: { page: 1, per_page: 20, total: 0 } });

    const pending = await api.get('/plugins?approval=pending&per_page=100', owner.token);
    expect(pending.body.plugins.map((p: { id: string }) => p.id).sort()).toEqual([
      'local:announcer',
      'local:hello',
      'local:join-message',
      'local:legacy',
      'local:mf-core',
      'local:needs-core-2',
      'local:spawn',
      'local:tampered',
    ]);

    const hello = await api.get('/plugins/local:hello', owner.token);
    expect(hello.status).toBe(200);
    expect(hello.body).toMatchObject({
      id: 'local:hello',
      source: 'local',
      category: 'chat',
      latest_version: null,
    });
    expect(hello.body.versions.map((v: { version: string }) => v.version)).toEqual(['1.1.0', '1.0.0']);
    expect(hello.body.versions[0]).toMatchObject({
      minecraft_versions: ['1.8.8-1.21.4'],
      distributions: ['flying-squid'],
      dependencies: [{ plugin_id: 'local:mf-core', version_range: '^1.0.0', optional: false }],
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      size_bytes: expect.any(Number),
      approval: 'pending',
    });

    const refused = await api.post(
      `/servers/${serverId}/plugins`,
      { plugin_id: 'local:hello', version: '1.0.0' },
      owner.token,
    );
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('PLUGIN_INCOMPATIBLE');
    expect(refused.body.error.details).toMatchObject({ plugin_id: 'local:hello', approval: 'pending' });
  });

  it('only platform administrators approve versions and sync the catalogue', async () => {
    const byOwner = await api.post(
      '/plugins/local:hello/versions/1.0.0/approval',
      { approval: 'approved' },
      owner.token,
    );
    expect(byOwner.status).toBe(403);
    expect(byOwner.body.error.code).toBe('FORBIDDEN');
    expect((await api.post('/plugins/sync', {}, owner.token)).status).toBe(403);

    const details = (await api.get('/plugins?approval=pending&per_page=100', admin.token)).body.plugins as {
      id: string;
    }[];
    for (const { id } of details) {
      const versions = (await api.get(`/plugins/${id}`, admin.token)).body.versions as { version: string }[];
      for (const { version } of versions) {
        const approved = await api.post(
          `/plugins/${id}/versions/${encodeURIComponent(version)}/approval`,
          { approval: 'approved' },
          admin.token,
        );
        expect(approved.status).toBe(200);
        expect(approved.body.approval).toBe('approved');
      }
    }
    const missing = await api.post(
      '/plugins/local:hello/versions/9.9.9/approval',
      { approval: 'approved' },
      admin.token,
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PLUGIN_NOT_FOUND');
    const bad = await api.post(
      '/plugins/local:hello/versions/1.0.0/approval',
      { approval: 'yes' },
      admin.token,
    );
    expect(bad.status).toBe(400);

    const synced = await api.post('/plugins/sync', {}, admin.token);
    expect(synced.status).toBe(200);
    expect(synced.body.sources).toEqual([
      {
        source: 'local',
        plugins: 8,
        versions_added: 0,
        versions_updated: 0,
        versions_reset_to_pending: 0,
        errors: [],
      },
    ]);
    // A sync keeps the administrator's decisions.
    expect((await api.get('/plugins/local:hello', owner.token)).body.latest_version).toBe('1.1.0');
    const unknown = await api.post('/plugins/sync', { plugin_ids: ['modrinth:AANobbMI'] }, admin.token);
    expect(unknown.status).toBe(502);
    expect(unknown.body.error.code).toBe('PLUGIN_SOURCE_UNAVAILABLE');
  });

  it('searches by text, category, Minecraft version and distribution', async () => {
    const ids = async (query: string) => {
      const res = await api.get(`/plugins?per_page=100${query}`, viewerToken);
      expect(res.status).toBe(200);
      return (res.body.plugins as { id: string }[]).map((p) => p.id).sort();
    };
    expect(await ids('&q=hello')).toEqual(['local:hello']);
    expect(await ids('&q=GREETS')).toEqual(['local:join-message']);
    expect(await ids('&category=chat')).toEqual(['local:announcer', 'local:hello', 'local:join-message']);
    expect(await ids('&category=chat&q=announc')).toEqual(['local:announcer']);
    expect(await ids(`&minecraft_version=${VERSION}`)).toHaveLength(7);
    expect(await ids('&minecraft_version=1.8.8')).toContain('local:legacy');
    expect(await ids(`&minecraft_version=${VERSION}`)).not.toContain('local:legacy');
    expect(await ids('&minecraft_version=1.7.10')).toEqual([]);
    expect(await ids('&distribution=paper')).toEqual([]);
    expect(await ids('&distribution=flying-squid')).toHaveLength(8);

    const page = await api.get('/plugins?per_page=3&page=2', viewerToken);
    expect(page.body.pagination).toEqual({ page: 2, per_page: 3, total: 8 });
    expect(page.body.plugins).toHaveLength(3);
    const hello = (await api.get('/plugins?q=hello', viewerToken)).body.plugins[0];
    expect(hello).toMatchObject({
      latest_version: '1.1.0',
      version_count: 2,
      distributions: ['flying-squid'],
    });

    expect((await api.get('/plugins?distribution=bedrock', viewerToken)).status).toBe(400);
    const missing = await api.get('/plugins/local:nope', viewerToken);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('PLUGIN_NOT_FOUND');
    expect((await api.get('/plugins/not-an-id', viewerToken)).status).toBe(400);
    expect((await api.get('/plugins')).status).toBe(401);
  });

  it('plans an install without changing anything (dry run)', async () => {
    const before = await snapshot(pluginsDir(serverId));
    const plan = await api.post(
      `/servers/${serverId}/plugins`,
      { plugin_id: 'local:hello', dry_run: true },
      owner.token,
    );
    expect(plan.status).toBe(200);
    expect(plan.body).toMatchObject({ installation: null, dry_run: true, applied: 'on_restart' });
    expect(
      plan.body.resolved.map((r: { plugin_id: string; version: string }) => `${r.plugin_id}@${r.version}`),
    ).toEqual(['local:mf-core@1.0.0', 'local:hello@1.1.0']);
    expect(plan.body.resolved[0]).toMatchObject({
      action: 'install',
      as_dependency: true,
      required_by: ['local:hello'],
    });
    expect(plan.body.load_order).toEqual(['local:mf-core', 'local:hello']);
    const viaQuery = await api.post(
      `/servers/${serverId}/plugins?dry_run=true`,
      { plugin_id: 'local:hello' },
      owner.token,
    );
    expect(viaQuery.status).toBe(200);
    expect(await snapshot(pluginsDir(serverId))).toEqual(before);
    expect(await installations(serverId)).toEqual([]);
  });

  it('installs a plugin with its dependency: 202, installing → installed, files, load order and config', async () => {
    const res = await api.post(
      `/servers/${serverId}/plugins`,
      { plugin_id: 'local:hello', version: '1.0.0', config_overrides: { greeting: 'Hi {player}"\n' } },
      owner.token,
    );
    expect(res.status).toBe(202);
    expect(res.body.installation).toMatchObject({
      plugin_id: 'local:hello',
      version: '1.0.0',
      status: 'installing',
      as_dependency: false,
    });
    expect(res.body.resolved.map((r: { plugin_id: string }) => r.plugin_id)).toEqual([
      'local:mf-core',
      'local:hello',
    ]);
    expect(res.body.applied).toBe('on_restart');

    const list = await settled(serverId);
    expect(list.map((i) => [i.plugin_id, i.status, i.as_dependency]).sort()).toEqual([
      ['local:hello', 'installed', false],
      ['local:mf-core', 'installed', true],
    ]);
    expect(list.find((i) => i.plugin_id === 'local:mf-core')!.required_by).toEqual(['local:hello']);
    const dir = pluginsDir(serverId);
    const files = await snapshot(dir);
    expect(Object.keys(files).sort()).toEqual([
      'hello.js',
      'hello/config.json',
      'load-order.json',
      'mf-core.js',
      'package.json',
    ]);
    expect(JSON.parse(files['load-order.json']!)).toEqual(['mf-core', 'hello']);
    expect(JSON.parse(files['hello/config.json']!)).toEqual({ greeting: 'Hi {player}"\n' });
    expect(JSON.parse(files['package.json']!)).toEqual({ type: 'commonjs' });
    expect(files['hello.js']).toBe(
      await readFile(path.join(BUILTIN_CATALOGUE_DIR, 'flying-squid', 'hello.js'), 'utf8'),
    );

    const one = await api.get(`/servers/${serverId}/plugins/${res.body.installation.id}`, viewerToken);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      plugin_name: 'Hello',
      config_overrides: { greeting: 'Hi {player}"\n' },
      error: null,
    });

    const again = await api.post(
      `/servers/${serverId}/plugins`,
      { plugin_id: 'local:hello', version: '1.0.0' },
      owner.token,
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('PLUGIN_ALREADY_INSTALLED');
  });

  it('refuses incompatible plugins and dependency conflicts with the chain', async () => {
    const legacy = await api.post(`/servers/${serverId}/plugins`, { plugin_id: 'local:legacy' }, owner.token);
    expect(legacy.status).toBe(409);
    expect(legacy.body.error.code).toBe('PLUGIN_INCOMPATIBLE');
    expect(legacy.body.error.details).toMatchObject({
      minecraft_version: VERSION,
      distribution: 'flying-squid',
    });

    const conflict = await api.post(
      `/servers/${serverId}/plugins`,
      { plugin_id: 'local:needs-core-2' },
      owner.token,
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('DEPENDENCY_CONFLICT');
    expect(conflict.body.error.details).toMatchObject({
      plugin_id: 'local:mf-core',
      chain: [{ plugin_id: 'local:needs-core-2' }, { plugin_id: 'local:mf-core', version_range: '^2.0.0' }],
    });

    const unknown = await api.post(`/servers/${serverId}/plugins`, { plugin_id: 'local:nope' }, owner.token);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('PLUGIN_NOT_FOUND');
    const badBody = await api.post(
      `/servers/${serverId}/plugins`,
      { plugin_id: 'local:hello', extra: 1 },
      owner.token,
    );
    expect(badBody.status).toBe(400);
  });

  it('refuses to remove or disable a dependency while a plugin requires it', async () => {
    const core = await installationOf(serverId, 'local:mf-core');
    const removed = await api.delete(`/servers/${serverId}/plugins/${core.id}`, owner.token);
    expect(removed.status).toBe(409);
    expect(removed.body.error.code).toBe('PLUGIN_HAS_DEPENDENTS');
    expect(removed.body.error.details.dependents[0].plugin_id).toBe('local:hello');
    const disabled = await api.patch(
      `/servers/${serverId}/plugins/${core.id}`,
      { enabled: false },
      owner.token,
    );
    expect(disabled.status).toBe(409);
    expect(disabled.body.error.code).toBe('PLUGIN_HAS_DEPENDENTS');
    expect(existsSync(path.join(pluginsDir(serverId), 'mf-core.js'))).toBe(true);
  });

  it('disables (file renamed, out of the load order), re-enables and reconfigures', async () => {
    const dir = pluginsDir(serverId);
    const hello = await installationOf(serverId, 'local:hello');
    const off = await api.patch(`/servers/${serverId}/plugins/${hello.id}`, { enabled: false }, owner.token);
    expect(off.status).toBe(200);
    expect(off.body.installation).toMatchObject({ status: 'disabled', enabled: false });
    expect(off.body.applied).toBe('on_restart');
    expect(existsSync(path.join(dir, 'hello.js'))).toBe(false);
    expect(existsSync(path.join(dir, 'hello.js.disabled'))).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, 'load-order.json'), 'utf8'))).toEqual(['mf-core']);

    const on = await api.patch(
      `/servers/${serverId}/plugins/${hello.id}`,
      { enabled: true, config_overrides: { greeting: 'Howdy' } },
      owner.token,
    );
    expect(on.status).toBe(200);
    expect(on.body.installation).toMatchObject({
      status: 'installed',
      enabled: true,
      config_overrides: { greeting: 'Howdy' },
    });
    expect(existsSync(path.join(dir, 'hello.js'))).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, 'hello', 'config.json'), 'utf8'))).toEqual({
      greeting: 'Howdy',
    });
    expect(JSON.parse(await readFile(path.join(dir, 'load-order.json'), 'utf8'))).toEqual([
      'mf-core',
      'hello',
    ]);
    expect((await api.patch(`/servers/${serverId}/plugins/${hello.id}`, {}, owner.token)).status).toBe(400);
  });

  it('upgrades to the newest approved version (202, then installed at the new version)', async () => {
    const hello = await installationOf(serverId, 'local:hello');
    const res = await api.patch(
      `/servers/${serverId}/plugins/${hello.id}`,
      { version: 'latest' },
      owner.token,
    );
    expect(res.status).toBe(202);
    expect(res.body.resolved).toEqual([
      expect.objectContaining({
        plugin_id: 'local:hello',
        version: '1.1.0',
        action: 'upgrade',
        previous_version: '1.0.0',
        as_dependency: false,
      }),
    ]);
    await settled(serverId);
    expect(await installationOf(serverId, 'local:hello')).toMatchObject({
      version: '1.1.0',
      status: 'installed',
    });
    const same = await api.patch(
      `/servers/${serverId}/plugins/${hello.id}`,
      { version: '1.1.0' },
      owner.token,
    );
    expect(same.status).toBe(200);
    expect(same.body.resolved).toEqual([]);
  });

  it('refuses a download that does not match its hash and leaves the plugin folder unchanged', async () => {
    const spawn = await api.post(
      `/servers/${secondServerId}/plugins`,
      { plugin_id: 'local:spawn' },
      owner.token,
    );
    expect(spawn.status).toBe(202);
    await settled(secondServerId);
    const before = await snapshot(pluginsDir(secondServerId));
    expect(Object.keys(before)).toContain('spawn.js');

    // tampered needs announcer (not installed): both are planned; announcer verifies, tampered does
    // not, and neither is placed.
    const res = await api.post(
      `/servers/${secondServerId}/plugins`,
      { plugin_id: 'local:tampered' },
      owner.token,
    );
    expect(res.status).toBe(202);
    expect(res.body.resolved.map((r: { plugin_id: string }) => r.plugin_id)).toEqual([
      'local:announcer',
      'local:tampered',
    ]);
    const list = await settled(secondServerId);
    const tampered = list.find((i) => i.plugin_id === 'local:tampered')!;
    expect(tampered.status).toBe('failed');
    expect(tampered.error?.code).toBe('PLUGIN_HASH_MISMATCH');
    expect(list.find((i) => i.plugin_id === 'local:announcer')!.status).toBe('failed');
    expect(await snapshot(pluginsDir(secondServerId))).toEqual(before);
    const names = await readdir(pluginsDir(secondServerId));
    expect(names.filter((n) => n.startsWith('.'))).toEqual([]);

    // A failed installation cannot be enabled; it can be removed.
    expect(
      (await api.patch(`/servers/${secondServerId}/plugins/${tampered.id}`, { enabled: true }, owner.token))
        .status,
    ).toBe(409);
    for (const failed of list.filter((i) => i.status === 'failed')) {
      expect((await api.delete(`/servers/${secondServerId}/plugins/${failed.id}`, owner.token)).status).toBe(
        200,
      );
    }
    expect(await snapshot(pluginsDir(secondServerId))).toEqual(before);
  });

  it('viewers read, admins change; another tenant’s server is not found', async () => {
    const hello = await installationOf(serverId, 'local:hello');
    expect((await api.get(`/servers/${serverId}/plugins`, viewerToken)).status).toBe(200);
    for (const res of [
      await api.post(`/servers/${serverId}/plugins`, { plugin_id: 'local:spawn' }, viewerToken),
      await api.patch(`/servers/${serverId}/plugins/${hello.id}`, { enabled: false }, viewerToken),
      await api.delete(`/servers/${serverId}/plugins/${hello.id}`, viewerToken),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('FORBIDDEN');
    }
    for (const res of [
      await api.get(`/servers/${serverId}/plugins`, other.token),
      await api.get(`/servers/${serverId}/plugins/${hello.id}`, other.token),
      await api.post(`/servers/${serverId}/plugins`, { plugin_id: 'local:spawn' }, other.token),
      await api.patch(`/servers/${serverId}/plugins/${hello.id}`, { enabled: false }, other.token),
      await api.delete(`/servers/${serverId}/plugins/${hello.id}`, other.token),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('SERVER_NOT_FOUND');
    }
    const otherServer = await api.post(
      '/servers',
      { name: 'other-plugins', sku_id: 'starter', minecraft_version: VERSION },
      other.token,
    );
    await api.waitForStatus(otherServer.body.id, other.token, 'stopped');
    const wrongServer = await api.delete(`/servers/${otherServer.body.id}/plugins/${hello.id}`, other.token);
    expect(wrongServer.status).toBe(404);
    expect(wrongServer.body.error.code).toBe('INSTALLATION_NOT_FOUND');
    expect((await api.get(`/servers/${serverId}/plugins/not-a-uuid`, owner.token)).body.error.code).toBe(
      'INVALID_ID',
    );
  });

  it('removes the plugin, then its dependency; or both at once with remove_orphans', async () => {
    const hello = await installationOf(serverId, 'local:hello');
    const removed = await api.delete(`/servers/${serverId}/plugins/${hello.id}`, owner.token);
    expect(removed.status).toBe(200);
    expect(removed.body).toEqual({
      removed: [{ id: hello.id, plugin_id: 'local:hello' }],
      orphans: ['local:mf-core'],
      applied: 'on_restart',
    });
    const core = await installationOf(serverId, 'local:mf-core');
    expect((await api.delete(`/servers/${serverId}/plugins/${core.id}`, owner.token)).status).toBe(200);
    expect(await installations(serverId)).toEqual([]);
    const files = await snapshot(pluginsDir(serverId));
    expect(Object.keys(files).sort()).toEqual(['load-order.json', 'package.json']);
    expect(JSON.parse(files['load-order.json']!)).toEqual([]);

    const spawn = await installationOf(secondServerId, 'local:spawn');
    const both = await api.delete(
      `/servers/${secondServerId}/plugins/${spawn.id}?remove_orphans=true`,
      owner.token,
    );
    expect(both.status).toBe(200);
    expect(both.body.removed.map((r: { plugin_id: string }) => r.plugin_id).sort()).toEqual([
      'local:mf-core',
      'local:spawn',
    ]);
    expect(both.body.orphans).toEqual([]);
    expect(await installations(secondServerId)).toEqual([]);
  });
});
