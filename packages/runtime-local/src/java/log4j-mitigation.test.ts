import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOG4J_CONFIG_FILE, log4jFlags, log4jMitigation } from './log4j-mitigation.js';

describe("Mojang's log4j mitigation per Minecraft version", () => {
  it.each([
    ['1.6.4', 'none'],
    ['1.7', 'config'],
    ['1.7.10', 'config'],
    ['1.11.2', 'config'],
    ['1.12', 'config'],
    ['1.16.5', 'config'],
    ['1.17', 'flag'],
    ['1.17.1', 'flag'],
    ['1.18', 'flag'],
    ['1.18.1', 'none'],
    ['1.20.4', 'none'],
    ['1.21.4', 'none'],
  ])('%s → %s', (version, expected) => {
    expect(log4jMitigation(version)).toBe(expected);
  });

  it('1.17–1.18 get the no-lookups flag; 1.7–1.16.5 a configuration without lookups in messages', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'minefleet-log4j-'));
    try {
      expect(await log4jFlags('1.17.1', root)).toEqual(['-Dlog4j2.formatMsgNoLookups=true']);
      const flags = await log4jFlags('1.12.2', root);
      expect(flags).toContain(`-Dlog4j.configurationFile=${LOG4J_CONFIG_FILE}`);
      const xml = await readFile(path.join(root, LOG4J_CONFIG_FILE), 'utf8');
      expect(xml).toContain('%msg{nolookups}');
      expect(xml).not.toMatch(/%msg(?!\{nolookups\})/);
      expect(await log4jFlags('1.21.4', root)).toEqual([]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
