import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { BOT_TEST_VERSION, joinBot, type TestBot } from '@minefleet/testkit/minecraft';
// The declarations every route registers (`app.routeAccess`) come with the auth hook's types.
import type {} from '@minefleet/server/http/auth';

/**
 * Custom roles end to end: a member whose role holds only player.kick kicks a real mineflayer client
 * off a running flying-squid server, and every other route answers 403 FORBIDDEN naming the permission
 * it needs. Then the rules around roles: no role or key beyond what its maker holds, owner-only keys
 * never in a custom role, changes in force at once, a role in use cannot be deleted, tenants isolated.
 */
describe('custom roles', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let serverId: string;
  let address: { host: string; port: number };
  let kickerRole: string;
  let kicker: SignedUp;
  let kickerToken: string;
  const bots: TestBot[] = [];

  /** A fresh user added to the owner's tenant as `role`, signed in there. */
  const member = async (prefix: string, body: Record<string, unknown>) => {
    const user = await api.signup(prefix);
    const added = await api.post('/members', { email: user.email, ...body }, owner.token);
    expect(added.status).toBe(201);
    const login = await api.post('/auth/login', {
      email: user.email,
      password: user.password,
      tenant_id: owner.tenantId,
    });
    expect(login.status).toBe(200);
    return { user, token: login.body.token as string };
  };

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { monitorIntervalMs: 300, reconcileIntervalMs: 2_000 },
    });
    api = cp.api;
    owner = await api.signup('roles-owner');
    const created = await api.post(
      '/servers',
      { name: 'roles-e2e', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
      owner.token,
    );
    expect(created.status).toBe(202);
    serverId = created.body.id;
    address = created.body.address;
    const role = await api.post('/roles', { name: 'Kicker', permissions: ['player.kick'] }, owner.token);
    expect(role.status).toBe(201);
    expect(role.body).toMatchObject({ name: 'Kicker', permissions: ['player.kick'], members: 0 });
    kickerRole = role.body.id;
    ({ user: kicker, token: kickerToken } = await member('roles-kicker', { custom_role_id: kickerRole }));
    await api.waitForStatus(serverId, owner.token, 'running', 60_000);
  });
  afterAll(async () => {
    await Promise.all(bots.map((b) => b.quit()));
    await cp?.close();
  });

  it('the member holds exactly the role’s permissions, and is listed with it', async () => {
    const me = await api.get('/me', kickerToken);
    expect(me.status).toBe(200);
    expect(me.body.permissions).toEqual(['player.kick']);
    expect(me.body.custom_role).toEqual({ id: kickerRole, name: 'Kicker' });
    const members = await api.get('/members', owner.token);
    expect(members.body.members).toContainEqual(
      expect.objectContaining({
        email: kicker.email,
        role: 'viewer',
        custom_role: { id: kickerRole, name: 'Kicker' },
      }),
    );
    expect((await api.get(`/roles/${kickerRole}`, owner.token)).body.members).toBe(1);
  });

  it('a role with only player.kick kicks a real player off a running server', async () => {
    const bot = await joinBot(address, { username: 'Griefer', version: BOT_TEST_VERSION, timeoutMs: 15_000 });
    bots.push(bot);
    expect(bot.bot.entity).toBeDefined();
    // The kick needs the player online as the server sees them: wait until the API lists them.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      const online = await api.get(`/servers/${serverId}/players`, owner.token);
      if (online.body.players?.some((p: { name: string }) => p.name === 'Griefer')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const kicked = await api.post(
      `/servers/${serverId}/players/kick`,
      { name: 'Griefer', reason: 'Moderated by a custom role' },
      kickerToken,
    );
    expect(kicked.status).toBe(200);
    expect(await bot.ended).toContain('Moderated by a custom role');
    // The audit row is written after the answer is sent (auditing adds no latency): wait for it.
    let events: unknown[] = [];
    for (let i = 0; i < 50; i++) {
      const audit = await api.get('/audit?action=players.kick', owner.token);
      expect(audit.status).toBe(200);
      events = audit.body.events;
      if (events.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(events).toContainEqual(
      expect.objectContaining({ action: 'players.kick', actor_user_id: kicker.userId, outcome: 'success' }),
    );
  });

  it('every route needing another permission answers 403 FORBIDDEN naming it', async () => {
    const routes = cp.controlPlane.app.routeAccess.filter(
      (r) => r.permission !== 'public' && r.permission !== 'account' && r.permission !== 'player.kick',
    );
    expect(routes.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const route of routes) {
      // The server's id where a route names one (so a missing server cannot hide a wrong answer).
      const path = route.url
        .replace(/:id\b/, serverId)
        .replace(/:[a-z_]+/g, () => randomUUID())
        .replace(/\*/g, 'x');
      const body = route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
      const res = await api.request(route.method, path, { token: kickerToken, body });
      const error = (res.body as { error?: { code?: string; details?: { required?: string } } }).error;
      if (res.status !== 403 || error?.code !== 'FORBIDDEN' || error.details?.required !== route.permission)
        wrong.push(`${route.method} ${route.url} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('API keys of the member hold at most the role’s permissions', async () => {
    const denied = await api.post('/api-keys', { name: 'wider', permissions: ['server.read'] }, kickerToken);
    // apikey.create is not in the role either: the route refuses before the permission list is read.
    expect(denied.status).toBe(403);
    const grant = await api.patch(
      `/roles/${kickerRole}`,
      { permissions: ['player.kick', 'apikey.create'] },
      owner.token,
    );
    expect(grant.status).toBe(200);
    const wider = await api.post('/api-keys', { name: 'wider', permissions: ['server.read'] }, kickerToken);
    expect(wider.status).toBe(403);
    expect(wider.body.error).toMatchObject({ code: 'FORBIDDEN', details: { required: 'server.read' } });
    const all = await api.post('/api-keys', { name: 'all-of-mine' }, kickerToken);
    expect(all.status).toBe(201);
    const key = all.body.key as string;
    expect((await api.get('/me', key)).body.permissions).toEqual(['player.kick', 'apikey.create']);
    // The role shrinks: so does the key, at once.
    await api.patch(`/roles/${kickerRole}`, { permissions: ['player.kick'] }, owner.token);
    expect((await api.get('/me', key)).body.permissions).toEqual(['player.kick']);
    expect((await api.post('/api-keys', { name: 'again' }, key)).status).toBe(403);
  });

  it('a change to the role is in force on the next request (the auth cache forgets it)', async () => {
    expect((await api.get('/servers', kickerToken)).status).toBe(403);
    const grant = await api.patch(
      `/roles/${kickerRole}`,
      { name: 'Moderator', permissions: ['player.kick', 'server.read'] },
      owner.token,
    );
    expect(grant.body).toMatchObject({ name: 'Moderator', permissions: ['server.read', 'player.kick'] });
    expect((await api.get('/servers', kickerToken)).status).toBe(200);
    await api.patch(`/roles/${kickerRole}`, { permissions: ['player.kick'] }, owner.token);
    expect((await api.get('/servers', kickerToken)).status).toBe(403);
  });

  it('no role beyond what its maker holds; owner-only permissions never in a custom role', async () => {
    const admin = await member('roles-admin', { role: 'admin' });
    for (const key of ['member.update', 'member.create', 'member.delete', 'tenant.security']) {
      const res = await api.post('/roles', { name: `With ${key}`, permissions: [key] }, owner.token);
      expect(res.status, key).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { permission: key } });
    }
    const managerRole = await api.post(
      '/roles',
      { name: 'Role manager', permissions: ['role.manage', 'member.read', 'player.kick'] },
      admin.token,
    );
    expect(managerRole.status).toBe(201);
    const manager = await member('roles-manager', { custom_role_id: managerRole.body.id });
    const beyond = await api.post(
      '/roles',
      { name: 'Deleter', permissions: ['server.delete'] },
      manager.token,
    );
    expect(beyond.status).toBe(403);
    expect(beyond.body.error.details).toMatchObject({ required: 'server.delete' });
    const within = await api.post(
      '/roles',
      { name: 'Kick only', permissions: ['player.kick'] },
      manager.token,
    );
    expect(within.status).toBe(201);
    // A role holding what the manager lacks is out of reach, even to rename.
    const adminsRole = await api.post('/roles', { name: 'Big', permissions: ['server.delete'] }, admin.token);
    const rename = await api.patch(`/roles/${adminsRole.body.id}`, { name: 'Small' }, manager.token);
    expect(rename.status).toBe(403);
    expect((await api.delete(`/roles/${adminsRole.body.id}`, manager.token)).status).toBe(403);
    // Giving roles stays with owners (member.update), whatever role.manage allows.
    const give = await api.patch(
      `/members/${kicker.userId}`,
      { custom_role_id: adminsRole.body.id },
      admin.token,
    );
    expect(give.status).toBe(403);
    expect(give.body.error.details).toMatchObject({ required: 'member.update' });
    // Names: unique regardless of case, never a built-in one.
    expect((await api.post('/roles', { name: 'big', permissions: [] }, owner.token)).body.error.code).toBe(
      'ROLE_EXISTS',
    );
    expect((await api.post('/roles', { name: 'Admin', permissions: [] }, owner.token)).body.error.code).toBe(
      'ROLE_EXISTS',
    );
    const both = await api.patch(
      `/members/${kicker.userId}`,
      { role: 'viewer', custom_role_id: kickerRole },
      owner.token,
    );
    expect(both.status).toBe(400);
  });

  it('a role in use cannot be deleted (ROLE_IN_USE); once nobody holds it, it can', async () => {
    const role = await api.post('/roles', { name: 'Temporary', permissions: ['server.read'] }, owner.token);
    const holder = await member('roles-holder', { custom_role_id: role.body.id });
    const refused = await api.delete(`/roles/${role.body.id}`, owner.token);
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'ROLE_IN_USE', details: { members: 1 } });
    expect((await api.get('/servers', holder.token)).status).toBe(200);
    const back = await api.patch(`/members/${holder.user.userId}`, { role: 'viewer' }, owner.token);
    expect(back.body).toMatchObject({ role: 'viewer', custom_role: null });
    expect((await api.delete(`/roles/${role.body.id}`, owner.token)).status).toBe(204);
    expect((await api.get(`/roles/${role.body.id}`, owner.token)).status).toBe(404);
    // The member is a viewer again: they read servers, they do not kick.
    expect((await api.get('/me', holder.token)).body.custom_role).toBeNull();
    expect((await api.post(`/servers/${serverId}/players/kick`, { name: 'x' }, holder.token)).status).toBe(
      403,
    );
  });

  it('roles are tenant-isolated: another tenant cannot see, change, delete or give them', async () => {
    const other = await api.signup('roles-other');
    const list = await api.get('/roles', other.token);
    expect(list.status).toBe(200);
    expect(list.body.roles).toEqual([]);
    for (const res of [
      await api.get(`/roles/${kickerRole}`, other.token),
      await api.patch(`/roles/${kickerRole}`, { name: 'Stolen' }, other.token),
      await api.delete(`/roles/${kickerRole}`, other.token),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('ROLE_NOT_FOUND');
    }
    const outsider = await api.signup('roles-outsider');
    const added = await api.post(
      '/members',
      { email: outsider.email, custom_role_id: kickerRole },
      other.token,
    );
    expect(added.status).toBe(404);
    expect(added.body.error.code).toBe('ROLE_NOT_FOUND');
    expect((await api.get(`/roles/${kickerRole}`, owner.token)).body.name).toBe('Moderator');
  });
});
