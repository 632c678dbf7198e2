import { describe, expect, it } from 'vitest';
import {
  assertIp,
  assertPlayerName,
  banActive,
  banReason,
  findPlayer,
  formatListDate,
  parseList,
  parseListDate,
  removePlayer,
  upsertPlayer,
} from './player-lists.js';

describe('player lists (vanilla formats)', () => {
  it('writes and reads vanilla dates, any offset', () => {
    const date = new Date('2026-03-04T05:06:07Z');
    expect(formatListDate(date)).toBe('2026-03-04 05:06:07 +0000');
    expect(parseListDate('2026-03-04 05:06:07 +0000')).toEqual(date);
    expect(parseListDate('2026-03-04 07:06:07 +0200')).toEqual(date);
    expect(parseListDate('2026-03-04 00:36:07 -0430')).toEqual(date);
    expect(parseListDate('forever')).toBeNull();
    expect(parseListDate('not a date')).toBeNull();
  });

  it('a ban applies until its end; forever and unreadable ends never end', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(banActive({ expires: 'forever' }, now)).toBe(true);
    expect(banActive({ expires: '2026-01-01 00:00:01 +0000' }, now)).toBe(true);
    expect(banActive({ expires: '2026-01-01 00:00:00 +0000' }, now)).toBe(false);
    expect(banActive({ expires: 'soon' }, now)).toBe(true);
    expect(banActive({}, now)).toBe(true);
  });

  it('matches players by UUID, else by name ignoring case; upsert replaces, remove drops both', () => {
    const list = [
      { uuid: 'u1', name: 'Alex' },
      { uuid: 'u2', name: 'Steve' },
    ];
    expect(findPlayer(list, { uuid: 'U2', name: 'x' })?.name).toBe('Steve');
    expect(findPlayer(list, { uuid: 'zz', name: 'alex' })?.uuid).toBe('u1');
    expect(upsertPlayer(list, { uuid: 'u1', name: 'ALEX' })).toEqual([
      { uuid: 'u1', name: 'ALEX' },
      { uuid: 'u2', name: 'Steve' },
    ]);
    expect(upsertPlayer(list, { uuid: 'u3', name: 'Zoe' })).toHaveLength(3);
    expect(removePlayer(list, { uuid: 'nope', name: 'STEVE' })).toEqual([{ uuid: 'u1', name: 'Alex' }]);
  });

  it('keeps only well-formed entries of a hand-edited file', () => {
    expect(parseList('whitelist', [{ uuid: 'a', name: 'A' }, { name: 'B' }, 'C', null, 5])).toEqual([
      { uuid: 'a', name: 'A' },
    ]);
    expect(parseList('ipBans', [{ ip: '1.2.3.4' }, { name: 'x' }])).toEqual([{ ip: '1.2.3.4' }]);
    expect(parseList('ops', { not: 'a list' })).toEqual([]);
  });

  it('refuses names, reasons and addresses that could break a console command or a file', () => {
    for (const bad of ['', 'a b', 'x'.repeat(17), 'name;stop', 'na\nme', 'é']) {
      expect(() => assertPlayerName(bad)).toThrow(expect.objectContaining({ code: 'INVALID_PLAYER' }));
    }
    expect(assertPlayerName('Bot_1')).toBe('Bot_1');
    expect(banReason(undefined)).toBe('Banned by an operator.');
    expect(banReason('  Griefing  ')).toBe('Griefing');
    for (const bad of ['two\nlines', 'carriage\rreturn', 'x'.repeat(201), 'sep\u2028arator']) {
      expect(() => banReason(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
    expect(assertIp('10.0.0.1')).toBe('10.0.0.1');
    expect(assertIp('2001:DB8::1')).toBe('2001:db8::1');
    for (const bad of ['256.1.1.1', '1.2.3', 'localhost', '1.2.3.4 stop', '']) {
      expect(() => assertIp(bad)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});
