import type { Clock } from '@minefleet/domain/clock';
import type { Actor } from './actor.js';

/**
 * Remembers, for a few seconds, who a bearer token belongs to and their role in the tenant, so a busy
 * client does not cost a database round trip per request just to be recognised.
 *
 * Changes made through this control plane (a member removed or demoted, a key revoked) invalidate the
 * entries at once; another replica's change is seen within `ttlMs` (documented in docs/security.md).
 */
export class AuthCache {
  private readonly entries = new Map<string, { actor: Actor; expiresAt: number }>();
  /** Bumped by every `forget…`: a lookup that began before a revocation must not store its answer. */
  private generation = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): Actor | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return { ...entry.actor };
  }

  /** Take this before the database lookup and pass it to `set`. */
  version(): number {
    return this.generation;
  }

  /**
   * Remembers an actor. With `seenVersion` (from `version()` before the lookup), nothing is stored if a
   * revocation happened meanwhile: the lookup may have read the row before the revocation committed.
   */
  set(key: string, actor: Actor, notAfter?: number, seenVersion?: number): void {
    if (this.ttlMs <= 0) return;
    if (seenVersion !== undefined && seenVersion !== this.generation) return;
    if (this.entries.size >= this.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const expiresAt = Math.min(this.clock.now() + this.ttlMs, notAfter ?? Number.POSITIVE_INFINITY);
    this.entries.set(key, { actor: { ...actor }, expiresAt });
  }

  /** Forgets every entry of a user in a tenant (membership changed or removed). */
  forgetMember(tenantId: string, userId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) {
      if (entry.actor.tenantId === tenantId && entry.actor.userId === userId) this.entries.delete(key);
    }
  }

  /** Forgets every token of a session (signed out). */
  forgetSession(sessionId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) {
      if (entry.actor.sessionId === sessionId) this.entries.delete(key);
    }
  }

  /** Forgets every entry of a user in every tenant (email verified, password reset). */
  forgetUser(userId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) {
      if (entry.actor.userId === userId) this.entries.delete(key);
    }
  }

  /** Forgets every entry of a tenant (its security policy changed). */
  forgetTenant(tenantId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) {
      if (entry.actor.tenantId === tenantId) this.entries.delete(key);
    }
  }

  /** Forgets an API key (revoked). */
  forgetApiKey(apiKeyId: string): void {
    this.generation++;
    for (const [key, entry] of this.entries) {
      if (entry.actor.apiKeyId === apiKeyId) this.entries.delete(key);
    }
  }
}
