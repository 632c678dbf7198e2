import net from 'node:net';
import { ProtocolError } from './varint.js';

/**
 * PROXY protocol version 2 (HAProxy's binary header): a load balancer in front of the gateway sends it
 * first to tell the client's real address, and the gateway sends it to a backend that accepts it so the
 * game sees players' addresses instead of the gateway's.
 */
export const PROXY_V2_SIGNATURE = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
const HEADER_BYTES = 16;
/** Longest address block accepted (addresses + TLVs; load balancers send far less). */
const MAX_BLOCK_BYTES = 512;

export interface ProxyAddresses {
  sourceAddress: string;
  sourcePort: number;
  destinationAddress: string;
  destinationPort: number;
}

export type ProxyRead =
  | { kind: 'more' }
  | { kind: 'absent' }
  /** `addresses` is null for a LOCAL command (health checks) or an unspecified family. */
  | { kind: 'header'; addresses: ProxyAddresses | null; next: number };

/** Whether the bytes so far could still be a PROXY v2 header (used to tell it apart from a handshake). */
function signaturePrefix(buffer: Buffer): boolean {
  const n = Math.min(buffer.length, PROXY_V2_SIGNATURE.length);
  return buffer.subarray(0, n).equals(PROXY_V2_SIGNATURE.subarray(0, n));
}

export function readProxyHeader(buffer: Buffer): ProxyRead {
  if (!signaturePrefix(buffer)) return { kind: 'absent' };
  if (buffer.length < HEADER_BYTES) return { kind: 'more' };
  const versionCommand = buffer[12]!;
  if (versionCommand >> 4 !== 2) throw new ProtocolError('PROXY header version is not 2');
  const command = versionCommand & 0x0f;
  if (command > 1) throw new ProtocolError('PROXY header command unknown');
  const family = buffer[13]!;
  const length = buffer.readUInt16BE(14);
  if (length > MAX_BLOCK_BYTES) throw new ProtocolError('PROXY header too long');
  const next = HEADER_BYTES + length;
  if (buffer.length < next) return { kind: 'more' };
  if (command === 0) return { kind: 'header', addresses: null, next };
  const block = buffer.subarray(HEADER_BYTES, next);
  if (family === 0x11) {
    if (block.length < 12) throw new ProtocolError('PROXY IPv4 block too short');
    return {
      kind: 'header',
      addresses: {
        sourceAddress: ipv4(block.subarray(0, 4)),
        destinationAddress: ipv4(block.subarray(4, 8)),
        sourcePort: block.readUInt16BE(8),
        destinationPort: block.readUInt16BE(10),
      },
      next,
    };
  }
  if (family === 0x21) {
    if (block.length < 36) throw new ProtocolError('PROXY IPv6 block too short');
    return {
      kind: 'header',
      addresses: {
        sourceAddress: ipv6(block.subarray(0, 16)),
        destinationAddress: ipv6(block.subarray(16, 32)),
        sourcePort: block.readUInt16BE(32),
        destinationPort: block.readUInt16BE(34),
      },
      next,
    };
  }
  // UNSPEC or unix sockets: the connection is proxied but carries no usable address.
  return { kind: 'header', addresses: null, next };
}

function ipv4(bytes: Buffer): string {
  return [...bytes].join('.');
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(':');
}

/** A PROXY v2 PROXY header (TCP over IPv4 or IPv6) for the given addresses. */
export function proxyHeader(addresses: ProxyAddresses): Buffer {
  const source = unmapped(addresses.sourceAddress);
  const destination = unmapped(addresses.destinationAddress);
  const v4 = net.isIPv4(source) && net.isIPv4(destination);
  const block = v4 ? Buffer.alloc(12) : Buffer.alloc(36);
  if (v4) {
    writeIpv4(block, 0, source);
    writeIpv4(block, 4, destination);
    block.writeUInt16BE(addresses.sourcePort, 8);
    block.writeUInt16BE(addresses.destinationPort, 10);
  } else {
    writeIpv6(block, 0, net.isIPv4(source) ? `::ffff:${source}` : source);
    writeIpv6(block, 16, net.isIPv4(destination) ? `::ffff:${destination}` : destination);
    block.writeUInt16BE(addresses.sourcePort, 32);
    block.writeUInt16BE(addresses.destinationPort, 34);
  }
  const head = Buffer.alloc(HEADER_BYTES);
  PROXY_V2_SIGNATURE.copy(head, 0);
  head[12] = 0x21; // version 2, PROXY
  head[13] = v4 ? 0x11 : 0x21; // TCP over IPv4 / IPv6
  head.writeUInt16BE(block.length, 14);
  return Buffer.concat([head, block]);
}

/** `::ffff:1.2.3.4` (how Node reports IPv4 peers on a dual-stack socket) as `1.2.3.4`. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}

function writeIpv4(target: Buffer, offset: number, address: string): void {
  address.split('.').forEach((part, i) => (target[offset + i] = Number(part)));
}

function writeIpv6(target: Buffer, offset: number, address: string): void {
  let text = address;
  // An embedded IPv4 tail becomes two hex groups.
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const [a, b, c, d] = tail[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -tail[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest !== undefined && rest !== '' ? rest.split(':') : [];
  const groups =
    rest === undefined
      ? left
      : [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((group, i) => target.writeUInt16BE(parseInt(group || '0', 16), offset + i * 2));
}
