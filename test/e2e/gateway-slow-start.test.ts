import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import minecraftProtocol from 'minecraft-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { BOT_TEST_VERSION, joinBot, type TestBot } from '@minefleet/testkit/minecraft';
import { freePort } from '@minefleet/testkit/ports';

/**
 * A server whose start takes longer than the hold window: the player is told at once to join again
 * (with the server's own expected start time) instead of waiting into the client's timeout, and the
 * start goes on, so joining again works. The window is shortened to 1 s, and a test plugin holds every
 * start of the server for 3 s (a bare flying-squid start can take about 1 s on a quiet machine). Nothing
 * is seeded: the expected time is the one the platform measured, plugin loading included.
 *
 * A 1.20.5+ client is not told to join again: the gateway answers its login itself, keeps it in the
 * configuration state and sends it the Transfer packet once the server runs. minecraft-protocol does
 * not follow transfers (it reports the packet), so the test reconnects as the game client would: to
 * the host and port the packet names, with handshake intent 3. The gateway routes that login to the
 * now running flying-squid server (as intent 2: flying-squid knows no transfers), and the player spawns.
 */
const SLOW = new URL('./fixtures/slow-start-plugin.js', import.meta.url);
const TRANSFER_VERSION = '1.20.5';

interface Joined {
  client: minecraftProtocol.Client;
  seen: string[];
  packet(name: string): Promise<Record<string, unknown>>;
  ended: Promise<void>;
}

function join(gateway: { host: string; port: number }, host: string, username: string, intent = 2): Joined {
  const client = minecraftProtocol.createClient({
    host: gateway.host,
    port: gateway.port,
    fakeHost: host,
    username,
    version: TRANSFER_VERSION,
    auth: 'offline',
    hideErrors: true,
  });
  if (intent !== 2) {
    const write = client.write.bind(client);
    client.write = (name: string, params: Record<string, unknown>) =>
      write(name, name === 'set_protocol' ? { ...params, nextState: intent } : params);
  }
  const seen: string[] = [];
  client.on('packet', (_data, meta: minecraftProtocol.PacketMeta) => {
    seen.push(`${meta.state}:${meta.name}`);
  });
  client.on('error', () => {});
  return {
    client,
    seen,
    packet: (name) =>
      new Promise((resolve) => {
        const listener = (data: Record<string, unknown>, meta: { name: string }) => {
          if (meta.name !== name) return;
          client.off('packet', listener);
          resolve(data);
        };
        client.on('packet', listener);
      }),
    ended: new Promise((resolve) => client.on('end', () => resolve())),
  };
}

