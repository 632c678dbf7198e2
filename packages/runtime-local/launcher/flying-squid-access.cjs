// @ts-check
'use strict';
// Who may join a flying-squid server and what they may do, which flying-squid itself does not decide:
// the player limit (it accepts anyone past max-players), the whitelist (it has none), bans that survive
// a restart and end at a time (its own are in memory only), IP bans, and operator levels (its CLI makes
// everybody operator; Minefleet makes nobody one unless listed in ops.json or the launch config).
// Files use the vanilla shapes, so the control plane edits the same files while the server is stopped
// and an admin's muscle memory and tools carry over:
//   whitelist.json       [{ "uuid", "name" }]
//   ops.json             [{ "uuid", "name", "level": 4, "bypassesPlayerLimit": false }]
//   banned-players.json  [{ "uuid", "name", "created", "source", "expires": "forever" | date, "reason" }]
//   banned-ips.json      [{ "ip", "created", "source", "expires", "reason" }]
// Dates are vanilla's "yyyy-MM-dd HH:mm:ss Z" text.

const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const NAME = /^[A-Za-z0-9_]{1,16}$/;

/** @typedef {import('flying-squid').Client} Client */
/** whitelist.json: one player allowed to join while the whitelist is on. */
/** @typedef {{ uuid: string, name: string }} WhitelistEntry */
/** ops.json: an operator and their level (1-4). */
/** @typedef {{ uuid: string, name: string, level: number, bypassesPlayerLimit: boolean }} OpEntry */
/** banned-players.json: `expires` is "forever" or vanilla's date text. */
/**
 * @typedef {{ uuid: string, name: string, created: string, source: string, expires: string, reason: string }} BannedPlayerEntry
 */
/** banned-ips.json: `ip` as vanilla writes it (see normaliseIp). */
/** @typedef {{ ip: string, created: string, source: string, expires: string, reason: string }} BannedIpEntry */
/** A list file's entry as read, before its fields are checked. */
/** @typedef {Record<string, unknown>} RawEntry */
/**
 * @typedef {object} AccessOptions
 * @property {string} root server folder holding the list files
 * @property {number} maxPlayers
 * @property {boolean} [whitelistEnabled]
 * @property {boolean} [enforceWhitelist] remove players who lose their place on the whitelist
 * @property {string[]} [ops] names made level-4 operators on top of ops.json
 */
/** @typedef {ReturnType<typeof createAccess>} Access */

/**
 * The UUID an offline-mode server gives a name (Java's UUID.nameUUIDFromBytes("OfflinePlayer:" + name)).
 * @param {string} name
 */
function offlineUuid(name) {
  const hash = crypto.createHash('md5').update(`OfflinePlayer:${name}`).digest();
  // An md5 digest has 16 bytes: both indexes exist.
  const version = /** @type {number} */ (hash[6]);
  const variant = /** @type {number} */ (hash[8]);
  hash[6] = (version & 0x0f) | 0x30;
  hash[8] = (variant & 0x3f) | 0x80;
  const hex = hash.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');

/** Vanilla's date text, in UTC. @param {Date} date */
function formatDate(date) {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/**
 * Epoch ms of vanilla's date text (any offset) or an ISO time; null for `forever` or unreadable text.
 * @param {unknown} text
 * @returns {number | null}
 */
function parseDate(text) {
  if (typeof text !== 'string' || text === '' || text === 'forever') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) {
    const t = Date.parse(text);
    return Number.isNaN(t) ? null : t;
  }
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  return (
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) - offset
  );
}

/**
 * Whether a ban is in force (no end, or an end still ahead).
 * @param {{ expires?: unknown }} entry
 * @param {number} [now]
 */
const active = (entry, now = Date.now()) => {
  const end = parseDate(entry.expires);
  return end === null || end > now;
};

/**
 * An address as vanilla writes it: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes `1.2.3.4`.
 * @param {unknown} ip a socket's remoteAddress (may be missing) or an address typed by an operator
 */
function normaliseIp(ip) {
  const text = String(ip || '').toLowerCase();
  return text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
}

/**
 * temp + fsync + rename: a crash leaves the old list or the new one, never a torn file.
 * @param {string} file
 * @param {unknown[]} value
 */
