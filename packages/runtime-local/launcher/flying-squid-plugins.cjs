// @ts-check
'use strict';
// Loads the plugins the platform installed into <root>/plugins (contract: docs/flying-squid.md).
//   plugins/<slug>.js            CommonJS module exporting server(serv, ctx) and/or player(player, serv, ctx)
//   plugins/<slug>/config.json   its configuration (ctx.config; {} when absent)
//   plugins/<slug>/              its data folder (ctx.dataDir)
//   plugins/load-order.json      optional array of slugs loaded first, in that order; the rest follow A→Z
//   plugins/<slug>.js.disabled   not loaded
// A plugin that throws while loading is reported and skipped: one bad plugin must not take the server down.

const fs = require('node:fs');
const path = require('node:path');

const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** @typedef {(level: string, message: string) => void} RecordFn */
/**
 * A plugin module: `server(serv, ctx)` and/or `player(player, serv, ctx)`.
 * @typedef {{ server?: unknown, player?: unknown }} PluginModule
 * @typedef {{ config: unknown, dataDir: string, log: Record<'debug' | 'info' | 'warn' | 'error', (message: string) => void> }} PluginContext
 * @typedef {{ slug: string, mod: PluginModule, ctx: PluginContext }} LoadedPlugin
 */

/** The stack of an error, or the thrown value itself. @param {unknown} err */
function describeError(err) {
  const stack = err && /** @type {{ stack?: unknown }} */ (err).stack;
  return stack ? stack : err;
}

/** The message of an error, whatever was thrown. @param {unknown} err */
function messageOf(err) {
  return /** @type {{ message?: unknown } | null | undefined} */ (err)?.message;
}

/**
 * @param {string} file
 * @param {unknown} fallback
 * @returns {unknown}
 */
function readJson(file, fallback) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (/** @type {NodeJS.ErrnoException} */ (err).code === 'ENOENT') return fallback;
    throw err;
  }
}

/**
 * The slugs to load, in load order.
 * @param {string} pluginsDir
 * @param {(message: string) => void} warn
 * @returns {string[]}
 */
function pluginOrder(pluginsDir, warn) {
  let files;
  try {
    files = fs.readdirSync(pluginsDir);
  } catch {
    return [];
  }
  const available = files
    .filter((f) => f.endsWith('.js') && SLUG.test(f.slice(0, -3)))
    .filter((f) => fs.statSync(path.join(pluginsDir, f)).isFile())
    .map((f) => f.slice(0, -3))
    .sort();
  /** @type {string[]} */
  let order = [];
  try {
    const listed = readJson(path.join(pluginsDir, 'load-order.json'), []);
    if (!Array.isArray(listed)) throw new Error('not an array of slugs');
    order = listed.filter((/** @type {unknown} */ s) => typeof s === 'string');
  } catch (err) {
    warn(`plugins/load-order.json ignored: ${messageOf(err)}`);
  }
  /** @type {string[]} */
  const result = [];
  for (const slug of order) {
    if (!available.includes(slug)) {
      warn(`plugins/load-order.json names ${JSON.stringify(slug)}, which is not installed or is disabled`);
      continue;
    }
    if (!result.includes(slug)) result.push(slug);
  }
  for (const slug of available) if (!result.includes(slug)) result.push(slug);
  return result;
}

/**
 * @param {RecordFn} record
 * @param {string} slug
 * @returns {PluginContext['log']}
 */
function pluginLog(record, slug) {
  const at = (/** @type {string} */ level) => (/** @type {string} */ message) =>
    record(level, `[${slug}] ${message}`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * Requires every plugin and runs its server hook; returns the loaded plugins so the caller can run their
 * player hooks for each player. `record(level, message)` writes to the console log.
 * @param {unknown} serv flying-squid's server
 * @param {string} root
 * @param {RecordFn} record
 * @returns {Promise<LoadedPlugin[]>}
 */
async function loadPlugins(serv, root, record) {
  const pluginsDir = path.join(root, 'plugins');
  /** @type {LoadedPlugin[]} */
  const loaded = [];
  for (const slug of pluginOrder(pluginsDir, (m) => record('warn', m))) {
    try {
      const dataDir = path.join(pluginsDir, slug);
      const config = readJson(path.join(dataDir, 'config.json'), {});
      const ctx = { config, dataDir, log: pluginLog(record, slug) };
      const mod = /** @type {PluginModule} */ (require(path.join(pluginsDir, `${slug}.js`)));
      if (typeof mod.server !== 'function' && typeof mod.player !== 'function') {
        record('warn', `plugin ${slug} exports neither server() nor player(); skipped`);
        continue;
      }
      if (typeof mod.server === 'function') await mod.server(serv, ctx);
      loaded.push({ slug, mod, ctx });
      record('info', `Loaded plugin ${slug}`);
    } catch (err) {
      record('error', `plugin ${slug} failed to load: ${describeError(err)}`);
    }
  }
  return loaded;
}

/**
 * Runs every loaded plugin's player hook for a player who is joining.
 * @param {LoadedPlugin[]} loaded
 * @param {unknown} player
 * @param {unknown} serv
 * @param {RecordFn} record
 */
function runPlayerHooks(loaded, player, serv, record) {
  for (const { slug, mod, ctx } of loaded) {
    if (typeof mod.player !== 'function') continue;
    try {
      const result = mod.player(player, serv, ctx);
      if (result && typeof result.catch === 'function') {
        result.catch((/** @type {unknown} */ err) =>
          record('error', `plugin ${slug} player hook failed: ${describeError(err)}`),
        );
      }
    } catch (err) {
      record('error', `plugin ${slug} player hook failed: ${describeError(err)}`);
    }
  }
}

module.exports = { loadPlugins, runPlayerHooks, pluginOrder };
