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

  set(key: string, actor: Actor, notAfter?: number): void {
    if (this.ttlMs <= 0) return;
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
    for (const [key, entry] of this.entries) {
      if (entry.actor.tenantId === tenantId && entry.actor.userId === userId) this.entries.delete(key);
    }
  }

  /** Forgets an API key (revoked). */
  forgetApiKey(apiKeyId: string): void {
    for (const [key, entry] of this.entries) {
      if (entry.actor.apiKeyId === apiKeyId) this.entries.delete(key);
    }
  }
}
