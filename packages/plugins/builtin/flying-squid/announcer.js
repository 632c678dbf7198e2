'use strict';
/*
 * Broadcasts messages in turn at a fixed interval, while at least one player is online.
 * Config (plugins/announcer/config.json):
 *   { "messages": ["Vote for us!", "Read the rules with /rules"], "interval_seconds": 300, "prefix": "[Info] " }
 * Placeholders: {online}, {max}. Without messages it does nothing.
 */
const DEFAULT_INTERVAL_SECONDS = 300;

module.exports.server = function server(serv, { config, log }) {
  const core = serv.minefleet;
  if (!core) throw new Error('announcer needs mf-core loaded before it (see plugins/load-order.json)');
  const messages = Array.isArray(config.messages)
    ? config.messages.filter((m) => typeof m === 'string' && m.trim() !== '')
    : [];
  if (messages.length === 0) {
    log.warn('no messages configured: nothing to announce');
    return;
  }
  const seconds =
    typeof config.interval_seconds === 'number' && config.interval_seconds >= 1
      ? config.interval_seconds
      : DEFAULT_INTERVAL_SECONDS;
  const prefix = typeof config.prefix === 'string' ? config.prefix : '';
  let next = 0;

  core.every(seconds, () => {
    if (serv.players.length === 0) return;
    core.broadcast(prefix + core.format(messages[next], core.placeholders(undefined)));
    next = (next + 1) % messages.length;
  });
};
