import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Server } from '@minefleet/api-client/client';
import { appContextMap } from '../../lib/app-context.js';
import { ServerStore } from '../../lib/live/server-store.svelte.js';
import { fakeApi, testApp } from '../../test-helpers.js';
import BackupsTab from './BackupsTab.svelte';
import PluginsTab from './PluginsTab.svelte';

/**
 * The Backups and Plugins tabs against the API contract (docs/api.md, docs/backups.md, docs/plugins.md), answered by a fake API,
 * plus their honest state while the control plane has no such routes (what it answers today).
 */
const ID = '44444444-4444-4444-8444-444444444444';
const ME = {
  user: { id: 'u', email: 'a@b.co', display_name: '', created_at: '', is_platform_admin: false },
  tenant: { id: 't', name: 'T', created_at: '' },
  role: 'owner',
  tenants: [],
  quota: { servers: { used: 1, limit: 10 }, memory_mb: { used: 0, limit: 1 } },
};

async function mountTab(
  component: typeof BackupsTab | typeof PluginsTab,
  routes: Parameters<typeof fakeApi>[0],
) {
  const api = fakeApi({ 'GET /api/v1/me': { body: ME }, ...routes });
  const app = testApp(api.fetch, { token: 't' });
  await app.session.refresh();
  const store = new ServerStore({ api: app.session.api, source: app.hub().ready, serverId: ID });
  store.server = {
    id: ID,
    name: 'survival',
    status: 'running',
    minecraft_version: '1.20.2',
    distribution: 'flying-squid',
  } as Server;
  render(component, { props: { store }, context: appContextMap(app) });
  return api;
}

describe('backups tab', () => {
  it('says backups are not available while the control plane has no backups route', async () => {
    await mountTab(BackupsTab, {});
    expect((await screen.findByTestId('unavailable')).textContent).toContain(
      'Backups is not available on this server yet.',
    );
  });

  it('creates a backup with name, compression and tags; restores with the pre-restore backup offered', async () => {
    const backup = {
      id: 'b1',
      server_id: ID,
      name: 'before-update',
      status: 'completed',
      type: 'manual',
      compression: 'zstd',
      size_bytes: 5 * 1024 * 1024,
      sha256: 'x',
      tags: ['weekly'],
      created_at: '2025-01-01T00:00:00Z',
    };
    const api = await mountTab(BackupsTab, {
      [`GET /api/v1/servers/${ID}/backups`]: {
        body: {
          backups: [backup],
          pagination: { page: 1, per_page: 50, total: 1 },
          quota: { used_bytes: 5 * 1024 * 1024, limit_bytes: 1024 ** 3 },
        },
      },
      [`POST /api/v1/servers/${ID}/backups`]: {
        status: 202,
        body: { ...backup, id: 'b2', status: 'pending' },
      },
      [`POST /api/v1/servers/${ID}/backups/b1/restore`]: { status: 202, body: {} },
      [`GET /api/v1/servers/${ID}/schedules`]: {
        body: {
          schedules: [
            {
              id: 's1',
              cron: '0 4 * * *',
              action: 'backup',
              enabled: true,
              next_run_at: '2025-01-02T04:00:00Z',
            },
          ],
        },
      },
    });
    const user = userEvent.setup();
    const row = await screen.findByTestId('backup-row');
    expect(row.textContent).toContain('before-update');
    expect(row.textContent).toContain('5.0 MB');
    expect(screen.getByText(/Backup storage: 5.0 MB of 1.0 GB/)).toBeTruthy();
    expect(await screen.findByText('0 4 * * *')).toBeTruthy();

    await user.type(screen.getByLabelText(/^Name/), 'nightly');
    await user.selectOptions(screen.getByLabelText('Compression'), 'gzip');
    await user.type(screen.getByLabelText(/^Tags/), 'a, b');
    await user.click(screen.getByRole('button', { name: 'Back up now' }));
    await vi.waitFor(() =>
      expect(api.requests.some((r) => r.method === 'POST' && r.path.endsWith('/backups'))).toBe(true),
    );
    expect(api.requests.find((r) => r.method === 'POST' && r.path.endsWith('/backups'))!.body).toEqual({
      name: 'nightly',
      compression: 'gzip',
      tags: ['a', 'b'],
    });

    await user.click(within(row).getByRole('button', { name: 'Restore…' }));
    const preRestore = screen.getByLabelText(
      'Back up the current world first (recommended)',
    ) as HTMLInputElement;
    expect(preRestore.checked).toBe(true);
    await user.click(screen.getByRole('button', { name: 'Restore' }));
    await vi.waitFor(() => expect(api.requests.some((r) => r.path.endsWith('/restore'))).toBe(true));
    expect(api.requests.find((r) => r.path.endsWith('/restore'))!.body).toEqual({
      pre_restore_backup: true,
      start_after: true,
    });
  });
});