describe('gateway: a start slower than the hold window', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  let gateway: { host: string; port: number };
  let bot: TestBot | undefined;
  const clients: minecraftProtocol.Client[] = [];

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { monitorIntervalMs: 500, reconcileIntervalMs: 2_000 },
      env: {
        MINEFLEET_GATEWAY: 'on',
        MINEFLEET_GATEWAY_HOST: '127.0.0.1',
        MINEFLEET_GATEWAY_PORT: String(await freePort()),
        MINEFLEET_GAME_DOMAIN: 'play.test',
        MINEFLEET_SLEEP_CHECK_SECONDS: '1',
        MINEFLEET_GATEWAY_HOLD_SECONDS: '1',
      },
    });
    api = cp.api;
    user = await api.signup('slow');
    gateway = cp.controlPlane.gatewayAddress()!;
  });
  afterAll(async () => {
    await bot?.quit();
    for (const client of clients) client.end('done');
    await cp?.close();
  });

  it('tells the player to join again in N s, and the server is up when they do', async () => {
    const created = await api.post(
      '/servers',
      { name: 'slowpoke', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
      user.token,
    );
    const id = created.body.id as string;
    await api.waitForStatus(id, user.token, 'stopped', 60_000);
    const plugins = path.join(cp.dataDir, 'servers', id, 'plugins');
    await mkdir(plugins, { recursive: true });
    await copyFile(SLOW, path.join(plugins, 'slow-start.js'));
    expect((await api.post(`/servers/${id}/start`, {}, user.token)).status).toBe(202);
    await api.waitForStatus(id, user.token, 'running', 60_000);
    const settings = await api.patch(
      `/servers/${id}/gateway`,
      { sleep_enabled: true, idle_after_seconds: 1 },
      user.token,
    );
    const host = settings.body.platform_hostname as string;
    await api.waitForStatus(id, user.token, 'sleeping', 30_000);
    // The server answers server-list pings before its plugins load; it counts as running only once the
    // launcher says it admits players, so the recorded start (the one the wake decides by) holds the
    // plugin's 3 s.
    const view = await api.get(`/servers/${id}/gateway`, user.token);
    expect(view.body.recent_start_seconds).toHaveLength(1);
    expect(view.body.expected_start_seconds).toBeGreaterThanOrEqual(3);

    const started = performance.now();
    const refused = await joinBot(gateway, {
      username: 'Early',
      version: BOT_TEST_VERSION,
      serverHost: host,
    }).then(
      () => 'joined',
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/starting\. Join again in \d+ s/);
    expect(Number(/Join again in (\d+) s/.exec(refused)![1])).toBeGreaterThanOrEqual(3);
    // Answered right away: well inside the client's own 30 s (bot start-up included).
    expect(performance.now() - started).toBeLessThan(10_000);
    const wakes = await api.waitForWakes(id, user.token);
    expect(wakes[0]).toMatchObject({ player: 'Early', outcome: 'too_slow' });

    await api.patch(`/servers/${id}/gateway`, { idle_after_seconds: 3600 }, user.token);
    await api.waitForStatus(id, user.token, 'running', 60_000);
    bot = await joinBot(gateway, { username: 'Patient', version: BOT_TEST_VERSION, serverHost: host });
    expect(bot.bot.entity).toBeDefined();
  });

  it('holds the player, transfers it once the server runs, and the player spawns', async () => {
    const created = await api.post(
      '/servers',
      { name: 'slowtransfer', sku_id: 'starter', minecraft_version: TRANSFER_VERSION },
      user.token,
    );
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await api.waitForStatus(id, user.token, 'stopped', 60_000);
    const plugins = path.join(cp.dataDir, 'servers', id, 'plugins');
    await mkdir(plugins, { recursive: true });
    await copyFile(SLOW, path.join(plugins, 'slow-start.js'));
    expect((await api.post(`/servers/${id}/start`, {}, user.token)).status).toBe(202);
    await api.waitForStatus(id, user.token, 'running', 60_000);
    const settings = await api.patch(
      `/servers/${id}/gateway`,
      { sleep_enabled: true, idle_after_seconds: 1 },
      user.token,
    );
    const host = settings.body.platform_hostname as string;
    await api.waitForStatus(id, user.token, 'sleeping', 30_000);
    const view = await api.get(`/servers/${id}/gateway`, user.token);
    expect(view.body.expected_start_seconds).toBeGreaterThanOrEqual(3);
    // Once woken, the server must not fall asleep again before the player is back.
    await api.patch(`/servers/${id}/gateway`, { idle_after_seconds: 3600 }, user.token);

    const started = performance.now();
    const held = join(gateway, host, 'Held');
    clients.push(held.client);
    const transfer = held.packet('transfer');
    const dropped = held.packet('disconnect').then((d) => JSON.stringify(d.reason));
    const target = await Promise.race([transfer, dropped.then((reason) => ({ dropped: reason }))]);
    const heldMs = performance.now() - started;
    // Answered by the gateway (Login Success, a keep-alive in the configuration state), then sent back
    // to the address it used once the server ran: past the 1 s window, so it was held, not refused.
    expect(target).toEqual({ host, port: gateway.port });
    expect(held.seen.slice(0, 2)).toEqual(['login:success', 'configuration:keep_alive']);
    expect(heldMs).toBeGreaterThan(1_000);
    expect((await api.get(`/servers/${id}`, user.token)).body.status).toBe('running');
    held.client.end('transfer');
    await held.ended;

    const back = join(gateway, host, 'Held', 3);
    clients.push(back.client);
    const position = await back.packet('position');
    expect(position).toHaveProperty('x');
    expect(back.seen).toContain('play:login');

    const wakes = await api.waitForWakes(id, user.token);
    expect(wakes[0]).toMatchObject({ player: 'Held', outcome: 'ready' });
    expect(wakes[0].duration_ms).toBeGreaterThan(1_000);
  });
});
