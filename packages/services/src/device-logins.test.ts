import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceLogins } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { DEVICE_TTL_MS, DeviceLogins, MAX_PENDING_PER_ADDRESS } from './device-logins.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof DomainError ? error.code : `not a DomainError: ${String(error)}`;
  }
  return undefined;
}

type Body = { token: string };

/**
 * Command-line sign-ins kept in the database: two stores over one database stand for two control-plane
 * replicas behind a load balancer (the start, the browser's callback and the polls may reach either).
 */
describe.each(testBackends())('command-line sign-ins waiting in the database on %s', (backend) => {
  let t: TestDatabase;
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = { now: () => now };
  const secret = 'device-logins-test-secret-0123456789abcdef';
  let replicaA: DeviceLogins<Body>;
  let replicaB: DeviceLogins<Body>;
  let address = 0;
  const nextAddress = () => `203.0.113.${++address}`;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    replicaA = new DeviceLogins<Body>(t.database, clock, secret);
    replicaB = new DeviceLogins<Body>(t.database, clock, secret);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is completed on one replica and taken, once, on the other', async () => {
    const begun = await replicaA.create('corp', nextAddress());
    expect(await replicaB.waiting(begun.id, 'corp')).toBe(true);
    expect(await replicaB.waiting(begun.id, 'other')).toBe(false);
    expect(await codeOf(replicaB.take(begun.secret))).toBe('DEVICE_LOGIN_PENDING');

    expect(await replicaB.complete(begun.id, { kind: 'session', body: { token: 'session-token-xyz' } })).toBe(
      true,
    );
    // Completed once: a second callback (a replayed browser answer) does not replace the outcome.
    expect(await replicaA.complete(begun.id, { kind: 'session', body: { token: 'other' } })).toBe(false);
    expect(await replicaA.waiting(begun.id, 'corp')).toBe(false);
    // Sealed at rest: the session token is not in the row.
    const [row] = await t.database.system((tx) => tx.select().from(deviceLogins));
    expect(row?.outcome).toBeTruthy();
    expect(row?.outcome).not.toContain('session-token-xyz');
    expect(row?.secretHash).not.toBe(begun.secret);

    const [first, second] = await Promise.allSettled([
      replicaA.take(begun.secret),
      replicaB.take(begun.secret),
    ]);
    const got = [first, second].filter((r) => r.status === 'fulfilled');
    expect(got).toHaveLength(1);
    expect(got[0]!.value).toEqual({ kind: 'session', body: { token: 'session-token-xyz' } });
    expect(await codeOf(replicaB.take(begun.secret))).toBe('LINK_INVALID');
    // The public id in the browser's URL is not the secret.
    expect(await codeOf(replicaA.take(begun.id))).toBe('LINK_INVALID');
  });

  it('hands an error outcome over the same way', async () => {
    const begun = await replicaB.create('corp', nextAddress());
    await replicaA.complete(begun.id, { kind: 'error', code: 'OIDC_EMAIL_UNVERIFIED', message: 'no' });
    expect(await replicaB.take(begun.secret)).toEqual({
      kind: 'error',
      code: 'OIDC_EMAIL_UNVERIFIED',
      message: 'no',
    });
  });

  it('expires, and is swept as new ones are made', async () => {
    const ip = nextAddress();
    const begun = await replicaA.create('corp', ip);
    now += DEVICE_TTL_MS;
    expect(await replicaB.waiting(begun.id, 'corp')).toBe(false);
    expect(await replicaB.complete(begun.id, { kind: 'session', body: { token: 't' } })).toBe(false);
    expect(await codeOf(replicaB.take(begun.secret))).toBe('LINK_INVALID');
    await replicaB.create('corp', ip);
    const left = await t.database.system((tx) => tx.select().from(deviceLogins));
    expect(left.map((r) => r.id)).not.toContain(begun.id);
  });

  it('bounds the waiting sign-ins per address, on every replica together', async () => {
    const ip = nextAddress();
    for (let i = 0; i < MAX_PENDING_PER_ADDRESS; i++) {
      await (i % 2 ? replicaA : replicaB).create('corp', ip);
    }
    expect(await codeOf(replicaA.create('corp', ip))).toBe('RATE_LIMITED');
    expect(await codeOf(replicaB.create('corp', ip))).toBe('RATE_LIMITED');
    // Another address is not held up; the first gets room again as its sign-ins expire.
    await replicaA.create('corp', nextAddress());
    now += DEVICE_TTL_MS;
    await replicaB.create('corp', ip);
  });

  it('refuses an outcome sealed under another JWT secret', async () => {
    const begun = await replicaA.create('corp', nextAddress());
    await replicaA.complete(begun.id, { kind: 'session', body: { token: 't' } });
    const rotated = new DeviceLogins<Body>(t.database, clock, `${secret}-rotated`);
    expect(await codeOf(rotated.take(begun.secret))).toBe('LINK_INVALID');
  });
});
