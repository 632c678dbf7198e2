import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { createTestDatabase, testBackends, type TestDatabase } from '@minefleet/testkit/databases';
import { AuthCache } from './auth-cache.js';
import { SessionStore } from './sessions.js';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return error instanceof DomainError ? error.code : `not a DomainError: ${String(error)}`;
  }
  return undefined;
}

describe.each(testBackends())('session records on %s', (backend) => {
  let t: TestDatabase;
  let now = Date.parse('2030-01-01T00:00:00Z');
  const clock = { now: () => now };
  let store: SessionStore;
  let userId: string;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    store = new SessionStore(t.database, clock, new AuthCache(clock), {
      idleMs: 3_600_000,
      maxMs: 86_400_000,
    });
    const [user] = await t.database.system((tx) =>
      tx
        .insert(users)
        .values({ email: `sessions-${Date.now()}@example.com`, passwordHash: 'x', displayName: 'S' })
        .returning(),
    );
    userId = user!.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('ends a session left idle longer than the idle timeout', async () => {
    const row = await store.open(userId, { ip: '203.0.113.1', userAgent: 'a'.repeat(500) });
    expect(row.device).toHaveLength(200);
    now += 59 * 60_000;
    expect((await store.live(userId, row.id)).id).toBe(row.id);
    now += 2 * 60_000;
    expect(await codeOf(store.live(userId, row.id))).toBe('UNAUTHENTICATED');
    expect((await store.list(userId)).map((s) => s.id)).not.toContain(row.id);
  });

  it('ends a session at its absolute end however often it is used', async () => {
    const row = await store.open(userId, {});
    for (let hour = 0; hour < 23; hour++) {
      now += 3_600_000 - 1000;
      // touch() writes off the request path; wait for its write before the next step.
      await store.touch(row.id);
      expect((await store.live(userId, row.id)).id).toBe(row.id);
    }
    now += 2 * 3_600_000;
    expect(await codeOf(store.live(userId, row.id))).toBe('UNAUTHENTICATED');
  });

  it("revokes one session, and never another user's", async () => {
    const row = await store.open(userId, {});
    expect(await codeOf(store.revoke('00000000-0000-4000-8000-000000000000', row.id))).toBe(
      'SESSION_NOT_FOUND',
    );
    await store.revoke(userId, row.id);
    expect(await codeOf(store.live(userId, row.id))).toBe('UNAUTHENTICATED');
  });
});
