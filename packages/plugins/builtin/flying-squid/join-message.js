'use strict';
/*
 * Greets every player who joins.
 * Config (plugins/join-message/config.json):
 *   { "message": "Welcome {player}! {online} player(s) online.", "broadcast": true }
 * With "broadcast": false only the player who joins sees it. Placeholders: {player}, {online}, {max}.
 */
const DEFAULT_MESSAGE = 'Welcome {player}! {online} player(s) online.';

module.exports.server = function server(serv) {
  if (!serv.minefleet)
    throw new Error('join-message needs mf-core loaded before it (see plugins/load-order.json)');
};

module.exports.player = function player(player, serv, { config }) {
  const core = serv.minefleet;
  const message =
    typeof config.message === 'string' && config.message !== '' ? config.message : DEFAULT_MESSAGE;
  core.whenSpawned(player, () => {
    const text = core.format(message, core.placeholders(player));
    if (config.broadcast === false) core.tell(player, text);
    else core.broadcast(text);
  });
};
