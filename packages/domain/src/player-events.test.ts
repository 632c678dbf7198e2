import { describe, expect, it } from 'vitest';
import { playerEventOf } from './player-events.js';

describe('playerEventOf', () => {
  const out = (message: string) => ({ source: 'stdout', message });

  it.each([
    ['bot1 (::ffff:127.0.0.1) connected', { kind: 'join', name: 'bot1' }],
    ['bot_2 (127.0.0.1) connected', { kind: 'join', name: 'bot_2' }],
    ['bot1 disconnected', { kind: 'leave', name: 'bot1' }],
    ['Steve joined the game', { kind: 'join', name: 'Steve' }],
    ['Steve left the game', { kind: 'leave', name: 'Steve' }],
  ])('reads %j', (message, expected) => {
    expect(playerEventOf(out(message))).toEqual(expected);
  });

  it.each([
    '<alice> bob left the game',
    '[Server] bob joined the game',
    'alice: bob disconnected',
    'bob disconnected as server is still starting',
    '[127.0.0.1] bob (uuid) disconnected as server is still starting',
    'a_name_that_is_far_too_long joined the game',
    'Position written, spawning player...',
    'bob left the game and more',
  ])('ignores %j', (message) => {
    expect(playerEventOf(out(message))).toBeNull();
  });

  it('ignores anything but the game’s own output (a typed command, a platform note)', () => {
    expect(playerEventOf({ source: 'command', message: 'bob joined the game' })).toBeNull();
    expect(playerEventOf({ source: 'platform', message: 'bob disconnected' })).toBeNull();
  });
});
