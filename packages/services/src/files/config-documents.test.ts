import { describe, expect, it } from 'vitest';
import type { DomainError } from '@minefleet/domain/errors';
import { configFormatOf, editConfig, readConfig } from './config-documents.js';

const PAPER = `# This is the global configuration file for Paper.
# As you can see, there's a lot to configure.

_version: 29
chunk-loading-basic:
  autoconfig-send-distance: true   # send chunks as far as the client asks
  player-max-chunk-generate-rate: -1.0
messages:
  kick:
    authentication-servers-down: <lang:multiplayer.disconnect.authservers_down>
    flying-player: "<lang:multiplayer.disconnect.flying>"
    connection-throttle: 'Connection throttled! Please wait before reconnecting.'
proxies:
  velocity:
    enabled: false
    online-mode: false
    secret: ''
spam-limiter:
  tab-spam-increment: 1
  tab-spam-limit: 500
worlds: [world, world_nether]
`;

const VELOCITY = `# Config version. Do not change this
config-version = "2.7"

# What port should the proxy be bound to?
bind = "0.0.0.0:25577"

# What should be the MOTD?
motd = "<#09add3>A Velocity Server"
show-max-players = 500
online-mode = true   # keep it on

[servers]
lobby = "127.0.0.1:30066"
try = ["lobby"]

[advanced]
compression-threshold = 256
`;

/** Lines of `b` that differ from `a` (same line count expected). */
function changedLines(a: string, b: string): string[] {
  const left = a.split('\n');
  const right = b.split('\n');
  expect(right).toHaveLength(left.length);
  return right.filter((line, i) => line !== left[i]);
}

describe('format-preserving config edits', () => {
  it('detects the format by extension', () => {
    expect(configFormatOf('config/paper-global.yml')).toBe('yaml');
    expect(configFormatOf('plugins/x/config.YAML')).toBe('yaml');
    expect(configFormatOf('velocity.toml')).toBe('toml');
    expect(configFormatOf('server.properties')).toBeNull();
  });

  it('saves YAML and TOML without changes byte for byte', () => {
    expect(editConfig(PAPER, 'yaml', [])).toBe(PAPER);
    expect(editConfig(PAPER, 'yaml', [{ key: ['spam-limiter', 'tab-spam-limit'], value: 500 }])).toBe(PAPER);
    expect(editConfig(VELOCITY, 'toml', [{ key: ['advanced', 'compression-threshold'], value: 256 }])).toBe(
      VELOCITY,
    );
  });

  it('changes only the line of the one YAML value changed, comments and quoting kept', () => {
    const one = editConfig(PAPER, 'yaml', [
      { key: ['chunk-loading-basic', 'autoconfig-send-distance'], value: false },
    ]);
    expect(changedLines(PAPER, one)).toEqual([
      '  autoconfig-send-distance: false   # send chunks as far as the client asks',
    ]);
    const quoted = editConfig(PAPER, 'yaml', [
      { key: ['messages', 'kick', 'flying-player'], value: 'No "flying" here' },
    ]);
    expect(changedLines(PAPER, quoted)).toEqual(['    flying-player: "No \\"flying\\" here"']);
    const single = editConfig(PAPER, 'yaml', [
      { key: ['proxies', 'velocity', 'secret'], value: "it's secret" },
    ]);
    expect(changedLines(PAPER, single)).toEqual(["    secret: 'it''s secret'"]);
    const inList = editConfig(PAPER, 'yaml', [{ key: ['worlds', 1], value: 'the_end' }]);
    expect(changedLines(PAPER, inList)).toEqual(['worlds: [world, the_end]']);
    expect((readConfig(inList, 'yaml') as { worlds: string[] }).worlds).toEqual(['world', 'the_end']);
  });

  it('quotes a plain YAML string that would read back as something else', () => {
    const tricky = editConfig(PAPER, 'yaml', [
      { key: ['messages', 'kick', 'authentication-servers-down'], value: 'true' },
    ]);
    expect(
      (readConfig(tricky, 'yaml') as { messages: { kick: Record<string, unknown> } }).messages.kick[
        'authentication-servers-down'
      ],
    ).toBe('true');
    const colon = editConfig(PAPER, 'yaml', [
      { key: ['messages', 'kick', 'authentication-servers-down'], value: 'a: b # not a comment' },
    ]);
    expect(
      (readConfig(colon, 'yaml') as { messages: { kick: Record<string, unknown> } }).messages.kick[
        'authentication-servers-down'
      ],
    ).toBe('a: b # not a comment');
    expect(changedLines(PAPER, colon)).toHaveLength(1);
  });

  it('changes only the line of the one TOML value changed, comments kept', () => {
    const one = editConfig(VELOCITY, 'toml', [{ key: ['show-max-players'], value: 100 }]);
    expect(changedLines(VELOCITY, one)).toEqual(['show-max-players = 100']);
    const comment = editConfig(VELOCITY, 'toml', [{ key: ['online-mode'], value: false }]);
    expect(comment).toContain('# keep it on');
    expect((readConfig(comment, 'toml') as { 'online-mode': boolean })['online-mode']).toBe(false);
  });

  it('refuses keys that are not existing single values, and files that do not parse', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as DomainError).code;
      }
      return 'none';
    };
    expect(code(() => editConfig(PAPER, 'yaml', [{ key: ['nope', 'x'], value: 1 }]))).toBe(
      'INVALID_CONFIG_FILE',
    );
    expect(code(() => editConfig(PAPER, 'yaml', [{ key: ['proxies'], value: 1 }]))).toBe(
      'INVALID_CONFIG_FILE',
    );
    expect(code(() => editConfig('a: [1, 2\n', 'yaml', [{ key: ['a'], value: 1 }]))).toBe(
      'INVALID_CONFIG_FILE',
    );
    expect(code(() => editConfig(VELOCITY, 'toml', [{ key: ['servers'], value: 'x' }]))).toBe(
      'INVALID_CONFIG_FILE',
    );
    expect(code(() => readConfig('a = ', 'toml'))).toBe('INVALID_CONFIG_FILE');
  });
});
