import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { appContextMap } from '../lib/app-context.js';
import { fakeApi, testApp, type Recorded } from '../test-helpers.js';
import GatewayPanel from './GatewayPanel.svelte';

const ID = '6f1c1e3a-1111-4222-8333-444455556666';

function settings(overrides: Record<string, unknown> = {}) {
  return {
    sleep_enabled: false,
    idle_after_seconds: 600,
    sleep_mode: 'stop',
    freeze_max_seconds: 3600,
    proxy_protocol: false,
    platform_hostname: 'survival.acme.play.example',
    hostnames: [],
    wakers: [],
    asleep_since: null,
    expected_start_seconds: 1.4,
    recent_start_seconds: [1.2, 1.4, 1.6],
    saved_seconds_this_month: 5 * 3600 + 1800,
    last_status_at: null,
    ...overrides,
  };
}

describe('gateway panel', () => {
  it('shows where to join and the running time saved, and saves sleep settings and hostnames', async () => {
    let current = settings();
    const fake = fakeApi({
      [`GET /api/v1/servers/${ID}/gateway`]: () => ({ body: current }),
      [`PATCH /api/v1/servers/${ID}/gateway`]: (r: Recorded) => {
        const body = r.body as Record<string, unknown>;
        current = settings({
          ...body,
          hostnames: body.hostnames,
          idle_after_seconds: body.idle_after_seconds,
        });
        return { body: current };
      },
    });
    const app = testApp(fake.fetch, { token: 't' });
    app.session.me = { role: 'operator' } as never;
    render(GatewayPanel, { props: { serverId: ID, status: 'running' }, context: appContextMap(app) });
    expect((await screen.findByTestId('gateway-hostname')).textContent).toBe('survival.acme.play.example');
    expect(screen.getByTestId('gateway-saved').textContent).toMatch(/5\.5 hours of running time this month/);

    const user = userEvent.setup();
    await user.click(screen.getByTestId('gateway-sleep'));
    await user.clear(screen.getByTestId('gateway-idle'));
    await user.type(screen.getByTestId('gateway-idle'), '5');
    await user.selectOptions(screen.getByTestId('gateway-mode'), 'freeze');
    await user.type(screen.getByTestId('gateway-hostnames'), 'mc.example.org\n*.example.net');
    await user.type(screen.getByTestId('gateway-wakers'), 'Alex, Steve');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('status')).toBeTruthy();
    expect(fake.requests.find((r) => r.method === 'PATCH')?.body).toEqual({
      sleep_enabled: true,
      idle_after_seconds: 300,
      sleep_mode: 'freeze',
      hostnames: ['mc.example.org', '*.example.net'],
      wakers: ['Alex', 'Steve'],
    });
  });

  it('shows the error code of a refused hostname', async () => {
    const fake = fakeApi({
      [`GET /api/v1/servers/${ID}/gateway`]: { body: settings() },
      [`PATCH /api/v1/servers/${ID}/gateway`]: {
        status: 409,
        body: {
          error: { code: 'HOSTNAME_TAKEN', message: 'mc.example.org is already used by another server.' },
        },
      },
    });
    const app = testApp(fake.fetch, { token: 't' });
    app.session.me = { role: 'owner' } as never;
    render(GatewayPanel, { props: { serverId: ID, status: 'running' }, context: appContextMap(app) });
    const user = userEvent.setup();
    await user.type(await screen.findByTestId('gateway-hostnames'), 'mc.example.org');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect((await screen.findByText(/already used by another server/)).textContent).toBeTruthy();
    expect(document.body.textContent).toContain('HOSTNAME_TAKEN');
  });
});
