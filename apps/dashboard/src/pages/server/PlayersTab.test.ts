import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import type { Server } from '@minefleet/api-client/client';
import { appContextMap } from '../../lib/app-context.js';
import { avatarOf } from '../../lib/avatar.js';
import { ServerStore } from '../../lib/live/server-store.svelte.js';
import { fakeApi, testApp, type Recorded } from '../../test-helpers.js';
import PlayersTab from './PlayersTab.svelte';

const ID = '55555555-5555-4555-8555-555555555555';
const me = (role: string) => ({
  user: { id: 'u', email: 'a@b.co', display_name: '', created_at: '', is_platform_admin: false },
  tenant: { id: 't', name: 'T', created_at: '' },
  role,
  tenants: [],
  quota: { servers: { used: 1, limit: 10 }, memory_mb: { used: 0, limit: 1 } },
});

function playersApi(role = 'owner') {
  const state = {
    whitelist: { enabled: false, players: [{ name: 'Alex', uuid: 'a-1' }] },
    ops: [{ name: 'Alex', uuid: 'a-1', level: 4, bypasses_player_limit: false }],
    bans: [
      {
        name: 'Griefer',
        uuid: 'g-1',
        reason: 'Broke the spawn',
        source: 'Minefleet',
        created: '2026-12-01 10:00:00 +0000',
        expires: 'forever',
        expires_at: null,
        active: true,
      },
    ],
    ip_bans: [] as unknown[],
  };
  const online = [
    {
      name: 'Steve',
      uuid: '5627dd98-e6be-3c21-b8a8-e92344183641',
      since: new Date(Date.now() - 125_000).toISOString(),
      ping_ms: 42.4,
    },
  ];
  const change = (name: string) => ({ body: { applied: 'live', player: { name, uuid: 'x' } } });
  return fakeApi({
    'GET /api/v1/me': { body: me(role) },
    [`GET /api/v1/servers/${ID}/players`]: () => ({ body: { players: online } }),
    [`GET /api/v1/servers/${ID}/players/lists`]: () => ({ body: state }),
    [`POST /api/v1/servers/${ID}/players/kick`]: (r: Recorded) => {
      online.splice(0, 1);
      return change((r.body as { name: string }).name);
    },
    [`POST /api/v1/servers/${ID}/players/bans`]: (r: Recorded) => change((r.body as { name: string }).name),
    [`POST /api/v1/servers/${ID}/players/ip-bans`]: (r: Recorded) => ({
      body: { applied: 'file', ip: (r.body as { ip: string }).ip },
    }),
    [`POST /api/v1/servers/${ID}/players/ops`]: (r: Recorded) => change((r.body as { name: string }).name),
    [`POST /api/v1/servers/${ID}/players/whitelist`]: (r: Recorded) => {
      const name = (r.body as { name: string }).name;
      state.whitelist.players.push({ name, uuid: `${name}-uuid` });
      return { body: { applied: 'file', player: { name, uuid: `${name}-uuid` } } };
    },
    [`PUT /api/v1/servers/${ID}/players/whitelist`]: (r: Recorded) => {
      state.whitelist.enabled = (r.body as { enabled: boolean }).enabled;
      return { body: { enabled: state.whitelist.enabled, applied: 'live', revision: 2 } };
    },
    [`DELETE /api/v1/servers/${ID}/players/bans/Griefer`]: () => {
      state.bans = [];
      return change('Griefer');
    },
  });
}

async function mount(role = 'owner') {
  const api = playersApi(role);
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
  render(PlayersTab, { props: { store }, context: appContextMap(app) });
  return api;
}

