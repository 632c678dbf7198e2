import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { consoleEvent, runEventBusConformance } from './conformance.js';
import { NatsEventBus } from './nats-event-bus.js';

// The real NATS server of the development machine and CI. Every run gets its own stream and subject
// prefix, so parallel runs (and other engineers) never see each other's events; afterAll deletes them.
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const run = randomBytes(4).toString('hex');
const streamsMade = new Set<string>();

function testOptions(suffix: string) {
  const stream = `MFTEST_${run}_${suffix}`;
  streamsMade.add(stream);
  return {
    servers: NATS_URL,
    stream,
    subjectPrefix: `mftest_${run}_${suffix}`,
    limits: { storage: 'memory' as const, maxAgeMs: 60_000, maxBytes: 16 * 1024 * 1024 },
  };
}

afterAll(async () => {
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  for (const stream of streamsMade) await jsm.streams.delete(stream).catch(() => undefined);
  await nc.close();
});

const conformanceOptions = testOptions('conf');
runEventBusConformance('NATS JetStream', {
  create: ({ onError }) => NatsEventBus.connect({ ...conformanceOptions, onError }),
  replicas: true,
});

describe('NATS event bus: stream', () => {
  it('creates the stream with bounded retention and brings an existing one to new limits', async () => {
    const options = testOptions('limits');
    const bus = await NatsEventBus.connect({
      ...options,
      limits: { ...options.limits, maxBytes: 1_000_000 },
    });
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(options.stream);
      expect(info.config).toMatchObject({
        subjects: [`${options.subjectPrefix}.>`],
        retention: 'limits',
        discard: 'old',
        storage: 'memory',
        max_bytes: 1_000_000,
        max_age: 60_000 * 1_000_000,
        max_msg_size: 1024 * 1024,
        max_msgs_per_subject: 10_000,
      });
      // A second replica started with other limits updates the shared stream instead of failing.
      const other = await NatsEventBus.connect({
        ...options,
        limits: { ...options.limits, maxBytes: 2_000_000 },
      });
      expect((await jsm.streams.info(options.stream)).config.max_bytes).toBe(2_000_000);
      await other.close();
    } finally {
      await bus.close();
      await nc.close();
    }
  });

  it('a console flood past max_bytes evicts the oldest events; publishing and live delivery go on', async () => {
    const options = testOptions('flood');
    const maxBytes = 64 * 1024;
    const bus = await NatsEventBus.connect({ ...options, limits: { ...options.limits, maxBytes } });
    const nc = await connect({ servers: NATS_URL });
    try {
      const [tenant, server] = [randomUUID(), randomUUID()];
      const received: string[] = [];
      await bus.subscribe({ serverId: server }, (e) => {
        if (e.type === 'console') received.push(e.data.message);
      });
      const line = 'x'.repeat(200);
      const count = 2_000; // ~600 KB of events into a 64 KiB stream
      await Promise.all(
        Array.from({ length: count }, (_, i) => bus.publish(consoleEvent(tenant, server, `${i} ${line}`))),
      );
      const jsm = await jetstreamManager(nc);
      const state = (await jsm.streams.info(options.stream)).state;
      expect(state.bytes).toBeLessThanOrEqual(maxBytes);
      expect(state.last_seq).toBe(count);
      expect(state.first_seq).toBeGreaterThan(1);
      // A live subscriber that fell further behind than the stream holds loses what was evicted (the
      // price of a bounded stream), but never sees an event twice or out of order, and catches up.
      const deadline = Date.now() + 10_000;
      while (received.at(-1)?.startsWith(`${count - 1} `) !== true && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const seen = received.map((m) => Number(m.split(' ')[0]));
      expect(seen.at(-1)).toBe(count - 1);
      expect(seen.every((n, i) => i === 0 || n > seen[i - 1]!)).toBe(true);
    } finally {
      await bus.close();
      await nc.close();
    }
  });

  it('re-creates a deleted stream on the next publish or subscribe', async () => {
    const options = testOptions('recreate');
    const bus = await NatsEventBus.connect(options);
    const nc = await connect({ servers: NATS_URL });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.delete(options.stream);
      await bus.publish(consoleEvent(randomUUID(), randomUUID(), 'after delete'));
      expect((await jsm.streams.info(options.stream)).state.messages).toBe(1);
      await jsm.streams.delete(options.stream);
      const [tenant, server] = [randomUUID(), randomUUID()];
      const got: string[] = [];
      await bus.subscribe({ serverId: server }, (e) => {
        if (e.type === 'console') got.push(e.data.message);
      });
      await bus.publish(consoleEvent(tenant, server, 'to a new subscriber'));
      const deadline = Date.now() + 5_000;
      while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(got).toEqual(['to a new subscriber']);
    } finally {
      await bus.close();
      await nc.close();
    }
  });

  it('refuses to connect with a stream name or subject prefix NATS cannot use', async () => {
    await expect(NatsEventBus.connect({ servers: NATS_URL, stream: 'a.b' })).rejects.toThrow(/stream name/);
    await expect(NatsEventBus.connect({ servers: NATS_URL, subjectPrefix: 'a.>' })).rejects.toThrow(/prefix/);
  });
});
