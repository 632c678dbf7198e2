import { describe, expect, it } from 'vitest';
import { legacyAnswer } from './answers.js';
import { normalizeHost, readFirstBytes, readLoginStart, toUtf16be } from './handshake.js';
import { proxyHeader, readProxyHeader } from './proxy-protocol.js';
import { RouteTable } from './route-table.js';
import { mcString, packet, ProtocolError, varInt } from './varint.js';

function handshake(host: string, nextState = 1, protocol = 765, port = 25565): Buffer {
  const p = Buffer.alloc(2);
  p.writeUInt16BE(port);
  return packet(0x00, varInt(protocol), mcString(host), p, varInt(nextState));
}

describe('handshake', () => {
  it('strips Forge markers and forwarding data, trailing dots and case', () => {
    expect(normalizeHost('Lobby.Acme.Play.Example\0FML3\0')).toBe('lobby.acme.play.example');
    expect(normalizeHost('a.example.com\0FML\0')).toBe('a.example.com');
    expect(normalizeHost('a.example.com.')).toBe('a.example.com');
    expect(normalizeHost('a.example.com..\0FML2\0')).toBe('a.example.com');
    expect(normalizeHost('a.example.com\x00203.0.113.5\x00uuid')).toBe('a.example.com');
  });

  it('reads a handshake byte by byte: more until complete, then the fields', () => {
    const bytes = Buffer.concat([handshake('Survival.Acme.Example.\0FML2\0', 2, 767, 25570), packet(0x00)]);
    const hsLength = handshake('Survival.Acme.Example.\0FML2\0', 2, 767, 25570).length;
    for (let n = 0; n < hsLength; n++) expect(readFirstBytes(bytes.subarray(0, n)).kind).toBe('more');
    const read = readFirstBytes(bytes);
    expect(read).toEqual({
      kind: 'handshake',
      handshake: { protocolVersion: 767, host: 'survival.acme.example', port: 25570, nextState: 'login' },
      next: hsLength,
    });
  });

  it('refuses lies and oversize at once', () => {
    // Declared packet length beyond the limit.
    expect(() => readFirstBytes(Buffer.concat([varInt(100_000), Buffer.from([0])]))).toThrow(ProtocolError);
    // A VarInt that never ends.
    expect(() => readFirstBytes(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(ProtocolError);
    // A host string longer than its packet.
    const body = Buffer.concat([
      varInt(765),
      varInt(200),
      Buffer.from('abc'),
      Buffer.from([0x63, 0xdd, 0x01]),
    ]);
    expect(() => readFirstBytes(Buffer.concat([varInt(body.length + 1), Buffer.from([0]), body]))).toThrow(
      ProtocolError,
    );
    // Not a handshake packet.
    expect(() => readFirstBytes(packet(0x05, Buffer.from([1, 2])))).toThrow(ProtocolError);
    // An unknown next state.
    expect(() => readFirstBytes(handshake('a', 9))).toThrow(ProtocolError);
    // Trailing bytes inside the packet.
    const padded = Buffer.concat([handshake('a').subarray(1), Buffer.from([7])]);
    expect(() => readFirstBytes(Buffer.concat([varInt(padded.length), padded]))).toThrow(ProtocolError);
  });

  it('reads legacy pings (beta, 1.4, 1.6 with host)', () => {
    expect(readFirstBytes(Buffer.from([0xfe]))).toEqual({ kind: 'legacy', host: null, complete: false });
    expect(readFirstBytes(Buffer.from([0xfe, 0x01]))).toEqual({
      kind: 'legacy',
      host: null,
      complete: false,
    });
    const host = 'Lobby.Acme.Example';
    const rest = Buffer.concat([
      Buffer.from([74]),
      Buffer.from([0, host.length]),
      toUtf16be(host),
      Buffer.from([0, 0, 0x63, 0xdd]),
    ]);
    const ping = Buffer.concat([
      Buffer.from([0xfe, 0x01, 0xfa, 0, 11]),
      toUtf16be('MC|PingHost'),
      Buffer.from([rest.length >> 8, rest.length & 0xff]),
      rest,
    ]);
    expect(readFirstBytes(ping.subarray(0, 20)).kind).toBe('legacy');
    expect(readFirstBytes(ping)).toEqual({ kind: 'legacy', host: 'lobby.acme.example', complete: true });
    const answer = legacyAnswer({ motd: 'Hi', online: 1, max: 5, version: '1.21.4' });
    expect(answer[0]).toBe(0xff);
    expect(answer.readUInt16BE(1) * 2).toBe(answer.length - 3);
  });

  it('reads the username of Login Start', () => {
    const login = packet(0x00, mcString('Alex'), Buffer.alloc(16));
    expect(readLoginStart(login.subarray(0, 3), 0)).toBeNull();
    expect(readLoginStart(login, 0)).toEqual({ username: 'Alex', next: login.length });
  });
});

describe('PROXY protocol v2', () => {
  it('round-trips IPv4 and IPv6 addresses', () => {
    const v4 = {
      sourceAddress: '203.0.113.7',
      sourcePort: 51234,
      destinationAddress: '10.0.0.2',
      destinationPort: 25565,
    };
    const header = proxyHeader(v4);
    expect(readProxyHeader(header)).toEqual({ kind: 'header', addresses: v4, next: header.length });
    expect(readProxyHeader(header.subarray(0, 10))).toEqual({ kind: 'more' });
    const v6 = {
      sourceAddress: '2001:db8:0:0:0:0:0:1',
      sourcePort: 1,
      destinationAddress: '::1',
      destinationPort: 2,
    };
    const read = readProxyHeader(proxyHeader(v6));
    expect(read.kind === 'header' && read.addresses).toEqual({
      ...v6,
      sourceAddress: '2001:db8:0:0:0:0:0:1',
      destinationAddress: '0:0:0:0:0:0:0:1',
    });
    // An IPv4 peer on a dual-stack socket is sent as IPv4.
    expect(proxyHeader({ ...v4, sourceAddress: '::ffff:203.0.113.7' })[13]).toBe(0x11);
  });

  it('tells a handshake from a header and refuses a bad one', () => {
    expect(readProxyHeader(handshake('a.example'))).toEqual({ kind: 'absent' });
    const bad = proxyHeader({
      sourceAddress: '1.2.3.4',
      sourcePort: 1,
      destinationAddress: '1.2.3.4',
      destinationPort: 2,
    });
    bad[12] = 0x11; // version 1
    expect(() => readProxyHeader(bad)).toThrow(ProtocolError);
  });
});

describe('route table', () => {
  const route = (serverId: string, hostnames: string[]) => ({
    serverId,
    tenantId: 't',
    status: 'running',
    backend: null,
    proxyProtocol: false,
    hostnames,
    region: 'local',
  });

  it('matches exact names before the closest wildcard and replaces names atomically', () => {
    const table = new RouteTable();
    table.upsert(route('lobby', ['lobby.acme.play.example', 'Play.Acme.Net']));
    table.upsert(route('any', ['*.acme.net']));
    table.upsert(route('deep', ['*.eu.acme.net']));
    expect(table.lookup('lobby.acme.play.example')?.serverId).toBe('lobby');
    expect(table.lookup('play.acme.net')?.serverId).toBe('lobby');
    expect(table.lookup('x.acme.net')?.serverId).toBe('any');
    expect(table.lookup('x.eu.acme.net')?.serverId).toBe('deep');
    expect(table.lookup('acme.net')).toBeUndefined();
    table.upsert(route('lobby', ['hub.acme.play.example']));
    expect(table.lookup('lobby.acme.play.example')).toBeUndefined();
    expect(table.lookup('play.acme.net')?.serverId).toBe('any');
    table.remove('any');
    expect(table.lookup('x.acme.net')).toBeUndefined();
  });
});
