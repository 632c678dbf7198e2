// One server's life through the public API, the same on every runtime: only the harness (how the
// platform was started, where a player connects for the address the API gives, and what "stopped" and
// "gone" mean underneath) differs. Run on the local runtime by server-journey.test.ts and on Kubernetes by
// test/k8s/platform-on-kubernetes.test.ts.
import { expect } from 'vitest';
import { Vec3 } from 'vec3';
import type { TestApi } from '@minefleet/testkit/api';
import { LiveClient } from '@minefleet/testkit/live-client';
import { BOT_TEST_VERSION, joinBot, type BlockPosition, type TestBot } from '@minefleet/testkit/minecraft';

export interface JourneyHarness {
  api: TestApi;
  /** The control plane's base URL (its WebSocket). */
  url: string;
  token: string;
  /** Where a player connects for the address the API gives (the gateway's hostname travels in the handshake). */
  connect: (address: { host: string; port: number }) => {
    address: { host: string; port: number };
    serverHost?: string;
  };
  /** What the runtime holds for a stopped server underneath (Kubernetes: phase Stopped, no replica). */
  stopped: (serverId: string) => Promise<void>;
  /** Nothing of a deleted server is left underneath (its process, folder or objects). */
  gone: (serverId: string) => Promise<void>;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sign-up to delete: create and start a flying-squid server, a player joins at its address, a console
 * command reaches the player and its output the API's WebSocket, the player places a block, a backup is
 * taken, the block is broken, the backup restored (the block is back), a plugin installed answers the
 * player after a restart, stop, delete.
 */
export async function serverJourney(h: JourneyHarness, name: string): Promise<void> {
  const { api, token } = h;
  const user = token;
  const bots: TestBot[] = [];
  const join = async (username: string) => {
    const server = (await api.get(`/servers/${id}`, user)).body as {
      address: { host: string; port: number } | null;
    };
    expect(server.address, 'the server has an address players can reach').toBeTruthy();
    const target = h.connect(server.address!);
    const bot = await joinBot(target.address, {
      username,
      version: BOT_TEST_VERSION,
      timeoutMs: 30_000,
      ...(target.serverHost ? { serverHost: target.serverHost } : {}),
    });
    bots.push(bot);
    return bot;
  };
  const waitForBackup = async (backupId: string) => {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const body = (await api.get(`/backups/${backupId}`, user)).body as Record<string, unknown>;
      if (!['pending', 'running', 'restoring'].includes(body['status'] as string)) return body;
      if (Date.now() > deadline) throw new Error(`backup still ${JSON.stringify(body)}`);
      await wait(100);
    }
  };
  /** Until the block at `at` is `name` as the bot sees it (a restored world is sent again on join). */
  const blockIs = async (bot: TestBot, at: BlockPosition, name: string) => {
    const deadline = Date.now() + 15_000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = await bot.blockNameAt(at);
      if (seen === name) return;
      await wait(100);
    }
    expect(seen, `the block at ${JSON.stringify(at)}`).toBe(name);
  };

  const created = await api.post(
    '/servers',
    { name, sku_id: 'starter', minecraft_version: BOT_TEST_VERSION },
    user,
  );
  expect(created.status, JSON.stringify(created.body)).toBe(202);
  const id = created.body.id as string;
  try {
    await api.waitForStatus(id, user, 'stopped', 60_000);
    expect((await api.post(`/servers/${id}/start`, {}, user)).status).toBe(202);
    await api.waitForStatus(id, user, 'running', 60_000);

    // A player at the address the API gives; a console command reaches it, its output the WebSocket.
    const builder = await join('Builder');
    const live = await LiveClient.open(h.url, user);
    try {
      expect((await live.subscribe(id, ['console'])).type).toBe('subscribed');
      const heard = builder.waitForMessage(/hello from the journey/, 15_000);
      expect((await live.command(id, 'say hello from the journey')).type).toBe('command_accepted');
      await heard;
      await live.waitFor(
        (m) =>
          m.type === 'console' &&
          (m.data as { source: string }).source !== 'command' &&
          (m.data as { message: string }).message.includes('hello from the journey'),
      );
    } finally {
      await live.close();
    }

    // A block, a backup, the block broken, the backup restored: the block is back.
    const spot = await builder.placeBlockBeside('stone');
    await blockIs(builder, spot, 'stone');
    const taken = await api.post(`/servers/${id}/backups`, { name: 'with-the-block' }, user);
    expect(taken.status, JSON.stringify(taken.body)).toBe(202);
    const backup = await waitForBackup(taken.body.id as string);
    expect(backup, JSON.stringify(backup)).toMatchObject({ status: 'completed', error: null });
    await builder.bot.dig(builder.bot.blockAt(new Vec3(spot.x, spot.y, spot.z))!);
    await blockIs(builder, spot, 'air');
    const restored = await api.post(`/servers/${id}/backups/${backup['id'] as string}/restore`, {}, user);
    expect(restored.status, JSON.stringify(restored.body)).toBe(202);
    await builder.ended; // the restore stops the server
    await api.waitForServer(id, user, (s) => s.status === 'running' && s.status_reason === null, 90_000);
    // The same player comes back where the restored world has it: beside the block.
    const returning = await join('Builder');
    await blockIs(returning, spot, 'stone');
    await returning.quit();

    // A plugin with its dependency, applied at the restart: its command answers the player.
    const installed = await api.post(
      `/servers/${id}/plugins`,
      { plugin_id: 'local:hello', config_overrides: { greeting: 'Howdy {player}, from the journey' } },
      user,
    );
    expect(installed.status, JSON.stringify(installed.body)).toBe(202);
    expect(installed.body.applied).toBe('on_restart');
    const deadline = Date.now() + 60_000;
    let plugins: { plugin_id: string; status: string }[] = [];
    while (Date.now() < deadline) {
      plugins = (await api.get(`/servers/${id}/plugins`, user)).body.plugins;
      if (plugins.length === 2 && plugins.every((p) => p.status !== 'installing')) break;
      await wait(100);
    }
    expect(plugins.map((p) => [p.plugin_id, p.status]).sort(), JSON.stringify(plugins)).toEqual([
      ['local:hello', 'installed'],
      ['local:mf-core', 'installed'],
    ]);
    const before = (await api.get(`/servers/${id}`, user)).body.started_at as string;
    expect((await api.post(`/servers/${id}/restart`, {}, user)).status).toBe(202);
    await api.waitForServer(id, user, (s) => s.status === 'running' && s.started_at !== before, 60_000);
    const greeted = await join('Greeted');
    const answer = greeted.waitForMessage(/Howdy|Command not found/, 15_000);
    greeted.bot.chat('/hello');
    expect(await answer).toBe('Howdy Greeted, from the journey');
    await greeted.quit();

    expect((await api.post(`/servers/${id}/stop`, {}, user)).status).toBe(202);
    await api.waitForStatus(id, user, 'stopped', 60_000);
    await h.stopped(id);
  } finally {
    for (const bot of bots) await bot.quit().catch(() => undefined);
  }
  expect((await api.delete(`/servers/${id}`, user)).status).toBe(202);
  await h.gone(id);
}
