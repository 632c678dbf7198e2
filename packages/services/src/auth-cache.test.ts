import { describe, expect, it } from 'vitest';
import type { Actor } from './actor.js';
import { AuthCache } from './auth-cache.js';

const keyActor: Actor = {
  userId: 'u1',
  tenantId: 't1',
  role: 'owner',
  apiKeyId: 'k1',
};
const sessionActor: Actor = { userId: 'u2', tenantId: 't1', role: 'viewer', sessionId: 's1' };

describe('AuthCache', () => {
  it('answers from memory until the time to live ends, and never past the credential', () => {
    let now = 1_000;
    const cache = new AuthCache({ now: () => now }, 5_000);
    cache.set('hash-1', keyActor);
    cache.set('jwt-1', sessionActor, 3_000);
    expect(cache.get('hash-1')).toEqual(keyActor);
    now = 3_000;
    expect(cache.get('jwt-1')).toBeUndefined();
    expect(cache.get('hash-1')).toEqual(keyActor);
    now = 6_000;
    expect(cache.get('hash-1')).toBeUndefined();
  });

  it('forgets a revoked key, a signed-out session and a removed member at once', () => {
    const cache = new AuthCache({ now: () => 0 }, 5_000);
    cache.set('hash-1', keyActor);
    cache.set('jwt-1', sessionActor);
    cache.forgetApiKey('k1');
    expect(cache.get('hash-1')).toBeUndefined();
    expect(cache.get('jwt-1')).toEqual(sessionActor);
    cache.forgetSession('s1');
    expect(cache.get('jwt-1')).toBeUndefined();
    cache.set('jwt-2', sessionActor);
    cache.forgetMember('t1', 'u2');
    expect(cache.get('jwt-2')).toBeUndefined();
  });

  it('does not store a lookup that began before a revocation (it may have read the row before it)', () => {
    const cache = new AuthCache({ now: () => 0 }, 5_000);
    const before = cache.version();
    cache.forgetApiKey('k1'); // the revocation lands while the lookup is in flight
    cache.set('hash-1', keyActor, undefined, before);
    expect(cache.get('hash-1')).toBeUndefined();
    cache.set('hash-1', keyActor, undefined, cache.version());
    expect(cache.get('hash-1')).toEqual(keyActor);
  });

  it('hands out copies: a caller changing its actor does not change the entry', () => {
    const cache = new AuthCache({ now: () => 0 }, 5_000);
    cache.set('hash-1', keyActor);
    const actor = cache.get('hash-1')!;
    actor.requestId = 'r1';
    expect(cache.get('hash-1')!.requestId).toBeUndefined();
  });
});