function writeListFile(file, value) {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o644);
  try {
    fs.writeSync(fd, JSON.stringify(value, null, 2) + '\n');
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/**
 * The object entries of a JSON list file; none when it is missing or unreadable.
 * @param {string} file
 * @returns {RawEntry[]}
 */
function readList(file) {
  try {
    const list = JSON.parse(fs.readFileSync(file, 'utf8'));
    return Array.isArray(list) ? list.filter((e) => e && typeof e === 'object') : [];
  } catch {
    return [];
  }
}

/**
 * Entries of a player list, keyed by lower-case name (older files may hold bare names). The entries are
 * taken as the file's vanilla shape; every field but the name is checked again where it is read.
 * @template {{ uuid: string, name: string }} T
 * @param {string} file
 * @returns {Map<string, T>}
 */
function readPlayers(file) {
  /** @type {Map<string, T>} */
  const map = new Map();
  for (const raw of readList(file)) {
    const entry = typeof raw === 'string' ? { name: raw } : raw;
    if (typeof entry.name !== 'string' || !entry.name) continue;
    map.set(
      entry.name.toLowerCase(),
      /** @type {T} */ ({ ...entry, uuid: entry.uuid || offlineUuid(entry.name) }),
    );
  }
  return map;
}

/** @param {AccessOptions} options */
function createAccess({ root, maxPlayers, whitelistEnabled, enforceWhitelist, ops }) {
  const files = {
    whitelist: path.join(root, 'whitelist.json'),
    ops: path.join(root, 'ops.json'),
    bans: path.join(root, 'banned-players.json'),
    ipBans: path.join(root, 'banned-ips.json'),
  };
  const state = {
    maxPlayers,
    whitelistEnabled: !!whitelistEnabled,
    enforceWhitelist: !!enforceWhitelist,
    /** Whitelisted names by lower-case name. @type {Map<string, string>} */
    whitelist: new Map(),
    /** @type {Map<string, OpEntry>} */
    ops: new Map(),
    /** @type {Map<string, BannedPlayerEntry>} */
    bans: new Map(),
    /** By normalised address. @type {Map<string, BannedIpEntry>} */
    ipBans: new Map(),
    accepting: false,
    /** Clients let in and not yet gone, counted against the player limit. @type {Set<Client>} */
    admitted: new Set(),
  };

  /** Whitelisted names by lower-case name, from whitelist.json. */
  function readWhitelist() {
    /** @type {Map<string, WhitelistEntry>} */
    const entries = readPlayers(files.whitelist);
    return new Map([...entries].map(([k, e]) => [k, e.name]));
  }

  function load() {
    state.whitelist = readWhitelist();
    state.ops = readPlayers(files.ops);
    for (const name of ops || []) {
      if (!state.ops.has(name.toLowerCase())) {
        state.ops.set(name.toLowerCase(), {
          uuid: offlineUuid(name),
          name,
          level: 4,
          bypassesPlayerLimit: false,
        });
      }
    }
    state.bans = readPlayers(files.bans);
    state.ipBans = new Map(
      readList(files.ipBans)
        .filter((e) => typeof e.ip === 'string')
        .map((e) => [normaliseIp(e.ip), /** @type {BannedIpEntry} */ ({ ...e, ip: normaliseIp(e.ip) })]),
    );
  }
  load();

  const saveWhitelist = () =>
    writeListFile(
      files.whitelist,
      [...state.whitelist.values()].map((name) => ({ uuid: offlineUuid(name), name })),
    );
  const saveOps = () => writeListFile(files.ops, [...state.ops.values()]);
  const saveBans = () => writeListFile(files.bans, [...state.bans.values()]);
  const saveIpBans = () => writeListFile(files.ipBans, [...state.ipBans.values()]);

  /** @param {unknown} name */
  function banOf(name) {
    const entry = state.bans.get(String(name).toLowerCase());
    return entry && active(entry) ? entry : null;
  }

  /**
   * What a banned player or address is told: the reason, and the end when there is one.
   * @param {BannedPlayerEntry | BannedIpEntry} entry
   * @param {string} what
   */
  function banMessage(entry, what) {
    const end = parseDate(entry.expires);
    return (
      `${what}\nReason: ${entry.reason || 'Banned by an operator.'}` +
      (end === null ? '' : `\nYour ban will be removed on ${formatDate(new Date(end))}`)
    );
  }

  /** @param {unknown} name */
  function opLevel(name) {
    const entry = state.ops.get(String(name).toLowerCase());
    return entry ? Number(entry.level) || 0 : 0;
  }

  /** @param {string} name */
  function assertName(name) {
    if (!NAME.test(name)) throw new Error(`Invalid player name: ${name}`);
  }

  return {
    state,
    files,
    opLevel,
    isOp: (/** @type {unknown} */ name) => opLevel(name) >= 1,
    isWhitelisted: (/** @type {unknown} */ name) => state.whitelist.has(String(name).toLowerCase()),
    banOf,
    banMessage,
    /** @param {unknown} ip */
    ipBanOf(ip) {
      const entry = state.ipBans.get(normaliseIp(ip));
      return entry && active(entry) ? entry : null;
    },
    /**
     * Why a joining client is refused, or null. Counts admitted clients itself so two joins cannot race past the limit.
     * @param {Client} client
     * @returns {string | null}
     */
    refusal(client) {
      const name = String(client.username);
      const ban = banOf(name);
      if (ban) return banMessage(ban, 'You are banned from this server.');
      const ipBan = this.ipBanOf(client.socket && client.socket.remoteAddress);
      if (ipBan) return banMessage(ipBan, 'Your IP address is banned from this server.');
      if (state.whitelistEnabled && !state.whitelist.has(name.toLowerCase())) {
        return 'You are not white-listed on this server!';
      }
      const op = state.ops.get(name.toLowerCase());
      if (state.admitted.size >= state.maxPlayers && !(op && op.bypassesPlayerLimit)) {
        return 'The server is full!';
      }
      return null;
    },
    /** @param {Client} client */
    admit(client) {
      state.admitted.add(client);
      client.once('end', () => state.admitted.delete(client));
    },
    /** @param {string} name */
    addToWhitelist(name) {
      assertName(name);
      if (state.whitelist.has(name.toLowerCase())) return false;
      state.whitelist.set(name.toLowerCase(), name);
      saveWhitelist();
      return true;
    },
    /** @param {unknown} name */
    removeFromWhitelist(name) {
      if (!state.whitelist.delete(String(name).toLowerCase())) return false;
      saveWhitelist();
      return true;
    },
    reloadWhitelist() {
      state.whitelist = readWhitelist();
    },
    /**
     * Sets a player's operator level (1–4); false when it already was that.
     * @param {string} name
     * @param {number} level
     */
    op(name, level) {
      assertName(name);
      const key = name.toLowerCase();
      const current = state.ops.get(key);
      if (current && Number(current.level) === level) return false;
      state.ops.set(key, {
        uuid: offlineUuid(current ? current.name : name),
        name: current ? current.name : name,
        level,
        bypassesPlayerLimit: current ? !!current.bypassesPlayerLimit : false,
      });
      saveOps();
      return true;
    },
    /** @param {unknown} name */
    deop(name) {
      if (!state.ops.delete(String(name).toLowerCase())) return false;
      saveOps();
      return true;
    },
    /**
     * Bans a name until `until` (epoch ms) or forever (null).
     * @param {string} name
     * @param {string | undefined} reason
     * @param {number | null} until
     * @param {string} [source] who banned: an operator's name or `Server`
     * @returns {BannedPlayerEntry}
     */
    ban(name, reason, until, source = 'Server') {
      assertName(name);
      state.bans.set(name.toLowerCase(), {
        uuid: offlineUuid(name),
        name,
        created: formatDate(new Date()),
        source,
        expires: until === null ? 'forever' : formatDate(new Date(until)),
        reason: reason || 'Banned by an operator.',
      });
      saveBans();
      return /** @type {BannedPlayerEntry} */ (state.bans.get(name.toLowerCase()));
    },
    /** @param {unknown} name */
    pardon(name) {
      if (!state.bans.delete(String(name).toLowerCase())) return false;
      saveBans();
      return true;
    },
    /**
     * Bans an address until `until` (epoch ms) or forever (null).
     * @param {unknown} ip
     * @param {string | undefined} reason
     * @param {number | null} until
     * @param {string} [source] who banned: an operator's name or `Server`
     * @returns {BannedIpEntry}
     */
    banIp(ip, reason, until, source = 'Server') {
      const key = normaliseIp(ip);
      state.ipBans.set(key, {
        ip: key,
        created: formatDate(new Date()),
        source,
        expires: until === null ? 'forever' : formatDate(new Date(until)),
        reason: reason || 'Banned by an operator.',
      });
      saveIpBans();
      return /** @type {BannedIpEntry} */ (state.ipBans.get(key));
    },
    /** @param {unknown} ip */
    pardonIp(ip) {
      if (!state.ipBans.delete(normaliseIp(ip))) return false;
      saveIpBans();
      return true;
    },
  };
}

module.exports = { createAccess, offlineUuid, normaliseIp, parseDate, formatDate };
