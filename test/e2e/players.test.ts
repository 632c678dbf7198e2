import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { BOT_TEST_VERSION, joinBot, type TestBot } from '@minefleet/testkit/minecraft';

/**
 * Player management through the public API only, proven by real mineflayer clients on a running
 * flying-squid server (the launcher's built-in access plugin): whitelist, operator levels, kicks, timed
 * bans and IP bans applied live; then the same kinds of change made while the server is stopped, in force
 * after it starts.
 */
describe('players, in game', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  let serverId: string;
  let address: { host: string; port: number };
  const bots: TestBot[] = [];

  const join = async (username: string) => {
    const bot = await joinBot(address, { username, version: BOT_TEST_VERSION, timeoutMs: 15_000 });
    bots.push(bot);
    return bot;
  };
  /** The reason a join is refused with (fails if the join succeeds). */
  const refusal = async (username: string): Promise<string> => {
    try {
      const bot = await join(username);
      await bot.quit();
    } catch (error) {
      return (error as Error).message;
    }
    throw new Error(`${username} joined but should have been refused`);
  };
  const players = (path: string, body: unknown) =>
    api.post(`/servers/${serverId}/players/${path}`, body, user.token);

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { monitorIntervalMs: 300, reconcileIntervalMs: 2_000 },
    });
    api = cp.api;
    user = await api.signup('players-e2e');
    const created = await api.post(
      '/servers',
      { name: 'e2e-players', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
      user.token,
    );
    expect(created.status).toBe(202);
    serverId = created.body.id;
    address = created.body.address;
    await api.waitForStatus(serverId, user.token, 'running', 30_000);
  });
  afterAll(async () => {
    await Promise.all(bots.map((b) => b.quit()));
    await cp?.close();
  });

  it('whitelist on: a bot not on it is refused; added, it joins', async () => {
    const on = await api.request('PUT', `/api/v1/servers/${serverId}/players/whitelist`, {
      token: user.token,
      body: { enabled: true },
    });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ enabled: true, applied: 'live' });
    expect(await refusal('Outsider')).toMatch(/not white-listed/);

    const added = await players('whitelist', { name: 'Outsider' });
    expect(added.status).toBe(200);
    expect(added.body.applied).toBe('live');
    const bot = await join('Outsider');
    expect(bot.bot.entity).toBeDefined();
  });

  it('lists the bot online with its offline-mode UUID, join time and ping', async () => {
    // The first keep-alive round trip (every 4 s) gives the ping.
    const deadline = Date.now() + 15_000;
    let online: { name: string; uuid: string; since: string; ping_ms: number | null }[] = [];
    while (Date.now() < deadline) {
      online = (await api.get(`/servers/${serverId}/players`, user.token)).body.players;
      if (online.some((p) => p.name === 'Outsider' && p.since !== null && p.ping_ms !== null)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const bot = bots.at(-1)!;
    expect(online).toEqual([
      expect.objectContaining({
        name: 'Outsider',
        uuid: (bot.bot._client as unknown as { uuid: string }).uuid,
        since: expect.any(String),
        ping_ms: expect.any(Number),
      }),
    ]);
    expect(online[0]!.ping_ms).toBeGreaterThanOrEqual(0);
    expect(online[0]!.ping_ms).toBeLessThan(1_000);
  });

  it('op: the bot can then run an operator command (level 2), not before', async () => {
    const bot = bots.at(-1)!;
    const denied = bot.waitForMessage(/permission/i);
    bot.bot.chat('/say before-op');
    await denied;
    const op = await players('ops', { name: 'Outsider', level: 2 });
    expect(op.status).toBe(200);
    expect(op.body.applied).toBe('live');
    const said = bot.waitForMessage(/after-op/);
    bot.bot.chat('/say after-op');
    expect(await said).toContain('[Outsider] after-op');
    // Level 2 is not moderation: kicking needs level 3.
    const moderation = bot.waitForMessage(/permission/i);
    bot.bot.chat('/kick Outsider');
    await moderation;
    const lists = await api.get(`/servers/${serverId}/players/lists`, user.token);
    expect(lists.body.ops).toEqual([expect.objectContaining({ name: 'Outsider', level: 2 })]);
  });

  it('kick: the bot is disconnected with the reason; someone not online is a 404', async () => {
    const absent = await players('kick', { name: 'NotHere' });
    expect(absent.status).toBe(404);
    expect(absent.body.error.code).toBe('PLAYER_NOT_FOUND');
    const bot = bots.at(-1)!;
    const kicked = await players('kick', { name: 'Outsider', reason: 'Take a short break' });
    expect(kicked.status).toBe(200);
    expect(await bot.ended).toContain('Take a short break');
  });

  it('ban with an end: refused with the reason until it ends, then welcome again', async () => {
    const ban = await players('bans', { name: 'Outsider', reason: 'Cool down', expires_in: '6s' });
    expect(ban.status).toBe(200);
    expect(ban.body.applied).toBe('live');
    const bannedAt = Date.now();
    const refused = await refusal('Outsider');
    expect(refused).toMatch(/banned/);
    expect(refused).toMatch(/Cool down/);
    let joined: TestBot | undefined;
    while (!joined && Date.now() - bannedAt < 30_000) {
      try {
        joined = await join('Outsider');
      } catch {
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    expect(joined).toBeDefined();
    expect(Date.now() - bannedAt).toBeGreaterThan(4_000);
    await joined!.quit();
  });

  it('IP ban: every bot from the address is refused until pardoned', async () => {
    const ban = await players('ip-bans', { ip: '127.0.0.1', reason: 'Address blocked' });
    expect(ban.status).toBe(200);
    expect(await refusal('Outsider')).toMatch(/Address blocked/);
    const pardon = await api.delete(`/servers/${serverId}/players/ip-bans/127.0.0.1`, user.token);
    expect(pardon.status).toBe(200);
    expect(pardon.body.applied).toBe('live');
    await (await join('Outsider')).quit();
  });

  it('changes made while the server is stopped are in force after it starts', async () => {
    const stop = await api.post(`/servers/${serverId}/stop`, {}, user.token);
    expect(stop.status).toBe(202);
    await api.waitForStatus(serverId, user.token, 'stopped', 30_000);

    const changes = [
      await players('whitelist', { name: 'Latecomer' }),
      await players('ops', { name: 'Latecomer', level: 3 }),
      await players('bans', { name: 'Outsider', reason: 'Banned while you slept', expires_in: '1h' }),
    ];
    for (const change of changes) {
      expect(change.status).toBe(200);
      expect(change.body.applied).toBe('file');
    }
    const start = await api.post(`/servers/${serverId}/start`, {}, user.token);
    expect(start.status).toBe(202);
    await api.waitForStatus(serverId, user.token, 'running', 30_000);

    expect(await refusal('Stranger')).toMatch(/not white-listed/);
    expect(await refusal('Outsider')).toMatch(/Banned while you slept/);
    const late = await join('Latecomer');
    const said = late.waitForMessage(/opped-after-start/);
    late.bot.chat('/say opped-after-start');
    expect(await said).toContain('[Latecomer] opped-after-start');
    // Level 3 includes moderation: the bot can pardon through the game, and the file shows it.
    const pardoned = late.waitForMessage(/Unbanned Outsider/);
    late.bot.chat('/pardon Outsider');
    await pardoned;
    const lists = await api.get(`/servers/${serverId}/players/lists`, user.token);
    expect(lists.body.bans.map((b: { name: string }) => b.name)).not.toContain('Outsider');
    await late.quit();
  });
});
