import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { BOT_TEST_VERSION, joinBot, pingOnce, type TestBot } from '@minefleet/testkit/minecraft';
import { freePort } from '@minefleet/testkit/ports';

/**
 * The gateway end to end, with real flying-squid servers and real clients (mineflayer bots and
 * minecraft-protocol pings) through one gateway port: routing by hostname, the unknown-host answer,
 * sleep after idle_after, a ping that shows the sleeping state without starting the server, a login that
 * wakes it, a connected player never put to sleep, the freeze tier, and a wake whose start crashes.
 */
const CRASH_ON_LOAD = new URL('./fixtures/crash-on-load-plugin.js', import.meta.url);
describe('gateway: every server on one port, sleep and wake', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  let gateway: { host: string; port: number };
  const servers: Record<string, { id: string; host: string }> = {};
  const bots: TestBot[] = [];

  beforeAll(async () => {
    const gatewayPort = await freePort();
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { monitorIntervalMs: 500, reconcileIntervalMs: 2_000 },
      env: {
        MINEFLEET_GATEWAY: 'on',
        MINEFLEET_GATEWAY_HOST: '127.0.0.1',
        MINEFLEET_GATEWAY_PORT: String(gatewayPort),
        MINEFLEET_GAME_DOMAIN: 'play.test',
        MINEFLEET_SLEEP_CHECK_SECONDS: '1',
        MINEFLEET_GATEWAY_RATE_PER_SECOND: '1000',
      },
    });
    api = cp.api;
    user = await api.signup('gateway');
    gateway = cp.controlPlane.gatewayAddress()!;
    expect(gateway.port).toBe(gatewayPort);
    for (const name of ['lobby', 'survival', 'creative']) {
      const created = await api.post(
        '/servers',
        {
          name,
          sku_id: 'starter',
          minecraft_version: BOT_TEST_VERSION,
          server_properties: { motd: `Welcome to ${name}` },
          start: true,
        },
        user.token,
      );
      expect(created.status).toBe(202);
      const settings = await api.get(`/servers/${created.body.id}/gateway`, user.token);
      expect(settings.status).toBe(200);
      expect(settings.body.platform_hostname).toMatch(new RegExp(`^${name}\\.[a-z0-9-]+\\.play\\.test$`));
      servers[name] = { id: created.body.id, host: settings.body.platform_hostname };
    }
    for (const { id } of Object.values(servers)) await api.waitForStatus(id, user.token, 'running', 60_000);
  });

  afterAll(async () => {
    for (const bot of bots) await bot.quit().catch(() => {});
    await cp?.close();
  });

  it('routes pings and bots by hostname to the right server', async () => {
    for (const [name, { host }] of Object.entries(servers)) {
      const ping = await pingOnce(gateway, BOT_TEST_VERSION, 3_000, host);
      expect(ping.motd).toBe(`Welcome to ${name}`);
    }
    // A custom hostname (with Forge's marker and a trailing dot as clients send them) reaches its server.
    const patched = await api.patch(
      `/servers/${servers.creative!.id}/gateway`,
      { hostnames: ['Build.Example.Org'] },
      user.token,
    );
    expect(patched.status).toBe(200);
    expect(patched.body.hostnames).toEqual(['build.example.org']);
    expect((await pingOnce(gateway, BOT_TEST_VERSION, 3_000, 'build.example.org.\0FML3\0')).motd).toBe(
      'Welcome to creative',
    );
    const bot = await joinBot(gateway, {
      username: 'Router',
      version: BOT_TEST_VERSION,
      serverHost: servers.survival!.host,
    });
    bots.push(bot);
    const seen = await api.waitForServer(
      servers.survival!.id,
      user.token,
      (s) => s.players_online === 1,
      15_000,
    );
    expect(seen.players_online).toBe(1);
    const lobby = await api.get(`/servers/${servers.lobby!.id}`, user.token);
    expect(lobby.body.players_online ?? 0).toBe(0);
    await bot.quit();
    bots.pop();
  });

  it('answers an unknown hostname itself, and refuses a hostname another server holds', async () => {
    const ping = await pingOnce(gateway, BOT_TEST_VERSION, 3_000, 'nobody.acme.play.test');
    expect(ping.motd).toMatch(/Unknown server/);
    await expect(
      joinBot(gateway, { username: 'Lost', version: BOT_TEST_VERSION, serverHost: 'nobody.example.org' }),
    ).rejects.toThrow(/Unknown server/);
    const taken = await api.patch(
      `/servers/${servers.lobby!.id}/gateway`,
      { hostnames: ['build.example.org'] },
      user.token,
    );
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('HOSTNAME_TAKEN');
    const reserved = await api.patch(
      `/servers/${servers.lobby!.id}/gateway`,
      { hostnames: ['x.play.test'] },
      user.token,
    );
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.code).toBe('INVALID_HOSTNAME');
  });

  it('never puts a server with a connected player to sleep', async () => {
    const { id, host } = servers.survival!;
    const bot = await joinBot(gateway, { username: 'Stayer', version: BOT_TEST_VERSION, serverHost: host });
    bots.push(bot);
    const enabled = await api.patch(
      `/servers/${id}/gateway`,
      { sleep_enabled: true, idle_after_seconds: 2 },
      user.token,
    );
    expect(enabled.status).toBe(200);
    // Four idle periods with the player online.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const after = await api.get(`/servers/${id}`, user.token);
    expect(after.body.status).toBe('running');
    expect(bot.bot.entity).toBeDefined();
    const ended = await Promise.race([
      bot.ended,
      new Promise((resolve) => setTimeout(() => resolve('still online'), 10)),
    ]);
    expect(ended).toBe('still online');
    await api.patch(`/servers/${id}/gateway`, { sleep_enabled: false }, user.token);
    await bot.quit();
    bots.pop();
  });

  it('sleeps an idle server; a ping shows it asleep at once without starting it; a login wakes it', async () => {
    const { id, host } = servers.lobby!;
    const enabled = await api.patch(
      `/servers/${id}/gateway`,
      { sleep_enabled: true, idle_after_seconds: 2 },
      user.token,
    );
    expect(enabled.body.sleep_enabled).toBe(true);
    const asleep = await api.waitForStatus(id, user.token, 'sleeping', 30_000);
    expect(asleep.desired_state).toBe('sleeping');

    // The control plane shares this test's process, and its embedded database and idle checks block
    // the event loop while they run: the fastest of five pings is the gateway's own answer time
    // (bench:gateway measures it in a process of its own).
    const pings = [];
    for (let i = 0; i < 5; i++) pings.push(await pingOnce(gateway, BOT_TEST_VERSION, 3_000, host));
    expect(Math.min(...pings.map((p) => p.latencyMs))).toBeLessThan(100);
    for (const ping of pings) expect(ping.motd).toBe('Welcome to lobby\nsleeping — join to start');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await api.get(`/servers/${id}`, user.token)).body.status).toBe('sleeping');

    // Turn the idle timer off again so the woken server stays up for the rest of the test.
    await api.patch(`/servers/${id}/gateway`, { idle_after_seconds: 3600 }, user.token);
    const started = performance.now();
    const bot = await joinBot(gateway, {
      username: 'Waker',
      version: BOT_TEST_VERSION,
      serverHost: host,
      timeoutMs: 30_000,
    });
    bots.push(bot);
    const waited = performance.now() - started;
    expect(waited).toBeLessThan(25_000);
    expect((await api.get(`/servers/${id}`, user.token)).body.status).toBe('running');
    const wakes = await api.waitForWakes(id, user.token);
    expect(wakes[0]).toMatchObject({ player: 'Waker', from_status: 'sleeping', outcome: 'ready' });
    expect(wakes[0].duration_ms).toBeGreaterThan(0);
    const view = await api.get(`/servers/${id}/gateway`, user.token);
    expect(view.body.recent_start_seconds.length).toBeGreaterThan(0);
    expect(view.body.saved_seconds_this_month).toBeGreaterThanOrEqual(0);
    const metrics = await api.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${cp.metricsToken}` },
    });
    expect(String(metrics.body)).toMatch(
      /minefleet_gateway_wakes_total\{outcome="ready",from="sleeping"\} 1/,
    );
    await bot.quit();
    bots.pop();
  });

  it('freezes an idle server and a login resumes it in under a second', async () => {
    const { id, host } = servers.creative!;
    await api.patch(
      `/servers/${id}/gateway`,
      { sleep_enabled: true, idle_after_seconds: 2, sleep_mode: 'freeze' },
      user.token,
    );
    await api.waitForStatus(id, user.token, 'frozen', 30_000);
    const ping = await pingOnce(gateway, BOT_TEST_VERSION, 3_000, host);
    expect(ping.motd).toBe('Welcome to creative\npaused — join to resume');
    await api.patch(`/servers/${id}/gateway`, { idle_after_seconds: 3600 }, user.token);
    const bot = await joinBot(gateway, { username: 'Thawer', version: BOT_TEST_VERSION, serverHost: host });
    bots.push(bot);
    const wakes = await api.waitForWakes(id, user.token);
    expect(wakes[0]).toMatchObject({ player: 'Thawer', from_status: 'frozen', outcome: 'ready' });
    expect(wakes[0].duration_ms).toBeLessThan(1_000);
    expect((await api.get(`/servers/${id}`, user.token)).body.status).toBe('running');
  });

  it('tells a held player at once that the server failed to start when its start crashes', async () => {
    const { id, host } = servers.survival!;
    await api.patch(`/servers/${id}/gateway`, { sleep_enabled: true, idle_after_seconds: 1 }, user.token);
    await api.waitForStatus(id, user.token, 'sleeping', 30_000);
    // From now on every start of the server ends while its plugins load, before it admits anyone.
    const plugins = path.join(cp.dataDir, 'servers', id, 'plugins');
    await mkdir(plugins, { recursive: true });
    await copyFile(CRASH_ON_LOAD, path.join(plugins, 'crash-on-load.js'));

    const started = performance.now();
    const refused = await joinBot(gateway, {
      username: 'Unlucky',
      version: BOT_TEST_VERSION,
      serverHost: host,
      timeoutMs: 30_000,
    }).then(
      () => 'joined',
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/crashed while starting: The server exited with code 3/);
    // The crash answers the login, not the hold window's end (25 s) nor the client's timeout.
    expect(performance.now() - started).toBeLessThan(10_000);
    const wakes = await api.waitForWakes(id, user.token);
    expect(wakes[0]).toMatchObject({
      player: 'Unlucky',
      from_status: 'sleeping',
      outcome: 'failed',
    });
  });
});
