import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { BOT_TEST_VERSION, joinBot, pingOnce, type TestBot } from '@minefleet/testkit/minecraft';

/**
 * A server's lifecycle end to end, through the public API only, with a real flying-squid server and a real
 * mineflayer client: create, start, join, chat, players_online, console command seen by the player,
 * a block that survives stop + start, a setting applied on restart and seen in the server list, a
 * stop that disconnects the player gracefully, logs and the live console stream.
 */
describe('a server’s life through the API', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  let serverId: string;
  let address: { host: string; port: number };
  let bot: TestBot | undefined;

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { monitorIntervalMs: 300, reconcileIntervalMs: 2_000 },
    });
    api = cp.api;
    user = await api.signup('life');
  });
  afterAll(async () => {
    await bot?.quit();
    await cp?.close();
  });

  it('creates and starts a flying-squid server that answers the server-list ping', async () => {
    const created = await api.post(
      '/servers',
      {
        name: 'e2e-life',
        sku_id: 'starter',
        minecraft_version: BOT_TEST_VERSION,
        server_properties: { motd: 'Before', gamemode: 'creative' },
      },
      user.token,
    );
    expect(created.status).toBe(202);
    serverId = created.body.id;
    expect(created.body.address).toBeNull(); // a game port is taken at start
    await api.waitForStatus(serverId, user.token, 'stopped');

    const started = await api.post(`/servers/${serverId}/start`, {}, user.token);
    expect(started.status).toBe(202);
    expect(started.body.status).toBe('starting');
    address = started.body.address;
    const running = await api.waitForStatus(serverId, user.token, 'running', 30_000);
    expect(running.started_at).not.toBeNull();
    expect(running.desired_state).toBe('running');
    const ping = await pingOnce(address, BOT_TEST_VERSION);
    expect(ping.motd).toContain('Before');

    const again = await api.post(`/servers/${serverId}/start`, {}, user.token);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_TRANSITION');
  });

  it('a player joins at the address, chats, and is counted in players_online', async () => {
    bot = await joinBot(address, { username: 'Walker', version: BOT_TEST_VERSION });
    const seen = await api.waitForServer(serverId, user.token, (s) => s.players_online === 1, 10_000);
    expect(seen.players_online).toBe(1);
    // include= adds the newest metrics sample (players counted), recent console lines, backups, plugins.
    const detailed = await api.waitForServer(
      serverId,
      user.token,
      (s) => s.performance?.players_online === 1,
      15_000,
      '?include=performance,logs,backups,plugins',
    );
    expect(detailed.performance.memory_bytes).toBeGreaterThan(0);
    expect(detailed.logs.length).toBeGreaterThan(0);
    expect(detailed.backups).toEqual([]);
    expect(detailed.plugins).toEqual([]);
    bot.bot.chat('hello from the bot');
    const logs = await waitForLog(api, serverId, user.token, 'hello from the bot');
    expect(logs.length).toBeGreaterThan(0);
  });

  it('a console command reaches the game: the player sees its effect', async () => {
    const heard = bot!.waitForMessage(/console says hi/);
    const sent = await api.post(
      `/servers/${serverId}/commands`,
      { command: 'say console says hi' },
      user.token,
    );
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ accepted: true });
    expect(await heard).toMatch(/console says hi/);
    const lines = await waitForLog(api, serverId, user.token, 'console says hi');
    expect(lines.some((l) => l.source === 'command')).toBe(true);
    const bad = await api.post(`/servers/${serverId}/commands`, { command: 'say one\nstop' }, user.token);
    expect(bad.status).toBe(400);
  });

  it('streams console lines live over Server-Sent Events', async () => {
    const controller = new AbortController();
    const response = await fetch(`${cp.url}/api/v1/servers/${serverId}/console/stream`, {
      headers: { authorization: `Bearer ${user.token}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    await api.post(`/servers/${serverId}/commands`, { command: 'say streamed-line-42' }, user.token);
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes('streamed-line-42') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    controller.abort();
    expect(text).toContain('event: console');
    expect(text).toContain('streamed-line-42');
  });

  it('a block placed by the player survives a stop and a start; stop disconnects the player gracefully', async () => {
    const placed = await bot!.placeBlockBeside('stone');
    expect(await bot!.blockNameAt(placed)).toBe('stone');
    const stopped = await api.post(
      `/servers/${serverId}/stop`,
      { announce: 'Going down for the test' },
      user.token,
    );
    expect(stopped.status).toBe(202);
    expect(stopped.body.status).toBe('stopping');
    const reason = await bot!.ended;
    expect(reason).toBeDefined();
    bot = undefined;
    const down = await api.waitForStatus(serverId, user.token, 'stopped', 30_000);
    expect(down.status_reason).toBeNull();
    expect(down.players_online).toBeNull();
    expect(down.address).toBeNull(); // the port is freed at stop...

    await api.post(`/servers/${serverId}/start`, {}, user.token);
    const back = await api.waitForStatus(serverId, user.token, 'running', 30_000);
    expect(back.address).toEqual(address); // ...and the start takes the same one again (it was free)
    bot = await joinBot(address, { username: 'Walker', version: BOT_TEST_VERSION });
    expect(await bot.blockNameAt(placed)).toBe('stone');
    await bot.quit();
    bot = undefined;
  });

  it('a setting changed while running applies on restart and shows in the server list', async () => {
    const change = await api.patch(
      `/servers/${serverId}`,
      { server_properties: { motd: 'After the change' } },
      user.token,
    );
    expect(change.status).toBe(200);
    expect(change.body.applied).toBe('on_restart');
    expect((await pingOnce(address, BOT_TEST_VERSION)).motd).toContain('Before');
    const live = await api.patch(
      `/servers/${serverId}`,
      { server_properties: { difficulty: 'hard' } },
      user.token,
    );
    expect(live.body.applied).toBe('live');
    // The live command really took effect in the game (flying-squid's own /difficulty took only 0-3).
    const applied = await waitForLog(api, serverId, user.token, 'difficulty has been set to Hard');
    expect(applied.length).toBeGreaterThan(0);
    const restarted = await api.post(`/servers/${serverId}/restart`, {}, user.token);
    expect(restarted.status).toBe(202);
    await api.waitForServer(
      serverId,
      user.token,
      (s) => s.status === 'running' && s.started_at !== null,
      30_000,
    );
    await waitUntil(
      async () => (await pingOnce(address, BOT_TEST_VERSION)).motd.includes('After the change'),
      15_000,
    );
  });

  it('reads logs with level, text and tail filters; bad times are 400 INVALID_TIME', async () => {
    const tail = await api.get(`/servers/${serverId}/logs?tail=5`, user.token);
    expect(tail.status).toBe(200);
    expect(tail.body.logs.length).toBeLessThanOrEqual(5);
    const since = await api.get(`/servers/${serverId}/logs?since=1h&q=console%20says`, user.token);
    expect(
      since.body.logs.every((l: { message: string }) => l.message.toLowerCase().includes('console says')),
    ).toBe(true);
    const bad = await api.get(`/servers/${serverId}/logs?since=yesterday`, user.token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_TIME');
  });

  it('deletes a running server gracefully: process gone, port freed', async () => {
    const del = await api.delete(`/servers/${serverId}`, user.token);
    expect(del.status).toBe(202);
    expect(del.body.status).toBe('deleting');
    await waitUntil(async () => (await api.get(`/servers/${serverId}`, user.token)).status === 404, 30_000);
    await expect(pingOnce(address, BOT_TEST_VERSION, 500)).rejects.toBeDefined();
    expect((await cp.controlPlane.runtime.inspect(serverId)).state).not.toBe('alive');
  });
});

async function waitForLog(api: TestApi, id: string, token: string, text: string) {
  let lines: { message: string; source: string }[] = [];
  await waitUntil(async () => {
    const res = await api.get(`/servers/${id}/logs?q=${encodeURIComponent(text)}&per_page=50`, token);
    lines = res.body.logs;
    return lines.length > 0;
  }, 10_000);
  return lines;
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // retry
    }
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 150));
  }
}
