/**
 * A test-side implementation of the flying-squid plugin contract (docs/flying-squid.md), as small as
 * the contract, so the built-in plugins are proven against the contract rather than one launcher:
 * after flying-squid's own plugins are ready, plugins named in `plugins/load-order.json` load first in
 * that order and the other `plugins/<slug>.js` follow alphabetically (`.js.disabled` files are not
 * loaded); `server(serv, ctx)` runs once (awaited), `player(player, serv, ctx)` for every player who
 * joins; `ctx = { config, dataDir, log }` with `log.debug|info|warn|error`.
 */
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FLYING_SQUID_SLUG } from './flying-squid-plugin-folder.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

export interface PluginContext {
  config: Record<string, unknown>;
  dataDir: string;
  log: Record<Level, (message: string) => void>;
}

interface FlyingSquidPlugin {
  server?: (serv: unknown, ctx: PluginContext) => unknown;
  player?: (player: unknown, serv: unknown, ctx: PluginContext) => unknown;
}

export interface PluginHost extends NodeJS.EventEmitter {
  pluginsReady?: boolean;
}

export async function loadFlyingSquidPlugins(
  serv: PluginHost,
  serverDir: string,
  record: (level: Level, message: string) => void,
): Promise<string[]> {
  if (!serv.pluginsReady) await once(serv, 'pluginsReady');
  const pluginsDir = path.join(serverDir, 'plugins');
  const available = (await readdir(pluginsDir))
    .filter((f) => f.endsWith('.js') && FLYING_SQUID_SLUG.test(f.slice(0, -3)))
    .map((f) => f.slice(0, -3))
    .sort();
  const listed = await readFile(path.join(pluginsDir, 'load-order.json'), 'utf8').then(
    (text) => JSON.parse(text) as string[],
    () => [],
  );
  const order = [...new Set([...listed.filter((s) => available.includes(s)), ...available])];

  const require = createRequire(path.join(pluginsDir, 'loader.js'));
  const loaded: { plugin: FlyingSquidPlugin; ctx: PluginContext }[] = [];
  for (const slug of order) {
    const dataDir = path.join(pluginsDir, slug);
    const config = await readFile(path.join(dataDir, 'config.json'), 'utf8').then(
      (text) => JSON.parse(text) as Record<string, unknown>,
      () => ({}),
    );
    const at = (level: Level) => (message: string) => record(level, `[${slug}] ${message}`);
    const ctx: PluginContext = {
      config,
      dataDir,
      log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    };
    try {
      const plugin = require(path.join(pluginsDir, `${slug}.js`)) as FlyingSquidPlugin;
      if (!plugin.server && !plugin.player) throw new Error('exports neither server() nor player()');
      await plugin.server?.(serv, ctx);
      loaded.push({ plugin, ctx });
    } catch (error) {
      record('error', `plugin ${slug} failed to load: ${String(error)}`);
    }
  }
  serv.on('newPlayer', (player: unknown) => {
    for (const { plugin, ctx } of loaded) plugin.player?.(player, serv, ctx);
  });
  return order;
}
