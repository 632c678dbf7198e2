/**
 * Publish→deliver latency of both adapters (not part of the test suite; figures go in docs/events.md).
 * Run: npx tsx packages/event-bus/latency-bench.ts   (NATS_URL defaults to nats://127.0.0.1:4222)
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { EventBus, PlatformEvent } from '@minefleet/domain/ports/event-bus';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { InProcessEventBus } from './src/in-process-event-bus.js';
import { NatsEventBus } from './src/nats-event-bus.js';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

function event(tenantId: string, serverId: string, sentAt: number): PlatformEvent {
  return {
    type: 'console',
    tenantId,
    serverId,
    ts: new Date().toISOString(),
    data: { level: 'info', source: 'stdout', message: String(sentAt) },
  };
}

function sentAt(e: PlatformEvent): number {
  return e.type === 'console' ? Number(e.data.message) : 0;
}

function summary(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(3);
  return `n=${s.length} p50=${at(0.5)} ms p99=${at(0.99)} ms max=${at(1)} ms`;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setTimeout(r, 1));
}

/** One publisher, one subscriber, one event at a time: the latency of the transport itself. */
async function oneByOne(publisher: EventBus, subscriber: EventBus, n: number): Promise<string> {
  const [tenant, server] = [randomUUID(), randomUUID()];
  const samples: number[] = [];
  await subscriber.subscribe({ serverId: server }, (e) => samples.push(performance.now() - sentAt(e)));
  for (let i = 0; i < n; i++) {
    await publisher.publish(event(tenant, server, performance.now()));
    await until(() => samples.length === i + 1);
  }
  return summary(samples);
}

/** 500 subscribers on 20 servers, events to all 20 servers at once: fan-out latency. */
async function fanOut(publisher: EventBus, subscriber: EventBus, rounds: number): Promise<string> {
  const tenant = randomUUID();
  const servers = Array.from({ length: 20 }, () => randomUUID());
  const samples: number[] = [];
  for (let i = 0; i < 500; i++) {
    await subscriber.subscribe({ tenantId: tenant, serverId: servers[i % 20]! }, (e) =>
      samples.push(performance.now() - sentAt(e)),
    );
  }
  for (let r = 0; r < rounds; r++) {
    const now = performance.now();
    await Promise.all(servers.map((s) => publisher.publish(event(tenant, s, now))));
    await until(() => samples.length === (r + 1) * 500);
  }
  return summary(samples);
}

/**
 * Publishes as fast as the publisher can pipeline them. A subscriber that falls further behind than
 * the stream keeps per subject (10,000 events) loses the evicted ones, so the count is reported.
 */
async function throughput(publisher: EventBus, subscriber: EventBus, n: number): Promise<string> {
  const [tenant, server] = [randomUUID(), randomUUID()];
  let got = 0;
  let lastAt = performance.now();
  await subscriber.subscribe({ serverId: server }, () => {
    got++;
    lastAt = performance.now();
  });
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, () => publisher.publish(event(tenant, server, 0))));
  const published = performance.now() - start;
  while (got < n && performance.now() - lastAt < 1_000) await new Promise((r) => setTimeout(r, 5));
  const delivered = lastAt - start;
  return (
    `${n} published in ${published.toFixed(0)} ms (${Math.round((n / published) * 1000)}/s), ` +
    `${got} delivered in ${delivered.toFixed(0)} ms (${Math.round((got / delivered) * 1000)}/s)`
  );
}

const local = new InProcessEventBus();
console.log('in-process one-by-one:', await oneByOne(local, local, 10_000));
console.log('in-process fan-out 500 subs / 20 servers:', await fanOut(local, local, 100));
console.log('in-process throughput:', await throughput(local, local, 100_000));
await local.close();

const run = randomBytes(4).toString('hex');
const options = {
  servers: NATS_URL,
  stream: `MFBENCH_${run}`,
  subjectPrefix: `mfbench_${run}`,
  limits: { storage: 'memory' as const, maxBytes: 64 * 1024 * 1024 },
};
const replica1 = await NatsEventBus.connect(options);
const replica2 = await NatsEventBus.connect(options);
try {
  console.log('NATS replica→replica one-by-one:', await oneByOne(replica1, replica2, 2_000));
  console.log('NATS fan-out 500 subs / 20 servers:', await fanOut(replica1, replica2, 50));
  console.log('NATS throughput (pipelined publishes):', await throughput(replica1, replica2, 10_000));
} finally {
  await replica1.close();
  await replica2.close();
  const nc = await connect({ servers: NATS_URL });
  await (await jetstreamManager(nc)).streams.delete(options.stream);
  await nc.close();
}
