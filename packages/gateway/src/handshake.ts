import { ProtocolError, readPacket, readString, readVarInt } from './varint.js';

/** Longest handshake packet accepted. A host with Forge markers or forwarding data stays far below it. */
export const MAX_HANDSHAKE_BYTES = 2048;
/** Longest server address in a handshake (the protocol allows 255 characters, i.e. up to 1020 bytes). */
const MAX_HOST_BYTES = 1024;

export type NextState = 'status' | 'login' | 'transfer';

export interface Handshake {
  protocolVersion: number;
  /** The address the client typed, normalised (see normalizeHost). */
  host: string;
  port: number;
  nextState: NextState;
}

export type FirstBytes =
  | { kind: 'more' }
  | { kind: 'handshake'; handshake: Handshake; next: number }
  /** A pre-1.7 server-list ping; `host` when the 1.6 form carried it, `complete` once all of it is here. */
  | { kind: 'legacy'; host: string | null; complete: boolean };

/**
 * The address a client connected to, as routes are keyed: everything from the first NUL on removed
 * (Forge appends `\0FML\0`/`\0FML2\0`/`\0FML3\0`, proxies append forwarding data the same way), trailing
 * dots removed (`play.example.com.` is a valid absolute name), lower-cased.
 */
export function normalizeHost(raw: string): string {
  const nul = raw.indexOf('\0');
  let host = nul === -1 ? raw : raw.slice(0, nul);
  host = host.replace(/\.+$/, '');
  return host.toLowerCase();
}

/**
 * Reads the opening of a connection: the modern handshake (packet 0x00 of the handshaking state) or a
 * legacy ping (first byte 0xFE). Returns `more` while the bytes so far are a valid prefix; throws
 * ProtocolError as soon as they cannot become one (too long, wrong packet, bad field).
 */
export function readFirstBytes(buffer: Buffer): FirstBytes {
  if (buffer.length === 0) return { kind: 'more' };
  if (buffer[0] === 0xfe) return readLegacy(buffer);
  const framed = readPacket(buffer, 0, MAX_HANDSHAKE_BYTES);
  if (!framed) {
    // The length prefix itself is bounded (readPacket throws past the maximum once it is complete).
    return { kind: 'more' };
  }
  if (framed.id !== 0x00)
    throw new ProtocolError(`first packet is 0x${framed.id.toString(16)}, not a handshake`);
  const body = framed.body;
  const version = readVarInt(body, 0);
  if (!version) throw new ProtocolError('handshake ends inside the protocol version');
  const host = readString(body, version.next, MAX_HOST_BYTES);
  if (host.next + 3 > body.length) throw new ProtocolError('handshake ends inside the port');
  const port = body.readUInt16BE(host.next);
  const state = readVarInt(body, host.next + 2);
  if (!state) throw new ProtocolError('handshake ends inside the next state');
  if (state.next !== body.length) throw new ProtocolError('handshake has trailing bytes');
  const nextState: NextState | undefined =
    state.value === 1 ? 'status' : state.value === 2 ? 'login' : state.value === 3 ? 'transfer' : undefined;
  if (!nextState) throw new ProtocolError(`unknown next state ${state.value}`);
  return {
    kind: 'handshake',
    handshake: { protocolVersion: version.value, host: normalizeHost(host.value), port, nextState },
    next: framed.next,
  };
}

const PING_HOST_CHANNEL = 'MC|PingHost';

/**
 * Legacy pings: 1.4–1.5 send `FE 01`, 1.6 adds `FA` + the `MC|PingHost` plugin message with the host,
 * beta clients send `FE` alone. An incomplete one is answered generically when no more bytes come.
 */
function readLegacy(buffer: Buffer): FirstBytes {
  if (buffer.length === 1) return { kind: 'legacy', host: null, complete: false };
  if (buffer[1] !== 0x01) throw new ProtocolError('legacy ping with an unknown payload');
  if (buffer.length === 2) return { kind: 'legacy', host: null, complete: false };
  if (buffer[2] !== 0xfa) throw new ProtocolError('legacy ping with an unknown payload');
  const headerEnd = 3 + 2 + PING_HOST_CHANNEL.length * 2 + 2;
  if (buffer.length < headerEnd) return { kind: 'legacy', host: null, complete: false };
  const channelChars = buffer.readUInt16BE(3);
  if (channelChars !== PING_HOST_CHANNEL.length)
    throw new ProtocolError('legacy ping with an unknown channel');
  const channel = utf16be(buffer.subarray(5, 5 + channelChars * 2));
  if (channel !== PING_HOST_CHANNEL) throw new ProtocolError('legacy ping with an unknown channel');
  const restLength = buffer.readUInt16BE(headerEnd - 2);
  if (restLength > 7 + 255 * 2) throw new ProtocolError('legacy ping payload too long');
  if (buffer.length < headerEnd + restLength) return { kind: 'legacy', host: null, complete: false };
  const rest = buffer.subarray(headerEnd, headerEnd + restLength);
  if (rest.length < 3) throw new ProtocolError('legacy ping payload too short');
  const hostChars = rest.readUInt16BE(1);
  if (3 + hostChars * 2 + 4 !== rest.length)
    throw new ProtocolError('legacy ping payload lies about its length');
  const host = utf16be(rest.subarray(3, 3 + hostChars * 2));
  return { kind: 'legacy', host: normalizeHost(host), complete: true };
}

function utf16be(bytes: Buffer): string {
  const swapped = Buffer.from(bytes);
  swapped.swap16();
  return swapped.toString('utf16le');
}

export function toUtf16be(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf16le');
  bytes.swap16();
  return bytes;
}

/** The username of a Login Start packet (the first packet of the login state), or null while incomplete. */
export function readLoginStart(buffer: Buffer, offset: number): { username: string; next: number } | null {
  const framed = readPacket(buffer, offset, 4096);
  if (!framed) return null;
  if (framed.id !== 0x00) throw new ProtocolError('first login packet is not Login Start');
  const name = readString(framed.body, 0, 16 * 4);
  return { username: name.value, next: framed.next };
}
