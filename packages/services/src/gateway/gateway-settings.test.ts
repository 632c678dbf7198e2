import { describe, expect, it } from 'vitest';
import { DomainError } from '@minefleet/domain/errors';
import { normalizeCustomHostname } from './gateway-settings.js';
import { slugOf } from './gateway-store.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof DomainError ? error.code : 'not a DomainError';
  }
  return undefined;
}

describe('custom hostnames', () => {
  it('normalises case and trailing dots, keeps wildcards', () => {
    expect(normalizeCustomHostname(' Play.Example.ORG. ', 'play.test')).toBe('play.example.org');
    expect(normalizeCustomHostname('*.Example.org', 'play.test')).toBe('*.example.org');
  });

  it('refuses what is not a DNS name, and names under the platform game domain', () => {
    for (const bad of [
      '',
      'localhost',
      'a..b',
      '-a.example.org',
      'a_b.example.org',
      '*.org',
      '1.2.3.4',
      'a.*.org',
      `${'a'.repeat(64)}.org`,
      'a.example.org\0FML',
    ])
      expect(
        codeOf(() => normalizeCustomHostname(bad, 'play.test')),
        bad,
      ).toBe('INVALID_HOSTNAME');
    expect(codeOf(() => normalizeCustomHostname('x.play.test', 'play.test'))).toBe('INVALID_HOSTNAME');
    expect(codeOf(() => normalizeCustomHostname('*.acme.play.test', 'play.test'))).toBe('INVALID_HOSTNAME');
    expect(codeOf(() => normalizeCustomHostname('play.test', 'play.test'))).toBe('INVALID_HOSTNAME');
    expect(normalizeCustomHostname('notplay.test', 'play.test')).toBe('notplay.test');
  });
});

describe('team slugs', () => {
  it('are DNS labels made from the team name', () => {
    expect(slugOf('Acme Games')).toBe('acme-games');
    expect(slugOf('  Ünïcode & Co. ')).toBe('unicode-co');
    expect(slugOf('!!!')).toBe('team');
    expect(slugOf('x'.repeat(50))).toHaveLength(30);
  });
});
