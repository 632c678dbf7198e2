import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

/**
 * Players API on stopped servers: every change lands in the server's list files in vanilla's formats
 * (read back from disk here), roles are enforced per action, every change is audited with the player it
 * concerned, and online-mode names resolve through a (local) Mojang profile API or fail clearly.
 */
describe('players API (stopped servers: the list files)', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let serverId: string;
  let mojang: http.Server;
  let mojangHits = 0;
  let mojangDown = false;

  const folder = (id: string) => path.join(cp.dataDir, 'servers', id);
  const readList = async (id: string, file: string) =>
    JSON.parse(await readFile(path.join(folder(id), file), 'utf8')) as Record<string, unknown>[];
  const session = async (role: string) => {
    const user = await api.signup(role);
    await api.post('/members', { email: user.email, role }, owner.token);
    const login = await api.post('/auth/login', {
      email: user.email,
      password: user.password,
      tenant_id: owner.tenantId,
    });
    return login.body.token as string;
  };
  const put = (p: string, body: unknown, token: string) => api.request('PUT', `/api/v1${p}`, { token, body });

  beforeAll(async () => {
    // A stand-in for api.mojang.com with the same answers: 200 {id, name}, 404 for unknown names.
    mojang = http.createServer((req, res) => {
      mojangHits++;
      if (mojangDown) {
        res.writeHead(503).end();
        return;
      }
      const m = /^\/users\/profiles\/minecraft\/([A-Za-z0-9_]+)$/.exec(req.url ?? '');
      if (m && m[1]!.toLowerCase() === 'notch') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: '069a79f444e94726a5befca90e38aaf5', name: 'Notch' }));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errorMessage: 'Couldn\u2019t find any profile with name' }));
    });
    await new Promise<void>((resolve) => mojang.listen(0, '127.0.0.1', resolve));
    cp = await startControlPlane(primaryBackend(), {
      env: { MINEFLEET_MOJANG_API_URL: `http://127.0.0.1:${(mojang.address() as AddressInfo).port}` },
    });
    api = cp.api;
    owner = await api.signup('players-owner');
    const created = await api.post(
      '/servers',
      { name: 'players-api', sku_id: 'starter', minecraft_version: '1.20.2' },
      owner.token,
    );
    expect(created.status).toBe(202);
    serverId = created.body.id;
    await api.waitForStatus(serverId, owner.token, 'stopped');
  });
  afterAll(async () => {
    await cp?.close();
    await new Promise((resolve) => mojang?.close(resolve));
  });

  it('adds to the whitelist of a stopped server: whitelist.json in vanilla form, offline-mode UUID', async () => {
    const res = await api.post(`/servers/${serverId}/players/whitelist`, { name: 'Steve' }, owner.token);
    expect(res.status).toBe(200);
    // Java's UUID.nameUUIDFromBytes("OfflinePlayer:Steve").
    expect(res.body).toEqual({
      applied: 'file',
      player: { name: 'Steve', uuid: '5627dd98-e6be-3c21-b8a8-e92344183641' },
    });
    expect(await readList(serverId, 'whitelist.json')).toEqual([
      { uuid: '5627dd98-e6be-3c21-b8a8-e92344183641', name: 'Steve' },
    ]);
    // Adding again keeps one entry.
    await api.post(`/servers/${serverId}/players/whitelist`, { name: 'steve' }, owner.token);
    expect(await readList(serverId, 'whitelist.json')).toHaveLength(1);
  });

  it('switches the whitelist on as a recorded setting', async () => {
    const res = await put(`/servers/${serverId}/players/whitelist`, { enabled: true }, owner.token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ enabled: true, applied: 'on_restart' });
    const lists = await api.get(`/servers/${serverId}/players/lists`, owner.token);
    expect(lists.body.whitelist.enabled).toBe(true);
    const server = await api.get(`/servers/${serverId}`, owner.token);
    expect(server.body.server_properties['white-list']).toBe(true);
  });

  it('ops with a level and deops, in ops.json', async () => {
    const op = await api.post(`/servers/${serverId}/players/ops`, { name: 'Alex', level: 2 }, owner.token);
    expect(op.status).toBe(200);
    expect(await readList(serverId, 'ops.json')).toEqual([
      { uuid: op.body.player.uuid, name: 'Alex', level: 2, bypassesPlayerLimit: false },
    ]);
    const bad = await api.post(`/servers/${serverId}/players/ops`, { name: 'Alex', level: 5 }, owner.token);
    expect(bad.status).toBe(400);
    const deop = await api.delete(`/servers/${serverId}/players/ops/alex`, owner.token);
    expect(deop.status).toBe(200);
    expect(await readList(serverId, 'ops.json')).toEqual([]);
    const again = await api.delete(`/servers/${serverId}/players/ops/Alex`, owner.token);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('PLAYER_NOT_FOUND');
  });

  it('bans with a reason and an end, pardons; IP bans likewise', async () => {
    const ban = await api.post(
      `/servers/${serverId}/players/bans`,
      { name: 'Griefer', reason: 'Broke the spawn', expires_at: '2099-01-02T03:04:05Z' },
      owner.token,
    );
    expect(ban.status).toBe(200);
    const [entry] = await readList(serverId, 'banned-players.json');
    expect(entry).toMatchObject({
      name: 'Griefer',
      uuid: ban.body.player.uuid,
      reason: 'Broke the spawn',
      expires: '2099-01-02 03:04:05 +0000',
      source: 'Minefleet',
    });
    expect(entry!.created).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \+0000$/);
    const forever = await api.post(`/servers/${serverId}/players/bans`, { name: 'Troll' }, owner.token);
    expect(forever.status).toBe(200);
    const ip = await api.post(
      `/servers/${serverId}/players/ip-bans`,
      { ip: '203.0.113.7', reason: 'Bots', expires_in: '2h' },
      owner.token,
    );
    expect(ip.status).toBe(200);
    const lists = await api.get(`/servers/${serverId}/players/lists`, owner.token);
    expect(lists.status).toBe(200);
    expect(lists.body.bans).toEqual([
      expect.objectContaining({ name: 'Griefer', expires_at: '2099-01-02T03:04:05.000Z', active: true }),
      expect.objectContaining({ name: 'Troll', expires: 'forever', expires_at: null, active: true }),
    ]);
    expect(lists.body.ip_bans).toEqual([
      expect.objectContaining({ ip: '203.0.113.7', reason: 'Bots', active: true }),
    ]);

    expect((await api.delete(`/servers/${serverId}/players/bans/Troll`, owner.token)).status).toBe(200);
    expect((await api.delete(`/servers/${serverId}/players/ip-bans/203.0.113.7`, owner.token)).status).toBe(
      200,
    );
    expect((await readList(serverId, 'banned-players.json')).map((e) => e.name)).toEqual(['Griefer']);
    expect(await readList(serverId, 'banned-ips.json')).toEqual([]);
  });

  it('shows a hand-written expired ban as inactive', async () => {
    const file = path.join(folder(serverId), 'banned-players.json');
    const list = JSON.parse(await readFile(file, 'utf8')) as unknown[];
    list.push({
      uuid: 'x',
      name: 'Old',
      created: '2020-01-01 00:00:00 +0000',
      source: 'Server',
      expires: '2020-02-01 00:00:00 +0100',
      reason: 'r',
    });
    await writeFile(file, JSON.stringify(list));
    const lists = await api.get(`/servers/${serverId}/players/lists`, owner.token);
    expect(lists.body.bans.find((b: { name: string }) => b.name === 'Old')).toMatchObject({
      active: false,
      expires_at: '2020-01-31T23:00:00.000Z',
    });
  });

  it('never reads or writes through a list file that is a symbolic link', async () => {
    const outside = await mkdtemp(path.join(os.tmpdir(), 'minefleet-outside-'));
    try {
      const secret = path.join(outside, 'secret.json');
      const content = JSON.stringify([{ uuid: 'u', name: 'SecretName', level: 4 }]);
      await writeFile(secret, content);
      await rm(path.join(folder(serverId), 'ops.json'), { force: true });
      await symlink(secret, path.join(folder(serverId), 'ops.json'));
      const lists = await api.get(`/servers/${serverId}/players/lists`, owner.token);
      expect(lists.body.ops).toEqual([]);
      expect((await api.post(`/servers/${serverId}/players/ops`, { name: 'Real' }, owner.token)).status).toBe(
        200,
      );
      expect(await readFile(secret, 'utf8')).toBe(content);
      expect((await readList(serverId, 'ops.json')).map((e) => e.name)).toEqual(['Real']);
      await api.delete(`/servers/${serverId}/players/ops/Real`, owner.token);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('refuses bad input with stable codes and writes nothing', async () => {
    const before = await readFile(path.join(folder(serverId), 'banned-players.json'), 'utf8');
    const cases: [string, unknown, string][] = [
      ['bans', { name: 'bad name' }, 'VALIDATION_FAILED'],
      ['bans', { name: 'Someone', reason: 'two\nlines' }, 'VALIDATION_FAILED'],
      ['bans', { name: 'Someone', expires_at: '2001-01-01T00:00:00Z' }, 'VALIDATION_FAILED'],
      ['bans', { name: 'Someone', expires_at: 'tomorrow' }, 'INVALID_TIME'],
      [
        'bans',
        { name: 'Someone', expires_at: '2099-01-01T00:00:00Z', expires_in: '1h' },
        'VALIDATION_FAILED',
      ],
      ['ip-bans', { ip: '999.1.1.1' }, 'VALIDATION_FAILED'],
      ['kick', { name: 'Steve' }, 'SERVER_NOT_RUNNING'],
    ];
    for (const [route, body, code] of cases) {
      const res = await api.post(`/servers/${serverId}/players/${route}`, body, owner.token);
      expect({ route, body, code: res.body.error?.code }).toEqual({ route, body, code });
    }
    expect(await readFile(path.join(folder(serverId), 'banned-players.json'), 'utf8')).toBe(before);
  });

  it('viewers list, operators manage players, only admins switch the whitelist', async () => {
    const viewer = await session('viewer');
    const operator = await session('operator');
    expect((await api.get(`/servers/${serverId}/players/lists`, viewer)).status).toBe(200);
    expect((await api.get(`/servers/${serverId}/players`, viewer)).body).toEqual({ players: [] });
    const denied = await api.post(`/servers/${serverId}/players/whitelist`, { name: 'Viewer' }, viewer);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('FORBIDDEN');
    expect((await api.post(`/servers/${serverId}/players/bans`, { name: 'X' }, viewer)).status).toBe(403);
    expect(
      (await api.post(`/servers/${serverId}/players/whitelist`, { name: 'OpAdded' }, operator)).status,
    ).toBe(200);
    expect((await put(`/servers/${serverId}/players/whitelist`, { enabled: false }, operator)).status).toBe(
      403,
    );
    const other = await api.signup('players-other');
    const hidden = await api.get(`/servers/${serverId}/players/lists`, other.token);
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe('SERVER_NOT_FOUND');
  });

  it('records each change in the audit log: who, which player, when', async () => {
    const events = await api.get(`/audit?server_id=${serverId}&action=players.&per_page=100`, owner.token);
    expect(events.status).toBe(200);
    const ban = events.body.events.find(
      (e: { action: string; details: { player?: string } }) =>
        e.action === 'players.ban' && e.details?.player === 'Griefer',
    );
    expect(ban).toMatchObject({
      actor_user_id: owner.userId,
      outcome: 'success',
      details: {
        player: 'Griefer',
        reason: 'Broke the spawn',
        expires_at: '2099-01-02T03:04:05.000Z',
        applied: 'file',
      },
    });
    expect(Date.parse(ban.created_at)).toBeGreaterThan(Date.now() - 120_000);
    const actions = new Set(events.body.events.map((e: { action: string }) => e.action));
    for (const action of [
      'players.whitelist.add',
      'players.whitelist.switch',
      'players.op',
      'players.deop',
      'players.ban',
      'players.pardon',
      'players.ban_ip',
      'players.pardon_ip',
      'players.kick',
    ]) {
      expect(actions).toContain(action);
    }
    const denied = events.body.events.find(
      (e: { action: string; outcome: string }) =>
        e.action === 'players.whitelist.add' && e.outcome === 'failure',
    );
    expect(denied).toMatchObject({ status_code: 403 });
  });

  describe('an online-mode server', () => {
    let javaId: string;
    beforeAll(async () => {
      // A Java distribution record (no Java needed: the server is never started here).
      const created = await api.post(
        '/servers',
        {
          name: 'players-online',
          sku_id: 'starter',
          minecraft_version: '1.20.2',
          server_properties: { 'online-mode': true },
        },
        owner.token,
      );
      javaId = created.body.id;
      await api.waitForStatus(javaId, owner.token, 'stopped');
      await cp.db.database.system(async (tx) => {
        const { servers } = await import('@minefleet/db/schema');
        const { eq } = await import('drizzle-orm');
        await tx.update(servers).set({ distribution: 'paper' }).where(eq(servers.id, javaId));
      });
    });

    it('resolves names through the account API, caches them, and names an unknown one', async () => {
      const res = await api.post(`/servers/${javaId}/players/whitelist`, { name: 'notch' }, owner.token);
      expect(res.status).toBe(200);
      expect(res.body.player).toEqual({ name: 'Notch', uuid: '069a79f4-44e9-4726-a5be-fca90e38aaf5' });
      const hits = mojangHits;
      await api.post(`/servers/${javaId}/players/ops`, { name: 'Notch' }, owner.token);
      expect(mojangHits).toBe(hits);
      expect((await readList(javaId, 'ops.json'))[0]).toMatchObject({
        name: 'Notch',
        uuid: '069a79f4-44e9-4726-a5be-fca90e38aaf5',
        level: 4,
      });
      const unknown = await api.post(
        `/servers/${javaId}/players/bans`,
        { name: 'NoSuchPlayer' },
        owner.token,
      );
      expect(unknown.status).toBe(404);
      expect(unknown.body.error.code).toBe('PLAYER_NOT_FOUND');
    });

    it('says so clearly when the account API cannot answer, and changes nothing', async () => {
      mojangDown = true;
      try {
        const res = await api.post(`/servers/${javaId}/players/whitelist`, { name: 'Jeb_' }, owner.token);
        expect(res.status).toBe(502);
        expect(res.body.error.code).toBe('PLAYER_LOOKUP_UNAVAILABLE');
        expect((await readList(javaId, 'whitelist.json')).map((e) => e.name)).toEqual(['Notch']);
      } finally {
        mojangDown = false;
      }
    });
  });
});
