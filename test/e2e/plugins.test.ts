import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';
import { BOT_TEST_VERSION, joinBot, type TestBot } from '@minefleet/testkit/minecraft';

/**
 * The plugin marketplace's end-to-end flow through the public API only: a built-in plugin with a dependency installed
 * on a running flying-squid server, proven in game by a real mineflayer client after a restart; then
 * disabled (the command is gone after the next restart), and removed in the only order that keeps the
 * server loadable (the dependency last).
 */
describe('a plugin’s life on a server, in game', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let user: SignedUp;
  let serverId: string;
  let address: { host: string; port: number };
  let helloId: string;
  let coreId: string;
  let bot: TestBot | undefined;

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { monitorIntervalMs: 300, reconcileIntervalMs: 2_000 },
    });
    api = cp.api;
    user = await api.signup('plugins-e2e');
    const created = await api.post(
      '/servers',
      { name: 'e2e-plugins', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
      user.token,
    );
    expect(created.status).toBe(202);
    serverId = created.body.id;
    address = created.body.address;
    await api.waitForStatus(serverId, user.token, 'running', 30_000);
  });
  afterAll(async () => {
    await bot?.quit();
    await cp?.close();
  });

  const restart = async () => {
    await bot?.quit();
    bot = undefined;
    const res = await api.post(`/servers/${serverId}/restart`, {}, user.token);
    expect(res.status).toBe(202);
    // The restart is accepted first; wait for the new process (a new started_at) to answer pings.
    const before = res.body.started_at as string | null;
    await api.waitForServer(
      serverId,
      user.token,
      (s) => s.status === 'running' && s.started_at !== before,
      30_000,
    );
  };

  /** A fresh player runs `/hello` and returns the first answer that is not a join greeting. */
  const runHello = async (username: string): Promise<string> => {
    bot = await joinBot(address, { username, version: BOT_TEST_VERSION });
    const answer = bot.waitForMessage(/Howdy|Command not found/);
    bot.bot.chat('/hello');
    return answer;
  };

  it('the built-in catalogue lists hello, with mf-core as its dependency, approved', async () => {
    const found = await api.get(`/plugins?q=hello&minecraft_version=${BOT_TEST_VERSION}`, user.token);
    expect(found.status).toBe(200);
    expect(found.body.plugins.map((p: { id: string }) => p.id)).toEqual(['local:hello']);
    const hello = await api.get('/plugins/local:hello', user.token);
    expect(hello.body.versions[0]).toMatchObject({
      approval: 'approved',
      dependencies: [{ plugin_id: 'local:mf-core', version_range: '^1.0.0', optional: false }],
    });
  });

  it('installs hello with its dependency on the running server: both in `resolved`, applied on restart', async () => {
    const res = await api.post(
      `/servers/${serverId}/plugins`,
      { plugin_id: 'local:hello', config_overrides: { greeting: 'Howdy {player}, from the API' } },
      user.token,
    );
    expect(res.status).toBe(202);
    expect(res.body.applied).toBe('on_restart');
    expect(
      res.body.resolved.map((r: { plugin_id: string; as_dependency: boolean }) => [
        r.plugin_id,
        r.as_dependency,
      ]),
    ).toEqual([
      ['local:mf-core', true],
      ['local:hello', false],
    ]);
    helloId = res.body.installation.id;
    const deadline = Date.now() + 15_000;
    let list: { id: string; plugin_id: string; status: string }[] = [];
    while (Date.now() < deadline) {
      list = (await api.get(`/servers/${serverId}/plugins`, user.token)).body.plugins;
      if (list.every((i) => i.status === 'installed')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(list.map((i) => [i.plugin_id, i.status]).sort()).toEqual([
      ['local:hello', 'installed'],
      ['local:mf-core', 'installed'],
    ]);
    coreId = list.find((i) => i.plugin_id === 'local:mf-core')!.id;
  });

  it('after a restart, a player runs /hello and gets the configured answer', async () => {
    await restart();
    expect(await runHello('Greeted')).toBe('Howdy Greeted, from the API');
  });

  it('disabled, the command is gone after the next restart', async () => {
    const res = await api.patch(`/servers/${serverId}/plugins/${helloId}`, { enabled: false }, user.token);
    expect(res.status).toBe(200);
    expect(res.body.installation.status).toBe('disabled');
    expect(res.body.applied).toBe('on_restart');
    await restart();
    expect(await runHello('Ignored')).toBe('Command not found');
  });

  it('removing the dependency first is refused; the plugin, then the dependency, are removed', async () => {
    const first = await api.delete(`/servers/${serverId}/plugins/${coreId}`, user.token);
    expect(first.status).toBe(409);
    expect(first.body.error.code).toBe('PLUGIN_HAS_DEPENDENTS');
    expect(first.body.error.details.dependents).toEqual([
      { plugin_id: 'local:hello', installation_id: helloId },
    ]);

    const hello = await api.delete(`/servers/${serverId}/plugins/${helloId}`, user.token);
    expect(hello.status).toBe(200);
    expect(hello.body.orphans).toEqual(['local:mf-core']);
    const core = await api.delete(`/servers/${serverId}/plugins/${coreId}`, user.token);
    expect(core.status).toBe(200);
    expect((await api.get(`/servers/${serverId}/plugins`, user.token)).body.plugins).toEqual([]);

    // The server still starts cleanly with an empty plugin folder.
    await restart();
    expect(await runHello('Later')).toBe('Command not found');
  });
});
