import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';

/**
 * Counts attempts per key (an address, an account) in a sliding one-minute window and refuses once a
 * key is over its limit. Checked before any password hash is computed, so a flood costs no argon2 work.
 * The answer is the same whether or not the account exists. Counts live in this process: with several
 * replicas behind a balancer each one counts its own share (docs/security.md).
 */
export class AttemptLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one attempt against every key; throws RATE_LIMITED if any is over its limit. */
  consume(keys: { key: string; limit: number }[]): void {
    const now = this.clock.now();
    let retryMs = 0;
    for (const { key, limit } of keys) {
      const recent = this.recent(key, now);
      if (recent.length >= limit) retryMs = Math.max(retryMs, recent[0]! + this.windowMs - now);
    }
    if (retryMs > 0) {
      const seconds = Math.max(1, Math.ceil(retryMs / 1000));
      throw new DomainError('RATE_LIMITED', `Too many sign-in attempts; retry in ${seconds} s.`, {
        retry_after_seconds: seconds,
      });
    }
    for (const { key } of keys) {
      const recent = this.recent(key, now);
      recent.push(now);
      this.hits.delete(key);
      this.hits.set(key, recent);
    }
    while (this.hits.size > this.maxKeys) {
      const oldest = this.hits.keys().next().value;
      if (oldest === undefined) break;
      this.hits.delete(oldest);
    }
  }

  /** Forgets a key's attempts (a successful second step, a password reset). */
  clear(key: string): void {
    this.hits.delete(key);
  }

  private recent(key: string, now: number): number[] {
    return (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
  }
}
