'use strict';
// Who may join a flying-squid server, which flying-squid itself does not decide: the player limit
// (it accepts anyone past max-players), the whitelist (it has none) and operators (its CLI makes
// everybody one; Minefleet makes nobody one unless listed in ops.json or the launch config).
// Files use the vanilla shapes so an admin's muscle memory and tools carry over:
//   whitelist.json  [{ "uuid": "...", "name": "Steve" }]
//   ops.json        [{ "uuid": "...", "name": "Steve", "level": 4, "bypassesPlayerLimit": false }]

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { writeJsonAtomic } = require('./console-host.cjs');

const NAME = /^[A-Za-z0-9_]{1,16}$/;

/** The UUID an offline-mode server gives a name (Java's UUID.nameUUIDFromBytes("OfflinePlayer:" + name)). */
function offlineUuid(name) {
  const hash = crypto.createHash('md5').update(`OfflinePlayer:${name}`).digest();
  hash[6] = (hash[6] & 0x0f) | 0x30;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function readNames(file) {
  try {
    const list = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(list)
      ? list.map((e) => (typeof e === 'string' ? e : e && e.name)).filter((n) => typeof n === 'string')
      : [];
  } catch {
    return [];
  }
}

function createAccess({ root, maxPlayers, whitelistEnabled, enforceWhitelist, ops }) {
  const whitelistFile = path.join(root, 'whitelist.json');
  const state = {
    maxPlayers,
    whitelistEnabled: !!whitelistEnabled,
    enforceWhitelist: !!enforceWhitelist,
    whitelist: new Map(readNames(whitelistFile).map((n) => [n.toLowerCase(), n])),
    ops: new Set([...readNames(path.join(root, 'ops.json')), ...(ops || [])].map((n) => n.toLowerCase())),
    accepting: false,
    admitted: new Set(),
  };

  function saveWhitelist() {
    writeJsonAtomic(
      whitelistFile,
      [...state.whitelist.values()].map((name) => ({ uuid: offlineUuid(name), name })),
    );
  }

  return {
    state,
    isOp: (name) => state.ops.has(String(name).toLowerCase()),
    isWhitelisted: (name) => state.whitelist.has(String(name).toLowerCase()),
    /** Why a joining client is refused, or null. Counts admitted clients itself so two joins cannot race past the limit. */
    refusal(client) {
      if (state.whitelistEnabled && !state.whitelist.has(String(client.username).toLowerCase())) {
        return 'You are not white-listed on this server!';
      }
      if (state.admitted.size >= state.maxPlayers) {
        return 'The server is full!';
      }
      return null;
    },
    admit(client) {
      state.admitted.add(client);
      client.once('end', () => state.admitted.delete(client));
    },
    addToWhitelist(name) {
      if (!NAME.test(name)) throw new Error(`Invalid player name: ${name}`);
      if (state.whitelist.has(name.toLowerCase())) return false;
      state.whitelist.set(name.toLowerCase(), name);
      saveWhitelist();
      return true;
    },
    removeFromWhitelist(name) {
      if (!state.whitelist.delete(String(name).toLowerCase())) return false;
      saveWhitelist();
      return true;
    },
    reloadWhitelist() {
      state.whitelist = new Map(readNames(whitelistFile).map((n) => [n.toLowerCase(), n]));
    },
  };
}

module.exports = { createAccess, offlineUuid };
