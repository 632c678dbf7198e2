import net from 'node:net';
import { MAX_STATUS_BYTES, type StatusJson } from './answers.js';
import { mcString, packet, readPacket, readString, varInt } from './varint.js';

/**
 * Fetches a server's full status JSON (MOTD, icon, version, players) with one server-list ping, for the
 * gateway's cache of the last real status. Rejects after `timeoutMs`, on a malformed or oversized answer.
 */
export function fetchStatus(
  backend: { host: string; port: number },
  options: { timeoutMs: number; protocolVersion?: number; host?: string },
): Promise<StatusJson> {
  return new Promise((resolve, reject) => {
    let received: Buffer = Buffer.alloc(0);
    const socket = net.connect(backend);
    const finish = (error: Error | null, value?: StatusJson) => {
      clearTimeout(timer);
      socket.destroy();
      if (error) reject(error);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new Error('status fetch timed out')), options.timeoutMs);
    socket.setNoDelay(true);
    socket.once('connect', () => {
      const port = Buffer.alloc(2);
      port.writeUInt16BE(backend.port);
      const handshake = packet(
        0x00,
        varInt(options.protocolVersion ?? -1),
        mcString(options.host ?? backend.host),
        port,
        varInt(1),
      );
      socket.write(Buffer.concat([handshake, packet(0x00)]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      try {
        const answer = readPacket(received, 0, MAX_STATUS_BYTES + 16);
        if (!answer) return;
        if (answer.id !== 0x00) throw new Error('not a status response');
        const json = JSON.parse(readString(answer.body, 0, MAX_STATUS_BYTES).value) as StatusJson;
        if (!json || typeof json !== 'object' || !json.version || !json.players)
          throw new Error('status response without version or players');
        finish(null, json);
      } catch (error) {
        finish(error as Error);
      }
    });
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error('connection closed before the status answer')));
  });
}
