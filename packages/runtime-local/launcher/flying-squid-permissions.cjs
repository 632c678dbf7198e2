// @ts-check
'use strict';
// Operator levels for flying-squid, which itself knows only "op or not": the level each command needs, as
// vanilla, and a player's command handler that checks it.

/** @typedef {import('flying-squid').MCServer} MCServer */
/** @typedef {import('flying-squid').Player} Player */
/** @typedef {import('./flying-squid-access.cjs').Access} Access */

/**
 * The operator level a command needs, as vanilla: 4 for the server's own running (stop, saving), 3 for
 * moderation (kick, bans, operators, whitelist), 2 for every other operator command ("cheats").
 */
const LEVEL_FOUR = new Set(['stop', 'save-all', 'save-on', 'save-off']);
const LEVEL_THREE = new Set([
  'kick',
  'ban',
  'tempban',
  'ban-ip',
  'tempban-ip',
  'pardon',
  'pardon-ip',
  'banlist',
  'op',
  'deop',
  'whitelist',
]);
/** @param {string} base a command's name */
function levelFor(base) {
  if (LEVEL_FOUR.has(base)) return 4;
  if (LEVEL_THREE.has(base)) return 3;
  return 2;
}

/**
 * A player's commands checked against their operator level (flying-squid itself knows only "op or
 * not"): replaces the player's command handler with the same behaviour plus the level check.
 */
/**
 * @param {MCServer} serv
 * @param {Access} access
 * @param {Player} player
 */
function installPlayerPermissions(serv, access, player) {
  player.handleCommand = async (/** @type {unknown} */ str) => {
    // split always yields a first element, empty for an empty line
    const base = /** @type {string} */ (String(str).trim().split(/\s+/)[0]).toLowerCase();
    const allowed = access.opLevel(player.username) >= levelFor(base);
    try {
      const res = await serv.commands.use(str, { player }, allowed);
      if (res) player.chat(serv.color.red + res);
    } catch (caught) {
      const err = /** @type {{ userError?: boolean, message?: string, stack?: string }} */ (caught);
      if (err.userError) player.chat(serv.color.red + 'Error: ' + err.message);
      else serv.err(`Command ${base} of ${player.username} failed: ${err && err.stack ? err.stack : err}`);
    }
  };
}

module.exports = { installPlayerPermissions, levelFor };
