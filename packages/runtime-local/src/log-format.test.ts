import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import type { LogLevel } from '@minefleet/domain/ports/runtime-driver';

// The parser runs inside the launcher processes (plain CommonJS); the test loads the same file.
const require = createRequire(import.meta.url);
const { parseLine } = require('../launcher/log-format.cjs') as {
  parseLine(raw: string, fallback: LogLevel, previous: LogLevel | null): { level: LogLevel; message: string };
};

describe('console line parsing', () => {
  it.each([
    [
      'vanilla',
      '[13:39:01] [Server thread/INFO]: Done (3.2s)! For help, type "help"',
      'info',
      'Done (3.2s)! For help, type "help"',
    ],
    ['vanilla warn', "[13:39:01] [Server thread/WARN]: Can't keep up!", 'warn', "Can't keep up!"],
    ['vanilla error, worker thread', '[07:01:02] [Worker-Main-3/ERROR]: Failed', 'error', 'Failed'],
    [
      'fabric',
      '[13:39:01] [Server thread/INFO] (Minecraft) Starting minecraft server',
      'info',
      'Starting minecraft server',
    ],
    ['paper', '[13:39:01 INFO]: Preparing spawn area: 4%', 'info', 'Preparing spawn area: 4%'],
    ['paper warn', '[13:39:01 WARN]: [Essentials] outdated', 'warn', '[Essentials] outdated'],
    ['paper with colours', '\u001b[33m[13:39:01 WARN]: coloured\u001b[m', 'warn', 'coloured'],
    [
      'flying-squid',
      'November 26th 2025, 13:39:01 [\u001b[32mINFO\u001b[39m]: Server listening',
      'info',
      'Server listening',
    ],
    ['flying-squid error', 'November 2nd 2025, 01:02:03 [ERROR]: Client x', 'error', 'Client x'],
    ['bare tag', '[WARN] disk almost full', 'warn', 'disk almost full'],
    ['log4j SEVERE', '[10:00:00] [main/SEVERE]: old style', 'error', 'old style'],
    ['no level', 'Loading libraries, please wait...', 'info', 'Loading libraries, please wait...'],
  ] as const)('%s', (_name, raw, level, message) => {
    expect(parseLine(raw, 'info', null)).toEqual({ level, message });
  });

  it('gives stack-trace lines the level of the line above', () => {
    expect(parseLine('\tat net.minecraft.server.Main.main(Main.java:1)', 'info', 'error').level).toBe(
      'error',
    );
    expect(parseLine('Caused by: java.io.IOException', 'info', 'fatal').level).toBe('fatal');
    expect(parseLine('\tat x', 'info', null).level).toBe('info');
  });

  it('uses the stream fallback for lines without a level', () => {
    expect(parseLine('Exception in thread "main"', 'warn', null)).toEqual({
      level: 'warn',
      message: 'Exception in thread "main"',
    });
  });
});
