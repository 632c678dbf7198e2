import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventBus, PlatformEvent, PlatformEventType } from '@minefleet/domain/ports/event-bus';
import { BoundedQueue } from '@minefleet/domain/bounded-queue';
import { pumpQueue } from '@minefleet/domain/queue-pump';
import {
  backupEvent,
  collect,
  consoleEvent,
  messages,
  metricsEvent,
  statusEvent,
  types,
  waitUntil,
} from './conformance-support.js';
import type { EventBusErrorReporter } from './subscriber-registry.js';

export { consoleEvent, statusEvent } from './conformance-support.js';

/**
 * The contract every EventBus adapter passes (in the style of Hono's `router/common.case.test.ts`):
 * a test file per adapter calls `runEventBusConformance` with a factory, so the in-process bus and the
 * NATS bus are held to the same behaviour and a service can be moved from one to the other unchanged.
 *
 * Absence ("this subscriber got nothing else") is asserted the only honest way for an asynchronous
 * transport: a catch-all probe proves every event was delivered somewhere, then a short settle time
 * passes before the filtered subscriber's list is compared exactly.
 */
export interface EventBusFactory {
  /** A new bus; `onError` must receive what the bus cannot throw (handler exceptions). */
  create(options: { onError: EventBusErrorReporter }): Promise<EventBus>;
  /**
   * True when two buses from `create()` share a transport, like two control-plane replicas on one
   * NATS: then an event published on one must reach the subscribers of the other.
   */
  replicas: boolean;
}

