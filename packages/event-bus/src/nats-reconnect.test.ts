import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleEvent } from './conformance.js';
import { NatsEventBus } from './nats-event-bus.js';

// Restarting the shared NATS server would disturb everyone else, so this suite runs its own
// nats-server (the same Debian binary that serves 127.0.0.1:4222) on a free port and kills it.
const NATS_SERVER = process.env.NATS_SERVER_BIN ?? 'nats-server';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nats-server did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startNats(port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: 'ignore',
  });
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run ${NATS_SERVER}: ${error.message}`)));
  });
  await Promise.race([waitForPort(port), failed]);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('NATS event bus: reconnect', () => {
  let port: number;
  let dir: string;
  let server: ChildProcess | null = null;
  let publisher: NatsEventBus;
  let subscriber: NatsEventBus;
  const reported: string[] = [];
  const tenant = randomUUID();
  const serverId = randomUUID();
  const received: string[] = [];
  /** A subscriber that joined at a high stream sequence, sharing the first one's consumer. */
  const lateReceived: string[] = [];

  beforeAll(async () => {
    port = await freePort();
    dir = await mkdtemp(path.join(tmpdir(), 'minefleet-nats-'));
    server = await startNats(port, path.join(dir, 'store-1'));
    const options = {
      servers: `nats://127.0.0.1:${port}`,
      stream: `MFRECONNECT_${randomBytes(4).toString('hex')}`,
      limits: { storage: 'file' as const, maxBytes: 8 * 1024 * 1024 },
      onError: (_error: unknown, context: string) => reported.push(context),
    };
    publisher = await NatsEventBus.connect({ ...options, name: 'replica-1' });
    subscriber = await NatsEventBus.connect({ ...options, name: 'replica-2' });
    await subscriber.subscribe({ serverId }, (event) => {
      if (event.type === 'console') received.push(event.data.message);
    });
  });

  afterAll(async () => {
    await publisher?.close();
    await subscriber?.close();
    if (server) await kill(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('resumes delivery after the NATS server restarts with its store', async () => {
    // Enough events that the consumers' stream cursor is far ahead of a fresh stream's sequence (so
    // the second test shows the feeds really restart rather than wait for the numbers to catch up).
    const early = 300;
    await Promise.all(
      Array.from({ length: early }, (_, i) =>
        publisher.publish(consoleEvent(tenant, serverId, `early ${i}`)),
      ),
    );
    await publisher.publish(consoleEvent(tenant, serverId, 'before restart'));
    await until(() => received.length === early + 1, 'the first events');
    await subscriber.subscribe({ serverId }, (event) => {
      if (event.type === 'console') lateReceived.push(event.data.message);
    });

    await kill(server!);
    await until(
      () => publisher.state === 'reconnecting' && subscriber.state === 'reconnecting',
      'disconnect',
    );
    server = await startNats(port, path.join(dir, 'store-1'));
    await until(() => publisher.state === 'connected' && subscriber.state === 'connected', 'reconnect');

    await publisher.publish(consoleEvent(tenant, serverId, 'after restart'));
    await until(() => received.length === early + 2, 'the event published after the restart');
    expect(received.slice(early)).toEqual(['before restart', 'after restart']);
    expect(lateReceived).toEqual(['after restart']);
  });

  it('re-creates the stream and restarts live feeds when the server came back without its store', async () => {
    await kill(server!);
    server = await startNats(port, path.join(dir, 'store-2'));
    await until(() => publisher.state === 'connected' && subscriber.state === 'connected', 'reconnect');

    // At-most-once: events published while the subscriber's replica is still re-attaching may be
    // missed, so keep publishing until one arrives; what arrives must be in order and never twice.
    // The late subscriber's position belongs to the lost stream's numbering: it must be reset.
    const [already, lateAlready] = [received.length, lateReceived.length];
    for (let i = 0; received.length === already || lateReceived.length === lateAlready; i++) {
      if (i > 50) throw new Error('no event arrived after the store was lost');
      await publisher.publish(consoleEvent(tenant, serverId, `after loss ${i}`));
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const list of [received.slice(already), lateReceived.slice(lateAlready)]) {
      const numbers = list.map((m) => Number(m.replace('after loss ', '')));
      expect(numbers.every((n, i) => i === 0 || n > numbers[i - 1]!)).toBe(true);
    }
    expect(reported).toContain('restarting live feeds');
  });
});
