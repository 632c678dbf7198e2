import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleConnection, MAX_MESSAGE_CHARS } from './console-connection.js';

/** A console socket served by a hostile game process that sends one endless message. */
describe('console connection', () => {
  let dir: string;
  let server: Server;
  let socketPath: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mf-console-'));
    socketPath = path.join(dir, 'console.sock');
    server = createServer((socket) => {
      const chunk = 'x'.repeat(256 * 1024);
      const pump = () => {
        while (!socket.destroyed && socket.write(chunk));
        if (!socket.destroyed) socket.once('drain', pump);
      };
      socket.on('error', () => {});
      pump();
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('closes a connection whose message never ends instead of buffering it', async () => {
    const connection = await ConsoleConnection.connect(socketPath);
    const closed = new Promise<boolean>((resolve) => {
      connection.onClose(() => resolve(true));
      setTimeout(() => resolve(false), 20_000);
    });
    expect(await closed).toBe(true);
    expect(connection.isClosed).toBe(true);
    expect(MAX_MESSAGE_CHARS).toBeLessThanOrEqual(8 * 1024 * 1024);
  }, 30_000);
});
