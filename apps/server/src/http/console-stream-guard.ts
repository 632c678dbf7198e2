import { DomainError, type ErrorCode } from '@minefleet/domain/errors';
import { hasPermission, type Actor } from '@minefleet/services/actor';
import type { AccountService } from '@minefleet/services/accounts';

export interface ConsoleStreamSettings {
  /** How often an open stream's token is checked again (a removed member is cut off within it). */
  recheckMs: number;
  /** Console streams one user may hold open at once, across tenants. */
  maxPerUser: number;
}

/**
 * Keeps the Server-Sent Events console streams to the rules the WebSocket follows: a stream lives only
 * as long as its caller may read the console (token valid, still a member, still an operator), ends when
 * its token expires, and a user holds a bounded number of them (each pins a subscription and a socket).
 */
export class ConsoleStreamGuard {
  private readonly open = new Map<string, number>();

  constructor(
    private readonly accounts: Pick<AccountService, 'authenticate'>,
    private readonly settings: ConsoleStreamSettings,
    private readonly now: () => number,
  ) {}

  /**
   * Takes one of the user's stream slots (429 STREAM_LIMIT when all are taken) and watches the token.
   * `end` is called once with the reason when the stream must close; `release` frees the slot.
   */
  admit(actor: Actor, token: string, end: (code: ErrorCode, message: string) => void): () => void {
    const count = this.open.get(actor.userId) ?? 0;
    if (count >= this.settings.maxPerUser) {
      throw new DomainError(
        'STREAM_LIMIT',
        `You already have ${count} console streams open (the limit); close one first.`,
        { limit: this.settings.maxPerUser },
      );
    }
    this.open.set(actor.userId, count + 1);
    let ended = false;
    const finish = (code: ErrorCode, message: string) => {
      if (ended) return;
      ended = true;
      end(code, message);
    };
    const timers: NodeJS.Timeout[] = [];
    const recheck = setInterval(() => {
      void this.accounts.authenticate(token).then(
        (current) => {
          if (!hasPermission(current, 'console.read'))
            finish('FORBIDDEN', 'The console needs the console.read permission.');
        },
        (error: unknown) => {
          const code = error instanceof DomainError ? error.code : undefined;
          // A database hiccup is not the caller's fault: the next check decides.
          if (code === 'UNAUTHENTICATED' || code === 'TOKEN_EXPIRED' || code === 'TENANT_NOT_FOUND')
            finish(code, (error as Error).message);
        },
      );
    }, this.settings.recheckMs);
    recheck.unref();
    timers.push(recheck);
    if (actor.expiresAt !== undefined) {
      const left = actor.expiresAt - this.now();
      // setTimeout overflows past ~24.8 days; the recheck catches such expiries instead.
      if (left < 2 ** 31 - 1) {
        const expiry = setTimeout(() => finish('TOKEN_EXPIRED', 'The token expired.'), Math.max(0, left));
        expiry.unref();
        timers.push(expiry);
      }
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const timer of timers) clearTimeout(timer);
      const left = (this.open.get(actor.userId) ?? 1) - 1;
      if (left <= 0) this.open.delete(actor.userId);
      else this.open.set(actor.userId, left);
    };
  }
}
