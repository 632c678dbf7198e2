import { toUtf16be } from './handshake.js';
import { mcString, packet } from './varint.js';

/** A server-list status as the game sends it (the JSON of the status response). */
export interface StatusJson {
  version: { name: string; protocol: number };
  players: { max: number; online: number; sample?: { name: string; id: string }[] };
  description: unknown;
  favicon?: string;
  enforcesSecureChat?: boolean;
  [key: string]: unknown;
}

/** Longest status JSON the gateway caches or sends (a 64×64 PNG icon is a few KiB in base64). */
export const MAX_STATUS_BYTES = 64 * 1024;

export function statusResponse(status: StatusJson): Buffer {
  return packet(0x00, mcString(JSON.stringify(status)));
}

/** The pong of the status state: the client's 8-byte payload echoed. */
export function pong(payload: Buffer): Buffer {
  return packet(0x01, payload);
}

/**
 * Login-state disconnect (packet 0x00): a JSON text component in every version, including those whose
 * play-state messages moved to NBT.
 */
export function loginDisconnect(message: string): Buffer {
  return packet(0x00, mcString(JSON.stringify({ text: message })));
}

/** Plain text of a status description (string or text component), for the legacy answer. */
export function plainText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return '';
  const c = value as { text?: unknown; extra?: unknown[] };
  return (
    (typeof c.text === 'string' ? c.text : '') +
    (Array.isArray(c.extra) ? c.extra.map(plainText).join('') : '')
  );
}

/**
 * The legacy (pre-1.7) ping answer: 0xFF, UTF-16BE length-prefixed `§1\0protocol\0version\0motd\0online\0max`.
 * An old client shows it as the server line (with a version mismatch marker, which is true).
 */
export function legacyAnswer(status: { motd: string; online: number; max: number; version: string }): Buffer {
  const text = [
    '§1',
    '127',
    status.version,
    status.motd.replace(/\0/g, ' '),
    String(status.online),
    String(status.max),
  ].join('\0');
  const body = toUtf16be(text);
  const head = Buffer.alloc(3);
  head[0] = 0xff;
  head.writeUInt16BE(text.length, 1);
  return Buffer.concat([head, body]);
}

/** A status for a hostname no server answers to: clearly not a real server, zero players, no icon. */
/** What a server of another region answers through this gateway: where it is, in red. */
export function otherRegionMessage(serverRegion: string, gatewayRegion: string): string {
  return `This server runs in region ${serverRegion.slice(0, 32)}; this address serves region ${gatewayRegion}. Connect through the ${serverRegion.slice(0, 32)} address.`;
}

export function otherRegionStatus(
  serverRegion: string,
  gatewayRegion: string,
  protocolVersion: number,
): StatusJson {
  return {
    version: { name: 'Minefleet', protocol: protocolVersion },
    players: { max: 0, online: 0 },
    description: { text: otherRegionMessage(serverRegion, gatewayRegion), color: 'red' },
  };
}

export function unknownServerStatus(host: string, protocolVersion: number): StatusJson {
  return {
    version: { name: 'Minefleet', protocol: protocolVersion },
    players: { max: 0, online: 0 },
    description: {
      text: `Unknown server: no server is reachable at ${host.slice(0, 100) || 'this address'}.`,
      color: 'red',
    },
  };
}
