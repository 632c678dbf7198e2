'use strict';
/*
 * /hello answers the player with a greeting.
 * Config (plugins/hello/config.json): { "greeting": "Hello, {player}!" }
 * Placeholders: {player}, {online}, {max}.
 */
const DEFAULT_GREETING = 'Hello, {player}!';

module.exports.server = function server(serv, { config }) {
  const core = serv.minefleet;
  if (!core) throw new Error('hello needs mf-core loaded before it (see plugins/load-order.json)');
  const greeting =
    typeof config.greeting === 'string' && config.greeting.trim() !== '' ? config.greeting : DEFAULT_GREETING;

  core.addPlayerCommand({
    base: 'hello',
    info: 'to be greeted',
    action(player) {
      core.tell(player, core.format(greeting, core.placeholders(player)));
    },
  });
};
