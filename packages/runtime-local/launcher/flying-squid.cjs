#!/usr/bin/env node
// @ts-check
'use strict';
// Minefleet's launcher for flying-squid (the built-in, Node.js Minecraft server).
// Usage: node flying-squid.cjs <launch.json>
// Why not flying-squid's CLI: it overwrites settings with defaults, makes everybody operator in offline
// mode, listens on every interface and writes ./world and ./logs wherever it was started. Here the server
// is created programmatically from the JSON the driver wrote, bound where the driver said, with the
// console commands the platform relies on, platform plugins, and a stop that always flushes the world.

const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { createConsoleHost, captureStdio, writeJsonAtomic } = require('./console-host.cjs');
const { stripAnsi } = require('./log-format.cjs');
const { createAccess } = require('./flying-squid-access.cjs');
const { installCommands } = require('./flying-squid-commands.cjs');
const { installPlayerPermissions } = require('./flying-squid-permissions.cjs');
const { loadPlugins, runPlayerHooks } = require('./flying-squid-plugins.cjs');
const { installTickMeter } = require('./tick-meter.cjs');
const { installWorldSave } = require('./world-save.cjs');

const FLUSH_TIMEOUT_MS = 10_000;

/** The stack of an error, or the thrown value itself. @param {unknown} err */
function describeError(err) {
  const stack = err && /** @type {{ stack?: unknown }} */ (err).stack;
  return stack ? stack : err;
}

/**
 * @param {unknown} promise
 * @param {number} ms
 */
function withTimeout(promise, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  return Promise.race([
    Promise.resolve(promise).finally(() => clearTimeout(timer)),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
  ]);
}

/** flying-squid's exit-hook listener exits with 143 on SIGTERM without flushing the world. A no-op module
 * put in require.cache before flying-squid loads keeps it from ever being installed (removing the handler
 * after start races with its asynchronous import). */
function neutraliseExitHook() {
  const squidMain = require.resolve('flying-squid');
  const file = require.resolve('exit-hook', { paths: [path.dirname(squidMain)] });
  const stub = new Module(file);
  stub.filename = file;
  stub.loaded = true;
  stub.exports = function exitHook() {
    return () => {};
  };
  require.cache[file] = stub;
}

