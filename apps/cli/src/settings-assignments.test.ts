import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { parseAssignments, parseValue, splitAssignment } from './settings-assignments.js';

describe('parseValue', () => {
  it.each([
    ['true', undefined, true],
    ['false', undefined, false],
    ['12', undefined, 12],
    ['-3', undefined, -3],
    ['1.5', undefined, 1.5],
    ['hello', undefined, 'hello'],
    ['', undefined, ''],
    ['1e400', undefined, '1e400'],
    ['123', 'string', '123'],
    ['true', 'enum', 'true'],
    ['TRUE', 'boolean', true],
    ['yes', 'boolean', 'yes'],
    ['20', 'integer', 20],
    ['twenty', 'integer', 'twenty'],
    ['2.5', 'integer', '2.5'],
  ] as const)('%j as %s → %j', (raw, type, expected) => {
    expect(parseValue(raw, type)).toBe(expected);
  });
});

describe('parseAssignments', () => {
  const catalogue = [
    { key: 'motd', type: 'string' },
    { key: 'pvp', type: 'boolean' },
    { key: 'view-distance', type: 'integer' },
  ];

  it('separates the name and player limit from server.properties, typed by the catalogue', () => {
    expect(
      parseAssignments(
        ['name=lobby', 'max_players=30', 'motd=42', 'pvp=false', 'view-distance=12'],
        catalogue,
      ),
    ).toEqual({
      name: 'lobby',
      max_players: 30,
      server_properties: { motd: '42', pvp: false, 'view-distance': 12 },
    });
  });

  it('keeps everything after the first "=" and lets the last assignment of a key win', () => {
    expect(parseAssignments(['motd=a=b', 'motd=c=d'], catalogue)).toEqual({
      server_properties: { motd: 'c=d' },
    });
  });

  it('accepts max-players as the same field', () => {
    expect(parseAssignments(['max-players=8'])).toEqual({ max_players: 8 });
  });

  it('types unknown keys by their look and leaves validation to the API', () => {
    expect(parseAssignments(['custom=true', 'other=7'])).toEqual({
      server_properties: { custom: true, other: 7 },
    });
  });

  it.each(['motd', '=x', ' =x', 'max_players=many', 'max_players=1.5'])(
    'refuses %j as a usage error',
    (text) => {
      expect(() => parseAssignments([text], catalogue)).toThrow(UsageError);
    },
  );

  it('splits at the first "=" only', () => {
    expect(splitAssignment('a==b')).toEqual(['a', '=b']);
  });
});
