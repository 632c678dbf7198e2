'use strict';
// Console commands the platform relies on and flying-squid lacks, added through its command API so the
// same lifecycle and backup code drives every distribution. Messages match vanilla's wording where the
// platform waits for them (`Saved the game`).

function installCommands(serv, env) {
  const { access, saveAll, shutdown, setAutosave, persistWhitelistEnabled } = env;
  const names = () => serv.players.map((p) => p.username);

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
    parse(str) {
      const value = String(str).trim().toLowerCase();
      if (/^[0-3]$/.test(value)) return { level: Number(value) };
      const level = DIFFICULTIES.indexOf(value);
      return level === -1 ? false : { level };
    },
    action({ level }) {
      serv._writeAll('difficulty', { difficulty: level, difficultyLocked: false });
      serv.difficulty = level;
      const name = DIFFICULTIES[level];
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
    parse(str) {
      const [sub, name, ...rest] = String(str).trim().split(/\s+/);
      if (rest.length > 0) return false;
      if (['on', 'off', 'list', 'reload'].includes(sub) && !name) return { sub };
      if (['add', 'remove'].includes(sub) && name) return { sub, name };
      return false;
    },
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
            access.addToWhitelist(name) ? `Added ${name} to the whitelist` : 'Player is already whitelisted',
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

module.exports = { installCommands };
