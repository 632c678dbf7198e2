/**
 * The built-in flying-squid plugins, proven in game: they are resolved from the local catalogue,
 * downloaded and verified into a server folder like the platform installs them, loaded by the contract
 * (load-order.json, plugins/<slug>.js, config.json), and a real mineflayer bot on a real flying-squid
 * server (in-process, 1.20.2, offline mode) runs the commands and reads the answers. The server folder
 * sits under a `"type": "module"` package, like the default ./data of a Minefleet checkout.
 */
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBot, type Bot } from 'mineflayer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePluginInstall, type InstalledPlugin } from '@minefleet/domain/plugin-resolver';
import { downloadVerified } from './download-verified.js';
import { loadFlyingSquidPlugins, type PluginHost } from './flying-squid-loader.test-support.js';
import { preparePluginFolder, writeLoadOrder, writePluginConfig } from './flying-squid-plugin-folder.js';
import { LocalCatalogueSource } from './local-catalogue-source.js';
import { catalogueOf } from './source-catalogue.test-support.js';

interface FlyingSquidServer extends PluginHost {
  listeningPort?: number;
  quit(reason?: string): Promise<void>;
  stopTickInterval?(): void;
}

const require = createRequire(import.meta.url);
const { createMCServer } = require('flying-squid') as {
  createMCServer(options: Record<string, unknown>): FlyingSquidServer;
};

const VERSION = '1.20.2';
const CONFIGS: Record<string, unknown> = {
  hello: { greeting: 'Howdy {player}, from Minefleet' },
  spawn: { position: { x: 8.5, y: 100, z: 8.5 }, message: 'Back at spawn, {player}.' },
  'join-message': { message: 'Welcome {player}! {online} online.' },
  announcer: { messages: ['Vote for us!', 'Read the rules'], interval_seconds: 1, prefix: '[Info] ' },
};

let workDir: string;
let serverDir: string;
let serv: FlyingSquidServer;
let bot: Bot;
const messages: string[] = [];
const pluginLogs: string[] = [];

/** Resolves when a chat line matching `pattern` has arrived (or already had). */
async function chatLine(pattern: RegExp, timeoutMs = 5000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = messages.find((m) => pattern.test(m));
    if (found !== undefined) return found;
    if (Date.now() > deadline)
      throw new Error(`no chat line matching ${pattern}; got ${JSON.stringify(messages)}`);
    await once(bot, 'messagestr');
  }
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'minefleet-plugins-'));
  await writeFile(path.join(workDir, 'package.json'), JSON.stringify({ type: 'module' }));
  serverDir = path.join(workDir, 'server');
  const pluginsDir = path.join(serverDir, 'plugins');
  await preparePluginFolder(pluginsDir);

  // Install like the platform: resolve against the catalogue, then download + verify each change.
  const source = await LocalCatalogueSource.load();
  const catalogue = await catalogueOf(source, ['mf-core', 'hello', 'spawn', 'join-message', 'announcer']);
  let installed: InstalledPlugin[] = [];
  let loadOrder: string[] = [];
  for (const slug of Object.keys(CONFIGS)) {
    const plan = resolvePluginInstall({
      pluginId: `local:${slug}`,
      minecraftVersion: VERSION,
      distribution: 'flying-squid',
      catalogue: catalogue.lookup,
      installed,
    });
    for (const change of plan.changes) {
      const version = catalogue.version(change.pluginId, change.version);
      await downloadVerified(await source.download(version), version, pluginsDir, version.fileName);
      installed = [
        ...installed.filter((p) => p.pluginId !== change.pluginId),
        {
          pluginId: change.pluginId,
          version: change.version,
          asDependency: change.asDependency,
          dependencies: version.dependencies,
        },
      ];
    }
    loadOrder = plan.loadOrder;
  }
  await writeLoadOrder(
    pluginsDir,
    loadOrder.map((id) => id.replace(/^local:/, '')),
  );
  for (const [slug, config] of Object.entries(CONFIGS)) {
    await writePluginConfig(pluginsDir, slug, config as Record<string, unknown>);
  }

  serv = createMCServer({
    'online-mode': false,
    host: '127.0.0.1',
    port: 0,
    version: VERSION,
    logging: false,
    motd: 'minefleet plugins test',
    'max-players': 5,
    'everybody-op': true,
    gameMode: 1,
    difficulty: 0,
    worldFolder: path.join(serverDir, 'world'),
    generation: { name: 'superflat', options: { worldHeight: 80 } },
    kickTimeout: 10_000,
    plugins: {},
    modpe: false,
    'view-distance': 2,
    'player-list-text': { header: { text: 'test' }, footer: { text: 'test' } },
    'max-entities': 10,
  });
  // Listening happens while the plugins load (file reads): wait for it from the start.
  const listening = once(serv, 'listening');
  const loaded = await loadFlyingSquidPlugins(serv, serverDir, (level, message) => {
    pluginLogs.push(`${level} ${message}`);
  });
  expect(loaded[0]).toBe('mf-core');
  await listening;

  bot = createBot({
    host: '127.0.0.1',
    port: serv.listeningPort!,
    username: 'Tester',
    auth: 'offline',
    version: VERSION,
  });
  bot.on('messagestr', (message) => {
    messages.push(message);
  });
  await once(bot, 'spawn');
}, 60_000);