async function main() {
  const configPath = path.resolve(process.argv[2] || '');
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  process.chdir(config.root);

  const host = createConsoleHost({
    root: config.root,
    serverId: config.serverId,
    generation: config.generation,
    kind: 'flying-squid',
    log: config.log,
  });
  captureStdio(host);
  const info = (/** @type {string} */ m) => host.record('info', 'stdout', m);

  // Commands that arrive before the server exists wait for it (pre-start commands are in the config).
  /** @type {any} flying-squid's server (untyped: see flying-squid.d.ts) */
  let serv = null;
  /** @type {string[]} */
  const early = [];
  host.onCommand((line) => {
    if (serv) void serv.handleCommand(line);
    else early.push(line);
  });

  /** @type {Promise<void> | null} */
  let exiting = null;
  /** @type {() => Promise<void>} */
  let flush = async () => {};
  /**
   * @param {number} code
   * @param {string} why
   * @returns {Promise<void>}
   */
  function shutdown(code, why) {
    if (exiting) return exiting;
    exiting = (async () => {
      info(`Stopping the server (${why})`);
      try {
        await withTimeout(flush(), FLUSH_TIMEOUT_MS);
      } catch (err) {
        host.record(
          'error',
          'stdout',
          `Flush failed: ${err && /** @type {{ stack?: unknown }} */ (err).stack}`,
        );
      }
      host.writeExit(code, null);
      process.exit(code);
    })();
    return exiting;
  }
  process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));
  process.on('SIGINT', () => void shutdown(0, 'SIGINT'));
  process.on('SIGHUP', () => {}); // detached from any terminal; a hang-up means nothing here
  process.on('uncaughtException', (err) => {
    host.record('fatal', 'stderr', `Uncaught exception: ${err && err.stack ? err.stack : String(err)}`);
    void shutdown(1, 'crash');
  });
  process.on('unhandledRejection', (err) => {
    host.record('error', 'stderr', `Unhandled rejection: ${describeError(err)}`);
  });

  await host.listen();
  neutraliseExitHook();
  const squid = require('flying-squid');

  const settings = config.settings;
  const access = createAccess({
    root: config.root,
    maxPlayers: settings['max-players'],
    whitelistEnabled: settings['white-list'],
    enforceWhitelist: settings['enforce-whitelist'],
    ops: config.ops,
  });

  serv = squid.createMCServer({
    ...settings,
    host: config.host,
    port: config.port,
    version: config.version,
    'online-mode': false,
    'everybody-op': false,
    logging: false, // flying-squid's own log file lands in ./logs with no rotation; the host logs instead
    worldFolder: path.join(config.root, 'world'),
    plugins: {},
    modpe: false,
    // A debug function also stops flying-squid from installing a process-wide crash handler per player.
    debug: (/** @type {unknown} */ m) => host.record('debug', 'stdout', stripAnsi(String(m))),
  });

  // flying-squid prints through serv.log/info/warn/err with a date and colours; record with real levels.
  serv.log = (/** @type {unknown} */ m) => host.record('info', 'stdout', stripAnsi(String(m)));
  serv.info = (/** @type {unknown} */ m) => host.record('info', 'stdout', stripAnsi(String(m)));
  serv.warn = (/** @type {unknown} */ m) => host.record('warn', 'stdout', stripAnsi(String(m)));
  serv.err = (/** @type {unknown} */ m) => host.record('error', 'stdout', stripAnsi(String(m)));

  let listening = false;
  serv._server.on('error', (/** @type {Error} */ err) => {
    if (listening) return; // logged by flying-squid's own listener
    host.record('fatal', 'stderr', `Cannot listen on ${config.host}:${config.port}: ${err.message}`);
    host.writeExit(1, null);
    process.exit(1);
  });
  serv.on('listening', () => {
    listening = true;
  });

  const readTicks = installTickMeter(serv);
  host.onStats(() => readTicks());
  // minecraft-protocol measures each connection's keep-alive round trip (`latency`, ms, every 4 s); it
  // reads 0 until the first answer, which is "not measured yet", not a perfect connection.
  const pingMeasured = new WeakSet();
  serv.on('newPlayer', (/** @type {any} */ player) => {
    player._client.once('keep_alive', () => pingMeasured.add(player));
  });
  host.onPlayers(() =>
    serv.players.map((/** @type {any} */ p) => ({
      name: p.username,
      uuid: p.uuid,
      ping: pingMeasured.has(p) && typeof p._client.latency === 'number' ? p._client.latency : null,
    })),
  );

  // Player data is saved on disconnect without being awaited; track those saves so a stop waits for them.
  /** @type {Set<Promise<unknown>>} */
  const pendingSaves = new Set();
  /** @type {{ loaded: import('./flying-squid-plugins.cjs').LoadedPlugin[] }} */
  const plugins = { loaded: [] };
  serv.on('newPlayer', (/** @type {any} */ player) => {
    const save = player.save;
    player.save = function () {
      const p = Promise.resolve(save.apply(this, arguments));
      pendingSaves.add(p);
      p.finally(() => pendingSaves.delete(p)).catch(() => {});
      return p;
    };
    installPlayerPermissions(serv, access, player);
    player.on('connected', () => {
      player.op = access.opLevel(player.username) >= 2;
    });
    runPlayerHooks(plugins.loaded, player, serv, (level, m) => host.record(level, 'stdout', m));
  });

  if (settings.pvp === false) {
    serv.on('newPlayer', (/** @type {any} */ player) => {
      player.on(
        'attack_cancel',
        (
          /** @type {{ attackedEntity?: { type?: string } }} */ { attackedEntity },
          /** @type {() => void} */ cancel,
        ) => {
          if (attackedEntity && attackedEntity.type === 'player') cancel();
        },
      );
    });
  }

  // Admission: flying-squid lets anyone in past max-players and has no whitelist.
  const joinListeners = serv._server.listeners('playerJoin');
  serv._server.removeAllListeners('playerJoin');
  // The server answers pings before the plugins and pre-start commands are done (the platform calls it
  // running only at markReady below): a player arriving then waits for them instead of being turned away.
  /** @type {() => void} */
  let openAdmission = () => {};
  const admissionOpen = /** @type {Promise<void>} */ (new Promise((resolve) => (openAdmission = resolve)));
  serv._server.on('playerJoin', async (/** @type {any} */ client) => {
    if (!access.state.accepting) await admissionOpen;
    if (client.ended || client.socket?.destroyed) return;
    const refusal = access.refusal(client);
    if (refusal) {
      info(`${client.username} was refused: ${refusal}`);
      client.end(refusal);
      return;
    }
    access.admit(client);
    for (const listener of joinListeners) listener.call(serv._server, client);
  });

  let autosave = true;
  const saveAll = async () => {
    await Promise.all(
      serv.players.map((/** @type {any} */ p) =>
        p.save().catch((/** @type {unknown} */ err) => serv.err(`Saving ${p.username}: ${String(err)}`)),
      ),
    );
    await Promise.all([...pendingSaves]);
    await serv.overworld.saveNow(); // runs after any save in flight (world-save.cjs)
  };
  flush = async () => {
    serv.stopTickInterval();
    await withTimeout(serv.quit('Server closed'), 5000);
    await Promise.all([...pendingSaves]);
    if (serv.overworld) {
      serv.overworld.stopSaving();
      await serv.overworld.saveNow();
    }
    info('Saved the game');
  };

  installCommands(serv, {
    access,
    saveAll,
    shutdown,
    setAutosave(/** @type {boolean} */ on) {
      if (on === autosave) return;
      autosave = on;
      if (on) serv.overworld.startSaving();
      else serv.overworld.stopSaving();
    },
    persistWhitelistEnabled(/** @type {boolean} */ on) {
      // The flying-squid equivalent of server.properties keeps the switch, as vanilla's does.
      const file = path.join(config.root, 'flying-squid.json');
      try {
        const current = JSON.parse(fs.readFileSync(file, 'utf8'));
        current['white-list'] = on;
        writeJsonAtomic(file, current);
      } catch (err) {
        host.record(
          'warn',
          'stdout',
          `Could not record the whitelist switch: ${/** @type {Error} */ (err).message}`,
        );
      }
    },
  });

  await /** @type {Promise<void>} */ (
    new Promise((resolve) => (serv.pluginsReady ? resolve() : serv.once('pluginsReady', resolve)))
  );
  installWorldSave(serv.overworld);
  plugins.loaded = await loadPlugins(serv, config.root, (level, m) => host.record(level, 'stdout', m));

  for (const line of config.preStartCommands || []) {
    host.record('info', 'command', line);
    await serv.handleCommand(line);
  }
  for (const line of early.splice(0)) await serv.handleCommand(line);
  access.state.accepting = true;
  openAdmission();
  host.markReady();
  info(`Done: accepting players on ${config.host}:${config.port} (Minecraft ${config.version})`);
}

main().catch((err) => {
  try {
    process.stderr.write(`Launcher failed: ${describeError(err)}\n`);
  } catch {
    /* stderr is captured by the console host, which may be the failure */
  }
  process.exit(1);
});
