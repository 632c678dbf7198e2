import { describe, expect, it } from 'vitest';
import { gameEnvironment, inheritedEnvironment } from './distribution-runtime.js';

describe('the environment game processes get', () => {
  const controlPlane = {
    PATH: '/opt/minefleet/bin:/usr/bin',
    LANG: 'de_DE.UTF-8',
    TZ: 'Europe/Berlin',
    DATABASE_URL: 'postgres://minefleet:secret@db/minefleet',
    MINEFLEET_JWT_SECRET: 'x'.repeat(40),
    MINEFLEET_ISOLATION: 'off',
  };

  it('inherits only PATH, locale and time zone of the environment it is given', () => {
    expect(inheritedEnvironment(controlPlane)).toEqual({
      PATH: '/opt/minefleet/bin:/usr/bin',
      LANG: 'de_DE.UTF-8',
      TZ: 'Europe/Berlin',
    });
    // Not the process's own: an environment without PATH gets the default, whatever this process has.
    expect(inheritedEnvironment({})).toEqual({ PATH: '/usr/local/bin:/usr/bin:/bin' });
  });

  it('adds the home folder and the runtime’s own variables, which win', () => {
    expect(gameEnvironment('/srv/game', inheritedEnvironment(controlPlane), { TZ: 'UTC' })).toEqual({
      HOME: '/srv/game',
      PATH: '/opt/minefleet/bin:/usr/bin',
      LANG: 'de_DE.UTF-8',
      TZ: 'UTC',
    });
  });
});