describe('players tab', () => {
  it('lists who is online with an avatar drawn from the name, and kicks with a reason', async () => {
    const api = await mount();
    const row = await screen.findByTestId('online-Steve');
    expect(row.textContent).toContain('5627dd98-e6be-3c21-b8a8-e92344183641');
    expect(row.textContent).toContain('2m');
    expect(row.textContent).toContain('42 ms');
    // The avatar is drawn here from the name: no image is fetched from anywhere.
    const avatar = within(row).getByTestId('avatar-Steve');
    expect(avatar.tagName.toLowerCase()).toBe('svg');
    expect(avatar.querySelectorAll('rect')).toHaveLength(1 + avatarOf('Steve').cells.length);
    expect(document.querySelectorAll('img')).toHaveLength(0);

    await userEvent.click(within(row).getByRole('button', { name: 'Kick' }));
    await userEvent.type(
      within(screen.getByRole('dialog')).getByLabelText('Reason (the player sees it)'),
      'Take a break',
    );
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Kick' }));
    expect((await screen.findByTestId('players-notice')).textContent).toBe(
      'Kicked Steve: applied by the running server.',
    );
    const kick = api.requests.find((r) => r.method === 'POST' && r.path.endsWith('/players/kick'));
    expect(kick?.body).toEqual({ name: 'Steve', reason: 'Take a break' });
    expect(await screen.findByText('Nobody is online.')).toBeTruthy();
  });

  it('bans an online player for a while, and makes one an operator with a level', async () => {
    const api = await mount();
    const row = await screen.findByTestId('online-Steve');
    await userEvent.click(within(row).getByRole('button', { name: 'Ban' }));
    const dialog = screen.getByRole('dialog');
    await userEvent.type(within(dialog).getByLabelText('Reason (the player sees it)'), 'Spam');
    await userEvent.selectOptions(within(dialog).getByLabelText('For'), '7d');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Ban' }));
    await screen.findByText('Banned Steve: applied by the running server.');
    expect(api.requests.find((r) => r.path.endsWith('/players/bans'))?.body).toEqual({
      name: 'Steve',
      reason: 'Spam',
      expires_in: '7d',
    });

    await userEvent.click(within(row).getByRole('button', { name: 'Op' }));
    const opDialog = screen.getByRole('dialog');
    await userEvent.selectOptions(within(opDialog).getByLabelText('Level'), '2');
    await userEvent.click(within(opDialog).getByRole('button', { name: 'Make operator' }));
    await screen.findByText('Steve is an operator: applied by the running server.');
    expect(api.requests.find((r) => r.path.endsWith('/players/ops'))?.body).toEqual({
      name: 'Steve',
      level: 2,
    });
  });

  it('manages the whitelist and bans: switch on, add a name, pardon', async () => {
    const api = await mount();
    expect((await screen.findByTestId('whitelist-state')).textContent).toBe('off');
    await userEvent.click(screen.getByRole('button', { name: 'Switch on' }));
    expect((await screen.findByTestId('players-notice')).textContent).toBe('Whitelist on: applied now.');
    expect(screen.getByTestId('whitelist-state').textContent).toBe('on');

    const add = screen.getByRole('button', { name: 'Add to whitelist' });
    await userEvent.type(screen.getByLabelText('Player', { selector: '#whitelist-name' }), 'bad name');
    expect((add as HTMLButtonElement).disabled).toBe(true);
    await userEvent.clear(screen.getByLabelText('Player', { selector: '#whitelist-name' }));
    await userEvent.type(screen.getByLabelText('Player', { selector: '#whitelist-name' }), 'Zoe');
    await userEvent.click(add);
    await screen.findByText('Whitelisted Zoe: saved; in force when the server starts.');
    expect(within(screen.getByTestId('whitelist')).getByText(/Zoe/)).toBeTruthy();

    expect(screen.getByTestId('ban-Griefer').textContent).toContain('Broke the spawn');
    await userEvent.click(within(screen.getByTestId('ban-Griefer')).getByRole('button', { name: 'Pardon' }));
    await screen.findByText('Nobody is banned.');
    expect(api.requests.some((r) => r.method === 'DELETE' && r.path.endsWith('/players/bans/Griefer'))).toBe(
      true,
    );
  });

  it('bans a player and an address with the forms, and clears what was typed once it worked', async () => {
    const api = await mount();
    await screen.findByTestId('ban-Griefer');
    const player = screen.getByRole('form', { name: 'Ban a player' });
    const banPlayer = within(player).getByRole('button', { name: 'Ban player' }) as HTMLButtonElement;
    await userEvent.type(within(player).getByLabelText('Player'), 'no spaces');
    expect(banPlayer.disabled).toBe(true);
    await userEvent.clear(within(player).getByLabelText('Player'));
    await userEvent.type(within(player).getByLabelText('Player'), 'Herobrine');
    await userEvent.type(within(player).getByLabelText('Reason'), 'Haunting');
    await userEvent.selectOptions(within(player).getByLabelText('For'), '7d');
    await userEvent.click(banPlayer);
    await screen.findByText('Banned Herobrine: applied by the running server.');
    expect(api.requests.find((r) => r.method === 'POST' && r.path.endsWith('/players/bans'))?.body).toEqual({
      name: 'Herobrine',
      reason: 'Haunting',
      expires_in: '7d',
    });
    expect((within(player).getByLabelText('Player') as HTMLInputElement).value).toBe('');
    expect((within(player).getByLabelText('Reason') as HTMLInputElement).value).toBe('');

    const address = screen.getByRole('form', { name: 'Ban an address' });
    const banAddress = within(address).getByRole('button', { name: 'Ban address' }) as HTMLButtonElement;
    expect(banAddress.disabled).toBe(true);
    await userEvent.type(within(address).getByLabelText('IP address'), ' 203.0.113.7 ');
    await userEvent.click(banAddress);
    await screen.findByText('Banned 203.0.113.7: saved; in force when the server starts.');
    expect(api.requests.find((r) => r.path.endsWith('/players/ip-bans'))?.body).toEqual({
      ip: '203.0.113.7',
    });
    expect((within(address).getByLabelText('IP address') as HTMLInputElement).value).toBe('');
  });

  it('shows viewers the lists without any management control', async () => {
    await mount('viewer');
    await screen.findByTestId('online-Steve');
    expect(screen.queryByRole('button', { name: 'Kick' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Switch on' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add to whitelist' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Pardon' })).toBeNull();
    expect(screen.getByTestId('ops').textContent).toContain('level 4');
  });
});

describe('avatarOf', () => {
  it('is the same for a name in any case, differs between names, and is mirrored', () => {
    expect(avatarOf('Steve')).toEqual(avatarOf('steve'));
    expect(avatarOf('Steve')).not.toEqual(avatarOf('Alex'));
    for (const [x, y] of avatarOf('Notch').cells) {
      expect(avatarOf('Notch').cells).toContainEqual([4 - x, y]);
    }
  });
});
