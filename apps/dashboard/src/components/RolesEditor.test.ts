import { render, screen, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { appContextMap } from '../lib/app-context.js';
import { fakeApi, testApp, type Recorded } from '../test-helpers.js';
import RolesEditor from './RolesEditor.svelte';

const CATALOGUE = [
  { key: 'server.read', description: 'See servers.', custom_role: true, roles: ['viewer'] },
  { key: 'player.list', description: 'See players.', custom_role: true, roles: ['viewer'] },
  { key: 'player.kick', description: 'Kick players.', custom_role: true, roles: ['operator'] },
  { key: 'server.delete', description: 'Delete servers.', custom_role: true, roles: ['admin'] },
  { key: 'member.update', description: 'Change roles.', custom_role: false, roles: ['owner'] },
];
const ROLE_ID = '6f1c1e3a-1111-4222-8333-444455556666';

function role(overrides: Record<string, unknown> = {}) {
  return {
    id: ROLE_ID,
    name: 'Moderator',
    permissions: ['player.kick'],
    members: 2,
    created_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
}

/** The editor over a fake API keeping a list of roles, for a user holding `held`. */
function setup(held: string[], roles: ReturnType<typeof role>[] = []) {
  let list = [...roles];
  const fake = fakeApi({
    'GET /api/v1/permissions': { body: { permissions: CATALOGUE } },
    'GET /api/v1/roles': () => ({ body: { roles: list } }),
    'POST /api/v1/roles': (r: Recorded) => {
      const created = role({ ...(r.body as object), id: '7f1c1e3a-1111-4222-8333-444455556666', members: 0 });
      list = [...list, created];
      return { status: 201, body: created };
    },
    [`PATCH /api/v1/roles/${ROLE_ID}`]: (r: Recorded) => {
      list = list.map((x) => (x.id === ROLE_ID ? { ...x, ...(r.body as object) } : x));
      return { body: list.find((x) => x.id === ROLE_ID) };
    },
    [`DELETE /api/v1/roles/${ROLE_ID}`]: {
      status: 409,
      body: {
        error: { code: 'ROLE_IN_USE', message: '2 member(s) hold the role.', details: { members: 2 } },
      },
    },
  });
  const app = testApp(fake.fetch, { token: 't' });
  app.session.me = { role: 'admin', permissions: held } as never;
  const seen: unknown[] = [];
  render(RolesEditor, { props: { onchange: (r: unknown[]) => seen.push(r) }, context: appContextMap(app) });
  return { fake, seen };
}

describe('roles editor', () => {
  it('creates a role from permissions ticked by area, offering only what the user holds', async () => {
    const { fake, seen } = setup(['role.manage', 'server.read', 'player.list', 'player.kick']);
    expect(await screen.findByTestId('roles-empty')).toBeTruthy();
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'New role' }));
    const form = screen.getByTestId('role-form');
    // Grouped by area; owner-only keys are not offered; keys the user lacks cannot be ticked.
    expect(within(form).getByRole('group', { name: 'Players' })).toBeTruthy();
    expect(within(form).getByRole('group', { name: 'Servers' })).toBeTruthy();
    expect(within(form).queryByTestId('perm-member.update')).toBeNull();
    expect((within(form).getByTestId('perm-server.delete') as HTMLInputElement).disabled).toBe(true);
    await user.type(screen.getByTestId('role-name'), 'Moderator');
    await user.click(screen.getByTestId('perm-player.kick'));
    await user.click(screen.getByTestId('perm-server.read'));
    await user.click(screen.getByRole('button', { name: 'Create role' }));
    expect(await screen.findByRole('rowheader', { name: 'Moderator' })).toBeTruthy();
    // Sent in catalogue order.
    expect(fake.requests.find((r) => r.method === 'POST')?.body).toEqual({
      name: 'Moderator',
      permissions: ['server.read', 'player.kick'],
    });
    expect(screen.queryByTestId('role-form')).toBeNull();
    // The page is told, so its member role selectors can offer the new role.
    expect(seen.at(-1)).toEqual([expect.objectContaining({ name: 'Moderator' })]);
  });

  it('edits a role starting from what it holds, and shows why a role in use cannot be deleted', async () => {
    const { fake } = setup(['role.manage', 'server.read', 'player.list', 'player.kick'], [role()]);
    const user = userEvent.setup();
    await user.click(await screen.findByRole('button', { name: 'Edit Moderator' }));
    expect((screen.getByTestId('perm-player.kick') as HTMLInputElement).checked).toBe(true);
    await user.click(screen.getByTestId('perm-player.kick'));
    await user.click(screen.getByTestId('perm-player.list'));
    await user.clear(screen.getByTestId('role-name'));
    await user.type(screen.getByTestId('role-name'), 'Watcher');
    await user.click(screen.getByRole('button', { name: 'Save role' }));
    expect(await screen.findByRole('rowheader', { name: 'Watcher' })).toBeTruthy();
    expect(fake.requests.find((r) => r.method === 'PATCH')?.body).toEqual({
      name: 'Watcher',
      permissions: ['player.list'],
    });

    await user.click(screen.getByRole('button', { name: 'Delete Watcher' }));
    await user.click(screen.getByRole('button', { name: 'Delete' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/ROLE_IN_USE/);
    expect(screen.getByRole('rowheader', { name: 'Watcher' })).toBeTruthy();
  });

  it('shows roles without edit controls to members without role.manage', async () => {
    setup(['server.read', 'member.read'], [role()]);
    expect(await screen.findByRole('rowheader', { name: 'Moderator' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'New role' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Edit Moderator' })).toBeNull();
  });
});
