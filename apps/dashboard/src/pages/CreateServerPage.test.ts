import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { appContextMap } from '../lib/app-context.js';
import { fakeApi, testApp } from '../test-helpers.js';
import CreateServerPage from './CreateServerPage.svelte';

const SKU = {
  id: 'starter',
  name: 'Starter',
  description: 'For a few friends',
  cpu_millicores: 1000,
  memory_mb: 1024,
  storage_mb: 5120,
  max_players: 10,
  monthly_price_cents: 500,
  currency: 'USD',
  default_properties: {},
  backup_storage_bytes: 0,
  available: true,
};
const ID = '22222222-2222-4222-8222-222222222222';

function api(existing: string[] = []) {
  return fakeApi({
    'GET /api/v1/skus': {
      body: {
        skus: [
          SKU,
          {
            ...SKU,
            id: 'big',
            name: 'Big',
            cpu_millicores: 4000,
            memory_mb: 6144,
            monthly_price_cents: 3000,
            available: false,
          },
        ],
      },
    },
    'GET /api/v1/distributions': {
      body: {
        distributions: [
          { distribution: 'flying-squid', versions: ['1.21.4', '1.20.2'], available: true },
          { distribution: 'paper', versions: [], available: false, reason: 'Java 21 is not installed' },
        ],
      },
    },
    'GET /api/v1/servers': (r) => {
      const q = new URL(`http://x${r.path}`).searchParams.get('q') ?? '';
      return {
        body: {
          servers: existing.filter((n) => n.includes(q)).map((name) => ({ name })),
          pagination: { page: 1, per_page: 100, total: 0 },
        },
      };
    },
    'POST /api/v1/servers': (r) => ({
      status: 202,
      body: { id: ID, name: (r.body as { name: string }).name, status: 'deploying' },
    }),
    [`GET /api/v1/servers/${ID}`]: {
      body: {
        id: ID,
        name: 'survival',
        status: 'running',
        desired_state: 'running',
        status_reason: null,
        address: { host: 'play.test', port: 25570 },
      },
    },
  });
}

describe('create server', () => {
  it('shows plan cards with resources and price, and unavailable software with its reason', async () => {
    render(CreateServerPage, { context: appContextMap(testApp(api().fetch, { token: 't' })) });
    expect(await screen.findByText('Starter')).toBeTruthy();
    expect(screen.getByText('$5.00')).toBeTruthy();
    expect(screen.getByText(/1 vCPU · 1 GB RAM · 5.0 GB disk · 10 players/)).toBeTruthy();
    expect((screen.getByRole('radio', { name: /Big/ }) as HTMLInputElement).disabled).toBe(true);
    expect(
      (screen.getByRole('option', { name: /paper — Java 21 is not installed/ }) as HTMLOptionElement)
        .disabled,
    ).toBe(true);
  });

  it('validates the name as you type, including names the team already uses', async () => {
    const fake = api(['taken-name']);
    render(CreateServerPage, { context: appContextMap(testApp(fake.fetch, { token: 't' })) });
    const user = userEvent.setup();
    const name = await screen.findByLabelText('Name');
    const submit = screen.getByRole('button', { name: 'Create server' }) as HTMLButtonElement;

    await user.type(name, 'MyServer');
    expect(screen.getByText('Use lowercase letters only.')).toBeTruthy();
    expect(name.getAttribute('aria-invalid')).toBe('true');
    expect(submit.disabled).toBe(true);
    await user.clear(name);
    await user.type(name, 'a_b');
    expect(screen.getByText('Only a–z, 0–9 and "-" are allowed.')).toBeTruthy();
    await user.clear(name);
    await user.type(name, 'taken-name');
    expect(
      await screen.findByText('You already have a server with this name.', {}, { timeout: 2000 }),
    ).toBeTruthy();
    expect(submit.disabled).toBe(true);
    await user.clear(name);
    await user.type(name, 'survival');
    await vi.waitFor(() => expect(screen.getByText('Available')).toBeTruthy(), { timeout: 2000 });
    expect(submit.disabled).toBe(false);
  });

  it('creates the server with the chosen plan, software and version, then follows it to running', async () => {
    const fake = api();
    render(CreateServerPage, { context: appContextMap(testApp(fake.fetch, { token: 't' })) });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Name'), 'survival');
    await user.selectOptions(screen.getByLabelText('Minecraft version'), '1.20.2');
    await user.click(screen.getByRole('button', { name: 'Create server' }));
    await vi.waitFor(() => expect(fake.requests.some((r) => r.method === 'POST')).toBe(true));
    expect(fake.requests.find((r) => r.method === 'POST')!.body).toEqual({
      name: 'survival',
      sku_id: 'starter',
      distribution: 'flying-squid',
      minecraft_version: '1.20.2',
      start: true,
    });
    expect(await screen.findByText('Your server is ready at play.test:25570.')).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Open server' }).getAttribute('href')).toBe(`/servers/${ID}`);
  });

  it('explains a refusal from the API', async () => {
    const fake = fakeApi({
      'GET /api/v1/skus': { body: { skus: [SKU] } },
      'GET /api/v1/distributions': {
        body: { distributions: [{ distribution: 'flying-squid', versions: ['1.20.2'], available: true }] },
      },
      'GET /api/v1/servers': { body: { servers: [], pagination: { page: 1, per_page: 100, total: 0 } } },
      'POST /api/v1/servers': {
        status: 403,
        body: { error: { code: 'QUOTA_EXCEEDED', message: 'Your team has 10 of 10 servers.' } },
      },
    });
    render(CreateServerPage, { context: appContextMap(testApp(fake.fetch, { token: 't' })) });
    const user = userEvent.setup();
    await user.type(await screen.findByLabelText('Name'), 'eleventh{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Your team has reached its limit for this.');
    expect(alert.textContent).toContain('Your team has 10 of 10 servers.');
  });
});
