import { describe, expect, it } from 'vitest';
import type { DomainError } from './errors.js';
import { assertAccessible, fileProtection, normalizeFilePath } from './file-paths.js';

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as DomainError).code;
  }
  return 'none';
};

describe('normalizeFilePath', () => {
  it('normalises harmless spellings', () => {
    expect(normalizeFilePath('')).toBe('');
    expect(normalizeFilePath('.')).toBe('');
    expect(normalizeFilePath('/')).toBe('');
    expect(normalizeFilePath('plugins//Essentials/./config.yml')).toBe('plugins/Essentials/config.yml');
    expect(normalizeFilePath('world/')).toBe('world');
    expect(normalizeFilePath('..hidden')).toBe('..hidden');
    expect(normalizeFilePath('café/ünïcode.txt')).toBe('café/ünïcode.txt');
  });

  it.each([
    ['..'],
    ['a/../b'],
    ['/etc/passwd'],
    ['~/x'],
    ['C:/x'],
    ['a\\b'],
    ['a\u0000b'],
    ['a\nb'],
    ['x'.repeat(256)],
    ['é'.repeat(128)],
    [`${'a/'.repeat(33)}b`],
  ])('refuses %j with INVALID_PATH', (input) => {
    expect(code(() => normalizeFilePath(input))).toBe('INVALID_PATH');
  });
});

describe('the deny list', () => {
  it('hides the platform folder on every distribution, in any case', () => {
    expect(fileProtection('paper', '.minefleet')).toBe('hidden');
    expect(fileProtection('flying-squid', '.MINEFLEET/spec.json')).toBe('hidden');
    expect(fileProtection('paper', 'minefleet/spec.json')).toBeNull();
  });

  it('makes files the platform writes read-only per distribution', () => {
    expect(fileProtection('flying-squid', 'flying-squid.json')).toBe('read-only');
    expect(fileProtection('paper', 'flying-squid.json')).toBeNull();
    expect(fileProtection('paper', 'eula.txt')).toBe('read-only');
    expect(code(() => assertAccessible('paper', 'eula.txt', false))).toBe('none');
    expect(code(() => assertAccessible('paper', 'eula.txt', true))).toBe('PATH_PROTECTED');
    expect(code(() => assertAccessible('paper', '', true))).toBe('PATH_PROTECTED');
  });
});
