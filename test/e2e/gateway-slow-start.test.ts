import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
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
 */
const SLOW = new URL('./fixtures/slow-start-plugin.js', import.meta.url);
describe('gateway: a start slower than the hold window', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  let gateway: { host: string; port: number };
  let bot: TestBot | undefined;

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
    const wakes = await api.get(`/servers/${id}/wakes`, user.token);
    expect(wakes.body.wakes[0]).toMatchObject({ player: 'Early', outcome: 'too_slow' });

    await api.patch(`/servers/${id}/gateway`, { idle_after_seconds: 3600 }, user.token);
    await api.waitForStatus(id, user.token, 'running', 60_000);
    bot = await joinBot(gateway, { username: 'Patient', version: BOT_TEST_VERSION, serverHost: host });
    expect(bot.bot.entity).toBeDefined();
  });
});