describe('plugins tab', () => {
  it('says plugins are not available while the control plane has no plugins route', async () => {
    await mountTab(PluginsTab, {});
    expect((await screen.findByTestId('unavailable')).textContent).toContain(
      'Plugins is not available on this server yet.',
    );
  });

  it('searches for this server’s version, shows compatibility and the install plan, installs', async () => {
    const summary = (id: string, name: string, minecraft_versions: string[]) => ({
      id,
      name,
      source: 'local',
      source_id: id,
      description: `${name} plugin`,
      category: 'fun',
      author: 'minefleet',
      homepage: null,
      updated_at: '2025-01-01T00:00:00Z',
      latest_version: '1.0.0',
      minecraft_versions,
      distributions: ['flying-squid'],
      version_count: 1,
    });
    const hello = summary('local:hello', 'Hello', ['1.20.x']);
    const old = summary('local:old', 'Old thing', ['1.8-1.12.2']);
    const helloDetail = {
      ...hello,
      versions: [
        {
          version: '1.0.0',
          minecraft_versions: ['1.20.x'],
          distributions: ['flying-squid'],
          dependencies: [{ plugin_id: 'local:mf-core', version_range: '^1.0.0', optional: false }],
          sha256: 'x',
          sha512: null,
          size_bytes: 2048,
          file_name: 'hello.js',
          approval: 'approved',
          published_at: null,
          created_at: '2025-01-01T00:00:00Z',
        },
      ],
    };
    const resolved = [
      {
        plugin_id: 'local:mf-core',
        name: 'Minefleet core',
        version: '1.2.0',
        action: 'install',
        as_dependency: true,
        required_by: ['local:hello'],
        previous_version: null,
        size_bytes: 1024,
      },
      {
        plugin_id: 'local:hello',
        name: 'Hello',
        version: '1.0.0',
        action: 'install',
        as_dependency: false,
        required_by: [],
        previous_version: null,
        size_bytes: 2048,
      },
    ];
    const api = await mountTab(PluginsTab, {
      [`GET /api/v1/servers/${ID}/plugins`]: {
        body: { plugins: [], pagination: { page: 1, per_page: 100, total: 0 } },
      },
      'GET /api/v1/plugins': {
        body: { plugins: [hello, old], pagination: { page: 1, per_page: 50, total: 2 } },
      },
      'GET /api/v1/plugins/local:hello': { body: helloDetail },
      [`POST /api/v1/servers/${ID}/plugins`]: (r) => {
        const dry = (r.body as { dry_run?: boolean }).dry_run === true;
        return {
          status: dry ? 200 : 202,
          body: {
            dry_run: dry,
            applied: 'on_restart',
            installation: null,
            load_order: [],
            resolved,
            skipped_optional: [],
          },
        };
      },
    });
    const user = userEvent.setup();
    const card = await screen.findByRole('button', { name: /Hello/ });
    expect(api.requests.find((r) => r.path.startsWith('/api/v1/plugins?'))!.path).toContain(
      'minecraft_version=1.20.2',
    );
    expect(within(card).getByText('compatible')).toBeTruthy();
    expect(
      within(screen.getByRole('button', { name: /Old thing/ })).getByText('not compatible'),
    ).toBeTruthy();

    await user.click(card);
    const plan = await screen.findByTestId('install-plan');
    expect(plan.textContent).toContain('Minefleet core');
    expect(plan.textContent).toContain('needed by Hello');
    expect(api.requests.find((r) => r.method === 'POST')!.body).toEqual({
      plugin_id: 'local:hello',
      version: '1.0.0',
      dry_run: true,
    });
    await user.click(screen.getByRole('button', { name: 'Install' }));
    expect((await screen.findByTestId('install-done')).textContent!.replace(/\s+/g, ' ')).toContain(
      'Installing Minefleet core 1.2.0, Hello 1.0.0. It takes effect when the server next starts.',
    );
    expect(api.requests.filter((r) => r.method === 'POST').at(-1)!.body).toEqual({
      plugin_id: 'local:hello',
      version: '1.0.0',
    });
  });
});
