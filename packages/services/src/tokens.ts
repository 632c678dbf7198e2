import { createHash, randomBytes } from 'node:crypto';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';

export interface SessionClaims {
  /** User id. */
  sub: string;
  /** Tenant the session acts in. */
  tid: string;
  /** The server-side session record: revoking it ends every token of the session (docs/security.md). */
  sid: string;
}

/** What a link token is good for: one purpose (`backup-download`) on one resource (its id). */
export interface LinkScope {
  pur: string;
  res: string;
}

export interface IssuedToken {
  token: string;
  expiresAt: Date;
}

/** Session JWTs (HS256) with an expiry. */
export class SessionTokens {
  private readonly sign: (payload: Record<string, unknown>) => string;
  private readonly verify: (token: string) => Record<string, unknown>;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {
    const signer = createSigner<Record<string, unknown>>({
      key: secret,
      algorithm: 'HS256',
      iss: 'minefleet',
    });
    this.sign = (payload) => signer(payload);
    const verifier = createVerifier({
      key: secret,
      algorithms: ['HS256'],
      allowedIss: 'minefleet',
      cache: 1000,
    });
    this.verify = (token): Record<string, unknown> => verifier(token) as Record<string, unknown>;
  }

  /**
   * A session token, valid for the configured lifetime but never past `notAfter` (ms since the epoch):
   * a token cannot outlive its session, nor a switched-tenant token the one it came from.
   */
  issue(claims: SessionClaims, notAfter?: number): IssuedToken {
    const now = Math.floor(this.clock.now() / 1000);
    let exp = now + this.ttlSeconds;
    if (notAfter !== undefined) exp = Math.min(exp, Math.floor(notAfter / 1000));
    return {
      token: this.sign({ sub: claims.sub, tid: claims.tid, sid: claims.sid, iat: now, exp }),
      expiresAt: new Date(exp * 1000),
    };
  }

  /**
   * A link token: like a session, but good for one purpose on one resource (`pur`, `res`) for a few
   * minutes, so that it can travel in a URL (a browser download cannot send a header). `check()`
   * refuses it as a session.
   */
  issueLink(claims: SessionClaims & LinkScope, ttlSeconds: number, notAfter?: number): IssuedToken {
    const now = Math.floor(this.clock.now() / 1000);
    let exp = now + ttlSeconds;
    if (notAfter !== undefined) exp = Math.min(exp, Math.floor(notAfter / 1000));
    return {
      token: this.sign({
        sub: claims.sub,
        tid: claims.tid,
        sid: claims.sid,
        pur: claims.pur,
        res: claims.res,
        iat: now,
        exp,
      }),
      expiresAt: new Date(exp * 1000),
    };
  }

  /** Verifies a link token for exactly this purpose and resource. */
  checkLink(token: string, scope: LinkScope): SessionClaims & { exp: number } {
    const payload = this.verified(token, 'The link has expired; ask for a new one.');
    if (payload.pur !== scope.pur || payload.res !== scope.res) {
      throw new DomainError('UNAUTHENTICATED', 'The link is not valid for this resource.');
    }
    return this.claimsOf(payload, 'The link has expired; ask for a new one.');
  }

  /** Verifies signature and expiry; throws TOKEN_EXPIRED or UNAUTHENTICATED. */
  check(token: string): SessionClaims & { exp: number } {
    const payload = this.verified(token, 'The session has expired; sign in again.');
    // A link token is not a session, whatever else it carries.
    if (payload.pur !== undefined) throw new DomainError('UNAUTHENTICATED', 'The token is not valid.');
    return this.claimsOf(payload, 'The session has expired; sign in again.');
  }

  private verified(token: string, expired: string): Record<string, unknown> {
    let payload: Record<string, unknown>;
    try {
      payload = this.verify(token);
    } catch (error) {
      if (error instanceof TokenError && error.code === TokenError.codes.expired) {
        throw new DomainError('TOKEN_EXPIRED', expired);
      }
      throw new DomainError('UNAUTHENTICATED', 'The token is not valid.');
    }
    return payload;
  }

  private claimsOf(payload: Record<string, unknown>, expired: string): SessionClaims & { exp: number } {
    const { sub, tid, sid, exp } = payload;
    // A token without a session record (issued before sessions were recorded) is no longer honoured.
    if (
      typeof sub !== 'string' ||
      typeof tid !== 'string' ||
      typeof sid !== 'string' ||
      typeof exp !== 'number'
    ) {
      throw new DomainError('UNAUTHENTICATED', 'The token is not valid; sign in again.');
    }
    if (exp * 1000 <= this.clock.now()) throw new DomainError('TOKEN_EXPIRED', expired);
    return { sub, tid, sid, exp };
  }
}

export const API_KEY_PREFIX = 'mf_';

/** A new API key: `mf_` + 43 characters of base64url (256 bits). Only its SHA-256 is stored. */
export function generateApiKey(): { key: string; prefix: string; hash: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, prefix: key.slice(0, API_KEY_PREFIX.length + 8), hash: hashApiKey(key) };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}
