'use strict';
/*
 * Minefleet Core: helpers shared by the Minefleet plugins for flying-squid, exposed as
 * `serv.minefleet`. It must load before them (they declare it as a dependency, so the platform puts
 * it first in plugins/load-order.json).
 *
 * Plugin files live in the server's folder, where only Node's built-in modules can be required: what
 * a plugin needs from flying-squid it reaches through `serv` and `player`, and these helpers.
 */
const VERSION = '1.0.0';

// flying-squid adds a player to serv.players before the client is in the world, and chat sent before
// 'spawned' is lost: plugins wait for it through whenSpawned(). Keyed by player object, so one copy of
// this module can serve several servers in one process.
const spawned = new WeakSet();

/** Replaces `{name}` placeholders with values; unknown placeholders are left as written. */
function format(template, values) {
  return String(template).replace(/\{([a-z_]+)\}/g, (whole, key) =>
    Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole,
  );
}

module.exports.server = function server(serv, { log }) {
  const timers = new Set();

  serv.minefleet = {
    version: VERSION,
    format,
    /** Values for format(): {player}, {online}, {max}. */
    placeholders(player) {
      return {
        player: player && player.username ? player.username : '',
        online: serv.players.length,
        max: serv._server && serv._server.maxPlayers !== undefined ? serv._server.maxPlayers : '',
      };
    },
    whenSpawned(player, fn) {
      if (spawned.has(player)) fn();
      else player.once('spawned', fn);
    },
    /** Registers a command players type in chat; `action(player, args)` answers with tell(). */
    addPlayerCommand({ base, info, usage, op = false, action }) {
      serv.commands.add({
        base,
        info,
        usage: usage || '/' + base,
        op,
        onlyPlayer: true,
        action(args, commandCtx) {
          return action(commandCtx.player, args);
        },
      });
    },
    tell(player, message) {
      player.chat(String(message));
    },
    broadcast(message) {
      serv.broadcast(String(message));
    },
    /** A position object of the kind flying-squid's teleport() expects. */
    at(player, x, y, z) {
      return player.position.clone().set(x, y, z);
    },
    /** Calls fn every `seconds`; the timer never keeps the process alive and stops with the server. */
    every(seconds, fn) {
      const timer = setInterval(fn, Math.max(1, seconds) * 1000);
      if (typeof timer.unref === 'function') timer.unref();
      timers.add(timer);
      return () => {
        clearInterval(timer);
        timers.delete(timer);
      };
    },
  };

  serv.on('close', () => {
    for (const timer of timers) clearInterval(timer);
    timers.clear();
  });
  log.info('Minefleet Core ' + VERSION + ' ready');
};

module.exports.player = function player(player) {
  // Registered before any dependent's listener (mf-core loads first), so the mark is set when theirs run.
  player.once('spawned', () => spawned.add(player));
};