export function runEventBusConformance(name: string, factory: EventBusFactory): void {
  describe(`EventBus conformance: ${name}`, () => {
    const buses: EventBus[] = [];
    let errors: { error: unknown; context: string }[] = [];

    async function newBus(): Promise<EventBus> {
      const bus = await factory.create({ onError: (error, context) => errors.push({ error, context }) });
      buses.push(bus);
      return bus;
    }

    afterEach(async () => {
      await Promise.all(buses.splice(0).map((bus) => bus.close()));
      errors = [];
    });

    it('delivers a published event, unchanged, to a subscriber with an empty filter', async () => {
      const bus = await newBus();
      const all = await collect(bus, {});
      const event = statusEvent(randomUUID(), randomUUID());
      await bus.publish(event);
      await all.waitFor(1);
      expect(all.events).toEqual([event]);
    });

    it('filters by tenant', async () => {
      const bus = await newBus();
      const [tenantA, tenantB, server] = [randomUUID(), randomUUID(), randomUUID()];
      const probe = await collect(bus, {});
      const onlyA = await collect(bus, { tenantId: tenantA });
      const events = [
        consoleEvent(tenantB, server, 'b1'),
        consoleEvent(tenantA, server, 'a1'),
        consoleEvent(tenantB, randomUUID(), 'b2'),
        consoleEvent(tenantA, randomUUID(), 'a2'),
      ];
      for (const event of events) await bus.publish(event);
      await probe.waitFor(4);
      await onlyA.settle(2);
      expect(messages(onlyA.events)).toEqual(['a1', 'a2']);
    });

    it('filters by server', async () => {
      const bus = await newBus();
      const [tenant, serverA, serverB] = [randomUUID(), randomUUID(), randomUUID()];
      const probe = await collect(bus, {});
      const onlyA = await collect(bus, { serverId: serverA });
      const tenantAndA = await collect(bus, { tenantId: tenant, serverId: serverA });
      const otherTenantSameServer = await collect(bus, { tenantId: randomUUID(), serverId: serverA });
      await bus.publish(consoleEvent(tenant, serverB, 'b'));
      await bus.publish(consoleEvent(tenant, serverA, 'a'));
      await probe.waitFor(2);
      await onlyA.settle(1);
      await tenantAndA.settle(1);
      await otherTenantSameServer.settle(0);
      expect(messages(onlyA.events)).toEqual(['a']);
      expect(messages(tenantAndA.events)).toEqual(['a']);
      expect(otherTenantSameServer.events).toEqual([]);
    });

    it('filters by types: one, several, and none', async () => {
      const bus = await newBus();
      const [tenant, server] = [randomUUID(), randomUUID()];
      const probe = await collect(bus, {});
      const statusOnly = await collect(bus, { tenantId: tenant, serverId: server, types: ['status'] });
      const consoleAndBackup = await collect(bus, { serverId: server, types: ['console', 'backup'] });
      const nothing = await collect(bus, { types: [] });
      const events: PlatformEvent[] = [
        statusEvent(tenant, server),
        consoleEvent(tenant, server, 'line'),
        metricsEvent(tenant, server),
        backupEvent(tenant, server),
      ];
      for (const event of events) await bus.publish(event);
      await probe.waitFor(4);
      await statusOnly.settle(1);
      await consoleAndBackup.settle(2);
      await nothing.settle(0);
      expect(types(statusOnly.events)).toEqual(['status']);
      expect(types(consoleAndBackup.events)).toEqual(['console', 'backup']);
      expect(nothing.events).toEqual([]);
    });

    it('keeps publish order per server, also when publishes are not awaited one by one', async () => {
      const bus = await newBus();
      const tenant = randomUUID();
      const servers = [randomUUID(), randomUUID(), randomUUID()];
      const perServer = await Promise.all(servers.map((serverId) => collect(bus, { serverId })));
      const all = await collect(bus, { tenantId: tenant });
      const count = 200;
      const published: Promise<void>[] = [];
      for (let i = 0; i < count; i++) {
        for (const serverId of servers)
          published.push(bus.publish(consoleEvent(tenant, serverId, String(i))));
      }
      await Promise.all(published);
      const expected = Array.from({ length: count }, (_, i) => String(i));
      for (const [i, collector] of perServer.entries()) {
        await collector.waitFor(count);
        expect(messages(collector.events)).toEqual(expected);
        expect(collector.events.every((e) => e.serverId === servers[i])).toBe(true);
      }
      await all.waitFor(count * servers.length);
      for (const serverId of servers) {
        expect(messages(all.events.filter((e) => e.serverId === serverId))).toEqual(expected);
      }
    });

    it('delivers nothing published before subscribe resolved', async () => {
      const bus = await newBus();
      const [tenant, server] = [randomUUID(), randomUUID()];
      const early = await collect(bus, { serverId: server });
      await bus.publish(consoleEvent(tenant, server, 'before'));
      await early.waitFor(1);
      const late = await collect(bus, { serverId: server });
      await bus.publish(consoleEvent(tenant, server, 'after'));
      await early.waitFor(2);
      await late.settle(1);
      expect(messages(late.events)).toEqual(['after']);
    });

    it('stops delivering once unsubscribe resolves, without disturbing other subscribers', async () => {
      const bus = await newBus();
      const [tenant, server] = [randomUUID(), randomUUID()];
      const stays = await collect(bus, { serverId: server });
      const leaves = await collect(bus, { serverId: server });
      await bus.publish(consoleEvent(tenant, server, 'one'));
      await leaves.waitFor(1);
      await leaves.subscription.unsubscribe();
      await leaves.subscription.unsubscribe(); // idempotent
      await bus.publish(consoleEvent(tenant, server, 'two'));
      await stays.waitFor(2);
      await leaves.settle(1);
      expect(messages(leaves.events)).toEqual(['one']);
      expect(messages(stays.events)).toEqual(['one', 'two']);
      // The last subscriber of a filter leaving, then a new one arriving, still works.
      await stays.subscription.unsubscribe();
      const again = await collect(bus, { serverId: server });
      await bus.publish(consoleEvent(tenant, server, 'three'));
      await again.waitFor(1);
      expect(messages(again.events)).toEqual(['three']);
    });

    it('serves many subscribers on the same and on different filters', async () => {
      const bus = await newBus();
      const tenant = randomUUID();
      const servers = Array.from({ length: 5 }, () => randomUUID());
      const perServer = await Promise.all(
        servers.flatMap((serverId) => Array.from({ length: 10 }, () => collect(bus, { serverId }))),
      );
      const perTenant = await Promise.all(
        Array.from({ length: 10 }, () => collect(bus, { tenantId: tenant })),
      );
      for (const serverId of servers) {
        for (let i = 0; i < 3; i++) await bus.publish(consoleEvent(tenant, serverId, `${serverId}:${i}`));
      }
      await Promise.all(perServer.map((collector) => collector.settle(3)));
      for (const [i, collector] of perServer.entries()) {
        const serverId = servers[Math.floor(i / 10)]!;
        expect(messages(collector.events)).toEqual([0, 1, 2].map((n) => `${serverId}:${n}`));
      }
      for (const collector of perTenant) {
        await collector.waitFor(15);
        expect(collector.events).toHaveLength(15);
      }
    });

    it('survives a handler that throws: reported, others served, the bus and the publisher unharmed', async () => {
      const bus = await newBus();
      const [tenant, server] = [randomUUID(), randomUUID()];
      const boom = new Error('handler bug');
      let calls = 0;
      await bus.subscribe({ serverId: server }, () => {
        calls++;
        throw boom;
      });
      const healthy = await collect(bus, { serverId: server });
      await bus.publish(consoleEvent(tenant, server, 'one'));
      await bus.publish(consoleEvent(tenant, server, 'two'));
      await healthy.waitFor(2);
      await waitUntil(() => calls === 2);
      expect(messages(healthy.events)).toEqual(['one', 'two']);
      expect(errors.filter((e) => e.error === boom)).toHaveLength(2);
    });

    it('never lets a subscriber that does not keep up hold back the publisher or the others', async () => {
      const bus = await newBus();
      const [tenant, server] = [randomUUID(), randomUUID()];
      // A handler that starts slow work per event and never finishes it (e.g. an awaited socket write
      // to a client that went silent). Returning a promise must not make the bus wait for it.
      let stuck = 0;
      await bus.subscribe({ serverId: server }, async () => {
        stuck++;
        await new Promise(() => undefined);
      });
      const fast = await collect(bus, { serverId: server });
      const count = 300;
      await Promise.all(
        Array.from({ length: count }, (_, i) => bus.publish(consoleEvent(tenant, server, String(i)))),
      );
      await fast.waitFor(count);
      expect(fast.events).toHaveLength(count);
      await waitUntil(() => stuck === count);
    });

    it('with a bounded queue per subscriber, a stuck one loses its oldest events and delays no one', async () => {
      const bus = await newBus();
      const [tenant, server] = [randomUUID(), randomUUID()];
      const count = 300;
      const fast = new BoundedQueue<PlatformEvent>(count);
      const slow = new BoundedQueue<PlatformEvent>(32);
      const fastSeen: string[] = [];
      const slowSeen: string[] = [];
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const pumps = [
        pumpQueue(fast, { send: (e) => void fastSeen.push(messages([e])[0]!) }),
        pumpQueue(slow, {
          send: async (e) => {
            slowSeen.push(messages([e])[0]!);
            if (slowSeen.length === 1) await released; // a client that stopped reading
          },
        }),
      ];
      await bus.subscribe({ serverId: server }, (e) => void fast.push(e));
      await bus.subscribe({ serverId: server }, (e) => void slow.push(e));
      for (let i = 0; i < count; i++) await bus.publish(consoleEvent(tenant, server, String(i)));
      const all = Array.from({ length: count }, (_, i) => String(i));
      await waitUntil(() => fastSeen.length === count, 'the fast consumer');
      await waitUntil(() => slow.dropped === count - 1 - slow.capacity, 'the slow queue to overflow');
      expect(fastSeen).toEqual(all);
      expect(slowSeen).toEqual(['0']);
      release();
      await waitUntil(() => slowSeen.length === 1 + slow.capacity, 'the slow consumer to drain');
      expect(slowSeen).toEqual(['0', ...all.slice(-slow.capacity)]);
      fast.close();
      slow.close();
      await Promise.all(pumps);
    });

    it('delivers an event published by a handler after the one being handled, to everyone', async () => {
      const bus = await newBus();
      const [tenant, server] = [randomUUID(), randomUUID()];
      const first = await collect(bus, { serverId: server });
      await bus.subscribe({ serverId: server, types: ['status'] }, (event) => {
        void bus.publish(consoleEvent(event.tenantId, event.serverId, 'reaction'));
      });
      const last = await collect(bus, { serverId: server });
      await bus.publish(statusEvent(tenant, server));
      await first.waitFor(2);
      await last.waitFor(2);
      expect(types(first.events)).toEqual(['status', 'console']);
      expect(types(last.events)).toEqual(['status', 'console']);
    });

    it('refuses ids that cannot be routed and unknown types, with VALIDATION_FAILED', async () => {
      const bus = await newBus();
      const server = randomUUID();
      for (const bad of ['', 'a.b', '*', '>', 'a b', 'tenant\n']) {
        await expect(bus.publish(consoleEvent(bad, server, 'x'))).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
        await expect(bus.subscribe({ tenantId: bad }, () => undefined)).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
        await expect(bus.subscribe({ serverId: bad }, () => undefined)).rejects.toMatchObject({
          code: 'VALIDATION_FAILED',
        });
      }
      const unknownType = {
        ...consoleEvent(randomUUID(), server, 'x'),
        type: 'players',
      } as unknown as PlatformEvent;
      await expect(bus.publish(unknownType)).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
      await expect(
        bus.subscribe({ types: ['players' as PlatformEventType] }, () => undefined),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    });

    it('after close: no more deliveries, publish and subscribe throw SHUTTING_DOWN, close is idempotent', async () => {
      const bus = await newBus();
      const [tenant, server] = [randomUUID(), randomUUID()];
      const subscriber = await collect(bus, { serverId: server });
      await bus.publish(consoleEvent(tenant, server, 'before close'));
      await subscriber.waitFor(1);
      await bus.close();
      await bus.close();
      await expect(bus.publish(consoleEvent(tenant, server, 'x'))).rejects.toMatchObject({
        code: 'SHUTTING_DOWN',
      });
      await expect(bus.subscribe({}, () => undefined)).rejects.toMatchObject({ code: 'SHUTTING_DOWN' });
      await subscriber.subscription.unsubscribe(); // harmless after close
      expect(messages(subscriber.events)).toEqual(['before close']);
    });

    if (factory.replicas) {
      describe('two replicas on one transport', () => {
        it('an event published on one replica reaches subscribers on the other, in order', async () => {
          const [replica1, replica2] = [await newBus(), await newBus()];
          const [tenant, server] = [randomUUID(), randomUUID()];
          const on1 = await collect(replica1, { tenantId: tenant, serverId: server });
          const on2 = await collect(replica2, { tenantId: tenant, serverId: server });
          const status2 = await collect(replica2, { serverId: server, types: ['status'] });
          for (let i = 0; i < 50; i++) await replica1.publish(consoleEvent(tenant, server, String(i)));
          await replica1.publish(statusEvent(tenant, server));
          const expected = [...Array.from({ length: 50 }, (_, i) => String(i)), 'status'];
          await on1.waitFor(51);
          await on2.waitFor(51);
          expect(messages(on1.events)).toEqual(expected);
          expect(messages(on2.events)).toEqual(expected);
          await status2.settle(1);
          expect(types(status2.events)).toEqual(['status']);
          // And back the other way.
          await replica2.publish(consoleEvent(tenant, server, 'from 2'));
          await on1.waitFor(52);
          expect(messages(on1.events).at(-1)).toBe('from 2');
        });

        it('closing one replica leaves the other working', async () => {
          const [replica1, replica2] = [await newBus(), await newBus()];
          const [tenant, server] = [randomUUID(), randomUUID()];
          const on1 = await collect(replica1, { serverId: server });
          const on2 = await collect(replica2, { serverId: server });
          await replica1.publish(consoleEvent(tenant, server, 'one'));
          await on1.waitFor(1);
          await replica1.close();
          await replica2.publish(consoleEvent(tenant, server, 'two'));
          await on2.waitFor(2);
          await on1.settle(1);
          expect(messages(on1.events)).toEqual(['one']);
          expect(messages(on2.events)).toEqual(['one', 'two']);
        });
      });
    }
  });
}
