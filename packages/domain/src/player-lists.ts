import { DomainError } from './errors.js';

/**
 * The player lists a Minecraft server keeps beside its world, in vanilla's JSON shapes, so a server
 * moved in or out of Minecraft keeps them and admins' tools carry over:
 *   whitelist.json        [{ "uuid", "name" }]
 *   ops.json              [{ "uuid", "name", "level", "bypassesPlayerLimit" }]
 *   banned-players.json   [{ "uuid", "name", "created", "source", "expires", "reason" }]
 *   banned-ips.json       [{ "ip", "created", "source", "expires", "reason" }]
 * Dates are vanilla's `yyyy-MM-dd HH:mm:ss Z` text; a ban without end says `forever`.
 * Pure: reading and writing the files is the services' job.
 */

export const PLAYER_LIST_FILES = {
  whitelist: 'whitelist.json',
  ops: 'ops.json',
  bans: 'banned-players.json',
  ipBans: 'banned-ips.json',
} as const;
export type PlayerListKind = keyof typeof PLAYER_LIST_FILES;

export interface WhitelistEntry {
  uuid: string;
  name: string;
}

export interface OpEntry {
  uuid: string;
  name: string;
  level: number;
  bypassesPlayerLimit: boolean;
}

export interface BanEntry {
  uuid: string;
  name: string;
  created: string;
  source: string;
  expires: string;
  reason: string;
}

export interface IpBanEntry {
  ip: string;
  created: string;
  source: string;
  expires: string;
  reason: string;
}

/** Online-mode names are 3–16 characters; offline servers accept 1–16. */
export const PLAYER_NAME_PATTERN = '^[A-Za-z0-9_]{1,16}$';
const PLAYER_NAME_RE = new RegExp(PLAYER_NAME_PATTERN);

export function assertPlayerName(name: string): string {
  if (!PLAYER_NAME_RE.test(name)) {
    throw new DomainError('INVALID_PLAYER', 'A player name is 1–16 characters of A-Z, a-z, 0-9 and "_".', {
      field: 'name',
    });
  }
  return name;
}

/** Operator levels: 1 bypasses spawn protection, 2 cheat commands, 3 moderation, 4 everything. */
export const OP_LEVELS = [1, 2, 3, 4] as const;

export function assertOpLevel(level: number): number {
  if (!Number.isInteger(level) || level < 1 || level > 4) {
    throw new DomainError('VALIDATION_FAILED', 'An operator level is 1, 2, 3 or 4.', { field: 'level' });
  }
  return level;
}

export const BAN_REASON_MAX_LENGTH = 200;

/**
 * A reason becomes part of a console command and a kick screen: one line, no control characters,
 * bounded. Vanilla's default when none is given.
 */
export function banReason(reason: string | undefined, fallback = 'Banned by an operator.'): string {
  const text = (reason ?? '').trim();
  if (text.length === 0) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\u2028\u2029]/.test(text) || text.length > BAN_REASON_MAX_LENGTH) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `A reason is one line of at most ${BAN_REASON_MAX_LENGTH} characters.`,
      { field: 'reason' },
    );
  }
  return text;
}

/** IPv4 dotted quad or an IPv6 address (vanilla bans addresses, not ranges). */
export function assertIp(ip: string): string {
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
  const v6 = /^[0-9a-fA-F:]{2,39}$/;
  if (!(v4.test(ip) || (ip.includes(':') && v6.test(ip)))) {
    throw new DomainError('VALIDATION_FAILED', 'An IP ban names one IPv4 or IPv6 address.', { field: 'ip' });
  }
  return ip.toLowerCase();
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Vanilla's date text, in UTC: `2026-12-01 23:30:00 +0000`. */
export function formatListDate(date: Date): string {
  return (
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Parses vanilla's date text (any offset); null for `forever`, empty or unreadable text. */
export function parseListDate(text: string | undefined): Date | null {
  if (!text || text === 'forever') return null;
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text.trim());
  if (!m) {
    const iso = new Date(text);
    return Number.isNaN(iso.getTime()) ? null : iso;
  }
  const sign = m[7] === '-' ? -1 : 1;
  const offsetMs = sign * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  const utc = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  return new Date(utc - offsetMs);
}

/** Whether a ban entry still applies at `now` (an unreadable end date counts as forever, like vanilla). */
export function banActive(entry: { expires?: string }, now: number): boolean {
  const end = parseListDate(entry.expires);
  return end === null || end.getTime() > now;
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The entry for a player, matched by UUID or, failing that, by name (case-insensitive, as vanilla). */
export function findPlayer<T extends { uuid: string; name: string }>(
  list: readonly T[],
  player: { uuid: string; name: string },
): T | undefined {
  return (
    list.find((e) => e.uuid.toLowerCase() === player.uuid.toLowerCase()) ??
    list.find((e) => sameName(e.name, player.name))
  );
}

/** A list with `entry` in place of any entry of the same player (appended when absent). */
export function upsertPlayer<T extends { uuid: string; name: string }>(list: readonly T[], entry: T): T[] {
  const existing = findPlayer(list, entry);
  return existing ? list.map((e) => (e === existing ? entry : e)) : [...list, entry];
}

/** A list without the player's entries (by UUID or name). */
export function removePlayer<T extends { uuid: string; name: string }>(
  list: readonly T[],
  player: { uuid: string; name: string },
): T[] {
  return list.filter(
    (e) => e.uuid.toLowerCase() !== player.uuid.toLowerCase() && !sameName(e.name, player.name),
  );
}

/**
 * Reads one list file's parsed JSON leniently: entries of the wrong shape are dropped rather than
 * failing the whole list (a hand-edited file should not lock everyone out of the panel).
 */
export function parseList(kind: PlayerListKind, value: unknown): unknown[] {
  if (!Array.isArray(value)) return [];
  const str = (v: unknown): v is string => typeof v === 'string';
  return value.filter((e): e is Record<string, unknown> => {
    if (!e || typeof e !== 'object') return false;
    const r = e as Record<string, unknown>;
    if (kind === 'ipBans') return str(r.ip);
    return str(r.name) && str(r.uuid);
  });
}
