// @ts-check
'use strict';
// Console commands the platform relies on and flying-squid lacks, added through its command API so the
// same lifecycle and backup code drives every distribution. Messages match vanilla's wording where the
// platform waits for them (`Saved the game`).

const { normaliseIp } = require('./flying-squid-access.cjs');

/** @typedef {import('flying-squid').MCServer} MCServer */
/** @typedef {import('flying-squid').Player} Player */
/** @typedef {import('./flying-squid-access.cjs').Access} Access */
/**
 * Where a command came from, as flying-squid hands it to a command's parse and action: a player's chat
 * carries the player, the server console (and the platform through it) carries none.
 * @typedef {{ player?: Player }} CommandContext
 */
/**
 * What the launcher gives the commands to act on the server beyond flying-squid's own object.
 * @typedef {object} CommandEnv
 * @property {Access} access
 * @property {() => Promise<void>} saveAll writes the players and the world now
 * @property {(code: number, why: string) => Promise<void>} shutdown flushes the world and exits
 * @property {(on: boolean) => void} setAutosave
 * @property {(on: boolean) => void} persistWhitelistEnabled records the whitelist switch for the next start
 */
/** A parsed ban command: whom, until when (epoch ms, null for ever) and why. */
/** @typedef {{ target: string, until: number | null, reason: string }} BanRequest */
/** @typedef {(request: BanRequest, ctx: CommandContext | undefined) => void} BanAction */

const NAME = /^[A-Za-z0-9_]{1,16}$/;
const IP = /^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9a-fA-F:]{2,39})$/;

/**
 * @param {MCServer} serv
 * @param {CommandEnv} env
 */
