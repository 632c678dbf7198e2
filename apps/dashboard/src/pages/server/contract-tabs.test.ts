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
 * The Backups and Plugins tabs against the contract of API.md (issues 4 and 5), answered by a fake API,
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

  it('searches for this server’s version, shows compatibility and the dependency tree, installs', async () => {
    const version = (
      v: string,
      deps: { plugin_id: string; version_range: string; optional: boolean }[] = [],
    ) => ({
      version: v,
      minecraft_versions: ['1.20.2'],
      distributions: ['flying-squid'],
      dependencies: deps,
      approval: 'approved',
    });
    const hello = {
      id: 'hello',
      name: 'Hello',
      category: 'fun',
      description: 'Says hello',
      versions: [version('1.0.0', [{ plugin_id: 'core', version_range: '^2.0.0', optional: false }])],
    };
    const core = { id: 'core', name: 'Core lib', category: 'library', versions: [version('2.1.0')] };
    const old = {
      id: 'old',
      name: 'Old thing',
      category: 'fun',
      versions: [{ ...version('0.1.0'), minecraft_versions: ['1.8.8'] }],
    };
    const api = await mountTab(PluginsTab, {
      [`GET /api/v1/servers/${ID}/plugins`]: { body: { installations: [] } },
      'GET /api/v1/plugins': { body: { plugins: [hello, core, old], pagination: { total: 3 } } },
      'GET /api/v1/plugins/core': { body: core },
      [`POST /api/v1/servers/${ID}/plugins`]: {
        status: 202,
        body: {
          installation: { id: 'i1', plugin_id: 'hello', version: '1.0.0', status: 'installing' },
          resolved: [
            { plugin_id: 'core', name: 'Core lib', version: '2.1.0' },
            { plugin_id: 'hello', name: 'Hello', version: '1.0.0' },
          ],
        },
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
    const detail = await screen.findByRole('complementary');
    await within(detail).findByText(/Core lib/);
    expect(within(detail).getByText('^2.0.0')).toBeTruthy();
    await user.click(within(detail).getByRole('button', { name: 'Install' }));
    expect(await within(detail).findByText('Installing Core lib 2.1.0, Hello 1.0.0.')).toBeTruthy();
    expect(api.requests.find((r) => r.method === 'POST')!.body).toEqual({
      plugin_id: 'hello',
      version: '1.0.0',
    });
  });
});
