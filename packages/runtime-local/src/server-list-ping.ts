import net from 'node:net';
import { mcString, packet, readVarInt, varInt } from '@minefleet/gateway/varint';

/**
 * The Minecraft server-list ping (the "status" exchange of the modern protocol, 1.7+), written out:
 * handshake (next state 1) and status request in one write, one length-prefixed JSON answer back.
 * minecraft-protocol's `ping` builds a whole protocol client for this and costs ~1.1 ms of CPU per call
 * here; this costs ~0.2 ms, which matters for a collector pinging fifty servers every few seconds.
 */

const MAX_ANSWER_BYTES = 1024 * 1024; // a favicon is a few KiB; nothing legitimate is near this

/** Re-exported for the codec's tests: the ping reads the same VarInts as the gateway. */
export { readVarInt };

/** The two packets a client sends: handshake (protocol version, host, port, next state 1) and request. */
export function statusRequest(host: string, port: number, protocolVersion: number): Buffer {
  const handshake = packet(
    0x00,
    varInt(protocolVersion),
    mcString(host),
    Buffer.from([(port >> 8) & 0xff, port & 0xff, 1]),
  );
  return Buffer.concat([handshake, packet(0x00)]);
}

/**
 * The JSON of a complete status response in `buffer`, or null while more bytes are needed. Throws on a
 * malformed or oversized answer.
 */
export function parseStatusResponse(buffer: Buffer): unknown {
  const length = readVarInt(buffer, 0);
  if (!length) return null;
  // A negative length is a VarInt past 2^31: as unsigned as it is sent, far too large.
  if (length.value < 0 || length.value > MAX_ANSWER_BYTES) throw new Error('status answer too large');
  if (buffer.length < length.next + length.value) return null;
  const packetId = readVarInt(buffer, length.next);
  if (!packetId || packetId.value !== 0x00) throw new Error('not a status response');
  const size = readVarInt(buffer, packetId.next);
  if (!size || size.value < 0 || packetId.next + size.value > length.next + length.value)
    throw new Error('truncated status response');
  return JSON.parse(buffer.subarray(size.next, size.next + size.value).toString('utf8'));
}

/** One status exchange; rejects on a socket error, a malformed answer or after `timeoutMs`. */
export function serverListPing(
  host: string,
  port: number,
  protocolVersion: number,
  timeoutMs: number,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const socket = net.connect({ host, port });
    const finish = (error: Error | null, value?: unknown) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value);
    };
    const timer = setTimeout(() => finish(new Error('ping timed out')), timeoutMs);
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(statusRequest(host, port, protocolVersion)));
    socket.on('data', (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      try {
        const answer = parseStatusResponse(received);
        if (answer !== null) finish(null, answer);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error('connection closed before the status answer')));
  });
}