afterAll(async () => {
  bot?.quit();
  await serv?.quit();
  serv?.stopTickInterval?.();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('built-in flying-squid plugins, in game', () => {
  it('installs them with mf-core first, from verified files', async () => {
    const order = JSON.parse(
      await readFile(path.join(serverDir, 'plugins', 'load-order.json'), 'utf8'),
    ) as string[];
    expect(order[0]).toBe('mf-core');
    expect([...order].sort()).toEqual(['announcer', 'hello', 'join-message', 'mf-core', 'spawn']);
    expect(pluginLogs).toContain('info [mf-core] Minefleet Core 1.0.0 ready');
    expect(pluginLogs.filter((line) => line.startsWith('error'))).toEqual([]);
  });

  it('join-message greets the player who joins', async () => {
    expect(await chatLine(/^Welcome Tester! 1 online\.$/)).toBeDefined();
  });

  it('/hello answers with the configured greeting', async () => {
    bot.chat('/hello');
    expect(await chatLine(/^Howdy Tester, from Minefleet$/)).toBeDefined();
  });

  it('/spawn teleports to the configured spawn point, /setspawn saves a new one in the data folder', async () => {
    const moved = once(bot, 'forcedMove');
    bot.chat('/spawn');
    await moved;
    expect(bot.entity.position.x).toBeCloseTo(8.5);
    expect(bot.entity.position.y).toBeCloseTo(100);
    expect(bot.entity.position.z).toBeCloseTo(8.5);
    expect(await chatLine(/^Back at spawn, Tester\.$/)).toBeDefined();

    bot.chat('/setspawn');
    await chatLine(/^Spawn set to /);
    const saved = JSON.parse(
      await readFile(path.join(serverDir, 'plugins', 'spawn', 'spawn.json'), 'utf8'),
    ) as {
      x: number;
      z: number;
    };
    expect(saved.x).toBeCloseTo(8.5);
    expect(saved.z).toBeCloseTo(8.5);
  });

  it('announcer broadcasts its messages in turn', async () => {
    expect(await chatLine(/^\[Info\] Vote for us!$/)).toBeDefined();
    expect(await chatLine(/^\[Info\] Read the rules$/)).toBeDefined();
  });

  it('a plugin loaded without mf-core says what is missing', () => {
    const hello = require(path.join(serverDir, 'plugins', 'hello.js')) as {
      server(serv: object, ctx: object): void;
    };
    expect(() => hello.server({}, { config: {}, dataDir: serverDir, log: () => undefined })).toThrow(
      /needs mf-core/,
    );
  });
});
