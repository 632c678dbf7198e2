import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BackupStore } from './s3-store.js';

/** A store endpoint that accepts connections and then never answers (a hung S3-compatible server). */
describe('S3 store timeouts', () => {
  let server: Server;
  const sockets = new Set<Socket>();
  let endpoint: string;
  beforeAll(async () => {
    server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('a request to a store that stops answering fails instead of waiting forever', async () => {
    const store = new S3BackupStore({
      bucket: 'hung',
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      idleTimeoutMs: 500,
    });
    const started = Date.now();
    const outcome = await Promise.race([
      store.delete('t/s/b.tar.zst').then(
        () => 'answered',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 20_000)),
    ]);
    expect(outcome).toBe('failed');
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);
});
