import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseStatusResponse, readVarInt, serverListPing, statusRequest } from './server-list-ping.js';

function varInt(value: number): Buffer {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    out.push(byte);
  } while (value !== 0);
  return Buffer.from(out);
}

function statusAnswer(json: string): Buffer {
  const text = Buffer.from(json, 'utf8');
  const body = Buffer.concat([varInt(0), varInt(text.length), text]);
  return Buffer.concat([varInt(body.length), body]);
}

describe('server-list ping codec', () => {
  it('writes the handshake (next state 1) and the status request', () => {
    const bytes = statusRequest('127.0.0.1', 25565, 764);
    const handshakeLength = readVarInt(bytes, 0)!;
    expect(bytes[handshakeLength.next]).toBe(0x00);
    expect(readVarInt(bytes, handshakeLength.next + 1)!.value).toBe(764);
    const end = handshakeLength.next + handshakeLength.value;
    expect(bytes[end - 3]).toBe(25565 >> 8);
    expect(bytes[end - 2]).toBe(25565 & 0xff);
    expect(bytes[end - 1]).toBe(1);
    expect([...bytes.subarray(end)]).toEqual([1, 0]);
  });

  it('waits for a whole answer, then parses it; refuses garbage', () => {
    const whole = statusAnswer('{"players":{"online":2,"max":20},"motd":"' + 'é'.repeat(300) + '"}');
    for (let cut = 0; cut < whole.length; cut += 37)
      expect(parseStatusResponse(whole.subarray(0, cut))).toBeNull();
    expect(parseStatusResponse(whole)).toMatchObject({ players: { online: 2, max: 20 } });
    expect(() => parseStatusResponse(Buffer.concat([varInt(3), Buffer.from([0x01, 0x01, 0x41])]))).toThrow();
    expect(() => parseStatusResponse(varInt(50 * 1024 * 1024))).toThrow(/too large/);
  });
});

describe('serverListPing over TCP', () => {
  let server: net.Server | undefined;
  afterEach(() => server?.close());

  const listen = (onRequest: (socket: net.Socket) => void) =>
    new Promise<number>((resolve) => {
      server = net.createServer((socket) => socket.once('data', () => onRequest(socket)));
      server.listen(0, '127.0.0.1', () => resolve((server!.address() as net.AddressInfo).port));
    });

  it('reads an answer that arrives in pieces', async () => {
    const answer = statusAnswer(
      JSON.stringify({ players: { online: 1, max: 5 }, description: { text: 'hi' } }),
    );
    const port = await listen((socket) => {
      socket.write(answer.subarray(0, 3));
      setTimeout(() => socket.write(answer.subarray(3, 20)), 10);
      setTimeout(() => socket.end(answer.subarray(20)), 20);
    });
    await expect(serverListPing('127.0.0.1', port, 764, 1_000)).resolves.toMatchObject({
      players: { online: 1, max: 5 },
    });
  });

  it('fails on a closed connection, a silent server and a closed port', async () => {
    const closing = await listen((socket) => socket.end());
    await expect(serverListPing('127.0.0.1', closing, 764, 1_000)).rejects.toThrow(/closed/);
    server?.close();
    const silent = await listen(() => {});
    await expect(serverListPing('127.0.0.1', silent, 764, 200)).rejects.toThrow(/timed out/);
    server?.close();
    await expect(serverListPing('127.0.0.1', silent, 764, 1_000)).rejects.toThrow();
  });
});
