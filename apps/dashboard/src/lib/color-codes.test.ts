import { describe, expect, it } from 'vitest';
import { MC_COLORS, parseColorCodes, stripColorCodes } from './color-codes.js';

describe('console colour codes', () => {
  it('reads Minecraft § codes: colours reset formatting, §r resets all', () => {
    expect(parseColorCodes('§aGreen §lbold§r plain')).toEqual([
      { text: 'Green ', color: MC_COLORS.a },
      { text: 'bold', color: MC_COLORS.a, bold: true },
      { text: ' plain' },
    ]);
    expect(parseColorCodes('§cRed§9Blue')).toEqual([
      { text: 'Red', color: MC_COLORS.c },
      { text: 'Blue', color: MC_COLORS['9'] },
    ]);
  });

  it('reads the & codes servers print in chat, but leaves ordinary ampersands alone', () => {
    expect(parseColorCodes('&eYellow')).toEqual([{ text: 'Yellow', color: MC_COLORS.e }]);
    expect(stripColorCodes('Tom & Jerry, R&D')).toBe('Tom & Jerry, R&D');
  });

  it('reads ANSI SGR colours (16, 256 and true colour) and drops other escapes', () => {
    expect(parseColorCodes('\x1b[31mred\x1b[0m ok')).toEqual([
      { text: 'red', color: '#cd3131' },
      { text: ' ok' },
    ]);
    expect(parseColorCodes('\x1b[1;92mbold bright\x1b[22;39m')).toEqual([
      { text: 'bold bright', color: '#23d18b', bold: true },
    ]);
    expect(parseColorCodes('\x1b[38;5;196mx')[0]!.color).toBe('rgb(255,0,0)');
    expect(parseColorCodes('\x1b[38;2;1;2;3mx')[0]!.color).toBe('rgb(1,2,3)');
    expect(stripColorCodes('\x1b[2K\x1b[1Gline')).toBe('line');
  });

  it('keeps markup as text (segments are rendered as text nodes)', () => {
    expect(stripColorCodes('§c<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
  });
});
