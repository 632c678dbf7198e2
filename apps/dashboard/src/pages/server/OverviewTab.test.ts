import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import type { Server } from '@minefleet/api-client/client';
import { appContextMap } from '../../lib/app-context.js';
import { ServerStore } from '../../lib/live/server-store.svelte.js';
import { fakeApi, testApp } from '../../test-helpers.js';
import OverviewTab from './OverviewTab.svelte';

/** The overview shows how plan limits are enforced (/health) and why a server was stopped for storage. */
const ID = '55555555-5555-4555-8555-555555555555';
const ME = {
  user: { id: 'u', email: 'a@b.co', display_name: '', created_at: '', is_platform_admin: false },
  tenant: { id: 't', name: 'T', created_at: '' },
  role: 'owner',
  tenants: [],
  quota: { servers: { used: 1, limit: 10 }, memory_mb: { used: 0, limit: 1 } },
};

async function mount(limits: { level: string; reason: string }, server: Partial<Server>) {
  const api = fakeApi({
    'GET /api/v1/me': { body: ME },
    'GET /api/v1/health': {
      body: {
        status: 'ok',
        version: '0',
        uptime_seconds: 1,
        checks: { isolation: { status: 'ok', level: 'sandbox-user', reason: 'x', limits } },
      },
    },
  });
  const app = testApp(api.fetch, { token: 't' });
  await app.session.refresh();
  const store = new ServerStore({ api: app.session.api, source: app.hub().ready, serverId: ID });
  store.server = {
    id: ID,
    name: 'survival',
    status: 'stopped',
    minecraft_version: '1.20.2',
    distribution: 'flying-squid',
    region: 'local',
    runtime: 'local',
    sku_id: 'starter',
    max_players: 10,
    created_at: new Date().toISOString(),
    resources: { cpu_millicores: 1000, memory_mb: 1024, storage_mb: 30 },
    ...server,
  } as Server;
  render(OverviewTab, { props: { store }, context: appContextMap(app) });
}

describe('overview: plan limits', () => {
  it('says CPU and memory are enforced by control groups, and shows a storage stop’s reason', async () => {
    await mount(
      { level: 'cgroup-v1', reason: 'groups under /sys/fs/cgroup/{memory,cpu}/minefleet' },
      { status_reason: 'storage limit reached (31 MB of 30 MB)' },
    );
    expect((await screen.findByTestId('plan-limits')).textContent).toBe(
      'enforced by control groups (cgroup-v1)',
    );
    expect(screen.getByTestId('storage-reason').textContent).toBe('storage limit reached (31 MB of 30 MB)');
  });

  it('shows the runtime its game runs on', async () => {
    await mount({ level: 'none', reason: 'x' }, { runtime: 'kubernetes' });
    expect((await screen.findByTestId('runtime')).textContent).toBe('Kubernetes');
  });

  it('shows the region the server runs in', async () => {
    await mount({ level: 'none', reason: 'x' }, { region: 'eu-west-1' });
    expect((await screen.findByTestId('region')).textContent).toBe('eu-west-1');
  });

  it('says when they are not enforced, and why', async () => {
    await mount({ level: 'none', reason: 'the control plane is not root' }, { status_reason: null });
    expect((await screen.findByTestId('plan-limits')).textContent).toBe(
      'not enforced (the control plane is not root)',
    );
    expect(screen.queryByTestId('storage-reason')).toBeNull();
  });
});
