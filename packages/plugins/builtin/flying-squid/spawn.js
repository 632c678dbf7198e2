'use strict';
/*
 * /spawn teleports the player to the spawn point; /setspawn (operators) moves that point to where
 * they stand.
 * Config (plugins/spawn/config.json): { "position": { "x": 0, "y": 80, "z": 0 }, "message": "Teleported to spawn." }
 * The point set with /setspawn is saved in plugins/spawn/spawn.json and wins over the configured one;
 * without either, a player goes back to the point where they first spawned.
 */
const fs = require('fs');
const path = require('path');

const DEFAULT_MESSAGE = 'Teleported to spawn.';

function position(value) {
  if (!value || typeof value !== 'object') return undefined;
  const { x, y, z } = value;
  return [x, y, z].every((n) => typeof n === 'number' && Number.isFinite(n)) ? { x, y, z } : undefined;
}

function readSaved(file, log) {
  try {
    return position(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (error) {
    if (error.code !== 'ENOENT') log.warn('ignoring unreadable ' + file + ': ' + error.message);
    return undefined;
  }
}

module.exports.server = function server(serv, { config, dataDir, log }) {
  const core = serv.minefleet;
  if (!core) throw new Error('spawn needs mf-core loaded before it (see plugins/load-order.json)');
  const file = path.join(dataDir, 'spawn.json');
  const message =
    typeof config.message === 'string' && config.message !== '' ? config.message : DEFAULT_MESSAGE;
  let saved = readSaved(file, log);

  core.addPlayerCommand({
    base: 'spawn',
    info: 'to go back to spawn',
    action(player) {
      const target = saved || position(config.position) || player.spawnPoint;
      player.teleport(core.at(player, target.x, target.y, target.z));
      core.tell(player, core.format(message, core.placeholders(player)));
    },
  });

  core.addPlayerCommand({
    base: 'setspawn',
    info: 'to make this place the spawn point',
    op: true,
    action(player) {
      const { x, y, z } = player.position;
      saved = { x, y, z };
      // Written beside and renamed, so a crash never leaves half a file.
      fs.mkdirSync(dataDir, { recursive: true });
      fs.writeFileSync(file + '.tmp', JSON.stringify(saved) + '\n');
      fs.renameSync(file + '.tmp', file);
      core.tell(player, 'Spawn set to ' + [x, y, z].map((n) => n.toFixed(1)).join(' '));
    },
  });
};