function installCommands(serv, env) {
  const { access, saveAll, shutdown, setAutosave, persistWhitelistEnabled } = env;
  /** @returns {string[]} */
  const names = () => serv.players.map((/** @type {Player} */ p) => p.username);
  /**
   * The player of that name who is online, if any.
   * @param {unknown} name
   * @returns {Player | undefined}
   */
  const online = (name) =>
    serv.players.find((/** @type {Player} */ p) => p.username.toLowerCase() === String(name).toLowerCase());
  /** Answers whoever gave the command: the player in chat, else the console. */
  const reply = (/** @type {CommandContext | undefined} */ ctx, /** @type {string} */ text) =>
    ctx && ctx.player ? ctx.player.chat(text) : serv.info(text);

  serv.commands.add({
    base: 'save-all',
    info: 'Write the world and player data to disk now',
    usage: '/save-all [flush]',
    op: true,
    async action() {
      serv.info('Saving the game (this may take a moment!)');
      const started = Date.now();
      await saveAll();
      serv.info(`Saved the game (${Date.now() - started} ms)`);
    },
  });

  // flying-squid's own /difficulty takes only 0-3; vanilla (and the platform's live settings) send the
  // name. This replaces it (a later command with the same base wins) and accepts both.
  const DIFFICULTIES = ['peaceful', 'easy', 'normal', 'hard'];
  serv.commands.add({
    base: 'difficulty',
    aliases: ['diff'],
    info: 'Sets the difficulty level',
    usage: '/difficulty peaceful|easy|normal|hard|0-3',
    op: true,
    /** @param {string} str */
    parse(str) {
      const value = String(str).trim().toLowerCase();
      if (/^[0-3]$/.test(value)) return { level: Number(value) };
      const level = DIFFICULTIES.indexOf(value);
      return level === -1 ? false : { level };
    },
    /** @param {{ level: number }} params a level 0-3, from parse */
    action({ level }) {
      serv._writeAll('difficulty', { difficulty: level, difficultyLocked: false });
      serv.difficulty = level;
      const name = /** @type {string} */ (DIFFICULTIES[level]);
      serv.info(`The difficulty has been set to ${name.charAt(0).toUpperCase()}${name.slice(1)}`);
    },
  });

  serv.commands.add({
    base: 'save-off',
    info: 'Pause periodic world saving (for consistent backups)',
    usage: '/save-off',
    op: true,
    action() {
      setAutosave(false);
      serv.info('Automatic saving is now disabled');
    },
  });

  serv.commands.add({
    base: 'save-on',
    info: 'Resume periodic world saving',
    usage: '/save-on',
    op: true,
    action() {
      setAutosave(true);
      serv.info('Automatic saving is now enabled');
    },
  });

  serv.commands.add({
    base: 'list',
    info: 'List the players online',
    usage: '/list',
    /**
     * @param {unknown} _params
     * @param {CommandContext | undefined} ctx
     */
    action(_params, ctx) {
      const online = names();
      const text = `There are ${online.length} of a max of ${access.state.maxPlayers} players online: ${online.join(', ')}`;
      if (ctx && ctx.player) ctx.player.chat(text);
      else serv.info(text);
    },
  });

  serv.commands.add({
    base: 'whitelist',
    info: 'Manage the whitelist',
    usage: '/whitelist on|off|add <player>|remove <player>|list|reload',
    op: true,
    /** @param {string} str */
    parse(str) {
      // split always yields a first element, empty for an empty line
      const [sub, name, ...rest] = /** @type {[string, ...string[]]} */ (String(str).trim().split(/\s+/));
      if (rest.length > 0) return false;
      if (['on', 'off', 'list', 'reload'].includes(sub) && !name) return { sub };
      if (['add', 'remove'].includes(sub) && name) return { sub, name };
      return false;
    },
    /** @param {{ sub: string, name?: string }} params `name` is there for add and remove (parse) */
    action({ sub, name }) {
      switch (sub) {
        case 'on':
          access.state.whitelistEnabled = true;
          persistWhitelistEnabled(true);
          kickUnlisted();
          return serv.info('Whitelist is now turned on');
        case 'off':
          access.state.whitelistEnabled = false;
          persistWhitelistEnabled(false);
          return serv.info('Whitelist is now turned off');
        case 'add':
          return serv.info(
            access.addToWhitelist(/** @type {string} */ (name))
              ? `Added ${name} to the whitelist`
              : 'Player is already whitelisted',
          );
        case 'remove': {
          const removed = access.removeFromWhitelist(name);
          if (removed) kickUnlisted();
          return serv.info(removed ? `Removed ${name} from the whitelist` : 'Player is not whitelisted');
        }
        case 'reload':
          access.reloadWhitelist();
          kickUnlisted();
          return serv.info('Reloaded the whitelist');
        case 'list': {
          const listed = [...access.state.whitelist.values()];
          return serv.info(
            listed.length === 0
              ? 'There are no whitelisted players'
              : `There are ${listed.length} whitelisted players: ${listed.join(', ')}`,
          );
        }
      }
    },
  });

  // Vanilla removes players who lose their place only when enforce-whitelist is set.
  function kickUnlisted() {
    if (!access.state.whitelistEnabled || !access.state.enforceWhitelist) return;
    for (const player of [...serv.players]) {
      if (!access.isWhitelisted(player.username)) player.kick('You are not white-listed on this server!');
    }
  }

  // Operators with levels, kept in ops.json (flying-squid's own op/deop are in memory only).
  serv.commands.add({
    base: 'op',
    info: 'Make a player an operator',
    usage: '/op <player> [level 1-4]',
    op: true,
    /** @param {string} str */
    parse(str) {
      const [name, level, ...rest] = String(str).trim().split(/\s+/);
      if (rest.length > 0 || !NAME.test(name || '')) return false;
      if (level !== undefined && !/^[1-4]$/.test(level)) return false;
      return { name, level: level === undefined ? 4 : Number(level) };
    },
    /**
     * @param {{ name: string, level: number }} params
     * @param {CommandContext | undefined} ctx
     */
    action({ name, level }, ctx) {
      const changed = access.op(name, level);
      const player = online(name);
      if (player) player.op = level >= 2;
      reply(
        ctx,
        changed
          ? `Made ${name} a server operator (level ${level})`
          : 'Nothing changed. The player already is an operator',
      );
    },
  });

  serv.commands.add({
    base: 'deop',
    info: 'Take operator rights from a player',
    usage: '/deop <player>',
    op: true,
    /** @param {string} str */
    parse(str) {
      const name = String(str).trim();
      return NAME.test(name) ? { name } : false;
    },
    /**
     * @param {{ name: string }} params
     * @param {CommandContext | undefined} ctx
     */
    action({ name }, ctx) {
      const changed = access.deop(name);
      const player = online(name);
      if (player) player.op = false;
      reply(
        ctx,
        changed
          ? `Made ${name} no longer a server operator`
          : 'Nothing changed. The player is not an operator',
      );
    },
  });

  // Bans kept in banned-players.json / banned-ips.json, checked at login with their end time.
  // `tempban` and `tempban-ip` take the end as an ISO-8601 time (vanilla has no timed ban command).
  /**
   * @param {string} str
   * @param {boolean} timed whether an end time comes after the target
   * @returns {BanRequest | false}
   */
  function parseBan(str, timed) {
    const parts = String(str).trim().split(/\s+/);
    const target = parts.shift();
    /** @type {number | null} */
    let until = null;
    if (timed) {
      until = Date.parse(parts.shift() || '');
      if (Number.isNaN(until)) return false;
    }
    if (!target) return false;
    return { target, until, reason: parts.join(' ') };
  }

  /** @type {BanAction} */
  function banPlayer({ target, until, reason }, ctx) {
    if (!NAME.test(target)) throw new UserErrorLike('Invalid player name');
    const entry = access.ban(target, reason, until, ctx && ctx.player ? ctx.player.username : 'Server');
    const player = online(target);
    if (player) player.kick(access.banMessage(entry, 'You are banned from this server.'));
    reply(ctx, `Banned ${target}: ${entry.reason}`);
  }

  /** @type {BanAction} */
  function banAddress({ target, until, reason }, ctx) {
    let ip = target;
    if (!IP.test(ip)) {
      const player = online(target);
      if (!player) throw new UserErrorLike('Invalid IP address or unknown player');
      ip = player._client.socket && player._client.socket.remoteAddress;
    }
    const entry = access.banIp(ip, reason, until, ctx && ctx.player ? ctx.player.username : 'Server');
    for (const player of [...serv.players]) {
      const address = player._client.socket && player._client.socket.remoteAddress;
      if (normaliseIp(address) === entry.ip) {
        player.kick(access.banMessage(entry, 'Your IP address is banned from this server.'));
      }
    }
    reply(ctx, `Banned IP ${entry.ip}: ${entry.reason}`);
  }

  for (const [base, timed, action, usage] of /** @type {[string, boolean, BanAction, string][]} */ ([
    ['ban', false, banPlayer, '/ban <player> [reason]'],
    ['tempban', true, banPlayer, '/tempban <player> <ISO-8601 end> [reason]'],
    ['ban-ip', false, banAddress, '/ban-ip <ip|player> [reason]'],
    ['tempban-ip', true, banAddress, '/tempban-ip <ip|player> <ISO-8601 end> [reason]'],
  ])) {
    serv.commands.add({
      base,
      info: timed ? 'Ban until a time' : 'Ban until pardoned',
      usage,
      op: true,
      parse: (/** @type {string} */ str) => parseBan(str, timed),
      action,
    });
  }

  serv.commands.add({
    base: 'pardon',
    info: 'Lift a player ban',
    usage: '/pardon <player>',
    op: true,
    /** @param {string} str */
    parse(str) {
      const name = String(str).trim();
      return NAME.test(name) ? { name } : false;
    },
    /**
     * @param {{ name: string }} params
     * @param {CommandContext | undefined} ctx
     */
    action({ name }, ctx) {
      reply(ctx, access.pardon(name) ? `Unbanned ${name}` : "Nothing changed. The player isn't banned");
    },
  });

  serv.commands.add({
    base: 'pardon-ip',
    info: 'Lift an IP ban',
    usage: '/pardon-ip <ip>',
    op: true,
    /** @param {string} str */
    parse(str) {
      const ip = String(str).trim();
      return IP.test(ip) ? { ip } : false;
    },
    /**
     * @param {{ ip: string }} params
     * @param {CommandContext | undefined} ctx
     */
    action({ ip }, ctx) {
      reply(
        ctx,
        access.pardonIp(ip) ? `Unbanned IP ${normaliseIp(ip)}` : "Nothing changed. That IP isn't banned",
      );
    },
  });

  serv.commands.add({
    base: 'banlist',
    info: 'List the bans',
    usage: '/banlist [players|ips]',
    op: true,
    /**
     * @param {string | undefined} which the text after the command (no parse: flying-squid passes it as is)
     * @param {CommandContext | undefined} ctx
     */
    action(which, ctx) {
      const ips = String(which || '').trim() === 'ips';
      const list = ips ? [...access.state.ipBans.keys()] : [...access.state.bans.values()].map((b) => b.name);
      reply(
        ctx,
        list.length === 0 ? 'There are no bans' : `There are ${list.length} ban(s): ${list.join(', ')}`,
      );
    },
  });

  // Replaces flying-squid's own `stop`, which exits without flushing the world.
  serv.commands.add({
    base: 'stop',
    info: 'Save the world and stop the server',
    usage: '/stop',
    op: true,
    action() {
      void shutdown(0, 'stop command');
    },
  });
}

/** A refusal a player sees as "Error: ..." (flying-squid's UserError shape, without loading it here). */
class UserErrorLike extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.userError = true;
  }
}

module.exports = { installCommands };
