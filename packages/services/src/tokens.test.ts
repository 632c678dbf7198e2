import { describe, expect, it } from 'vitest';
import { DomainError } from '@minefleet/domain/errors';
import { SessionTokens } from './tokens.js';

const SECRET = 'a test secret of at least thirty-two characters';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? error.code : `not a DomainError: ${String(error)}`;
  }
  return undefined;
}

describe('session and link tokens', () => {
  // fast-jwt checks expiry against the real clock too, so the test's clock starts at the real time.
  let now = Date.now();
  const tokens = new SessionTokens(SECRET, 3600, { now: () => now });
  const who = { sub: 'user-1', tid: 'tenant-1', sid: 'session-1' };
  const scope = { pur: 'backup-download', res: 'backup-1' };

  it('a link token works for its purpose and resource only, and never as a session', () => {
    const link = tokens.issueLink({ ...who, ...scope }, 300);
    expect(link.expiresAt.getTime()).toBe((Math.floor(now / 1000) + 300) * 1000);
    expect(tokens.checkLink(link.token, scope)).toMatchObject(who);
    expect(codeOf(() => tokens.checkLink(link.token, { ...scope, res: 'backup-2' }))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => tokens.checkLink(link.token, { ...scope, pur: 'other' }))).toBe('UNAUTHENTICATED');
    expect(codeOf(() => tokens.check(link.token))).toBe('UNAUTHENTICATED');
  });

  it('a session is not a link, and a token signed with another secret is neither', () => {
    const session = tokens.issue(who);
    expect(tokens.check(session.token)).toMatchObject(who);
    expect(codeOf(() => tokens.checkLink(session.token, scope))).toBe('UNAUTHENTICATED');
    const foreign = new SessionTokens(`${SECRET}-other`, 3600, { now: () => now }).issueLink(
      { ...who, ...scope },
      300,
    );
    expect(codeOf(() => tokens.checkLink(foreign.token, scope))).toBe('UNAUTHENTICATED');
  });

  it('a token never outlives the bound it is issued under', () => {
    const bound = now + 90_000;
    const session = tokens.issue(who, bound);
    expect(session.expiresAt.getTime()).toBe(Math.floor(bound / 1000) * 1000);
    const link = tokens.issueLink({ ...who, ...scope }, 300, bound);
    expect(link.expiresAt.getTime()).toBe(Math.floor(bound / 1000) * 1000);
  });

  it('a link expires after its time', () => {
    const link = tokens.issueLink({ ...who, ...scope }, 300);
    now += 301_000;
    expect(codeOf(() => tokens.checkLink(link.token, scope))).toBe('TOKEN_EXPIRED');
  });
});
