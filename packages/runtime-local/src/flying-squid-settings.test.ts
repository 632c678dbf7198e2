import { describe, expect, it } from 'vitest';
import type { ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { flyingSquidSettings, javaStringHash } from './flying-squid-settings.js';

const spec = (properties: ServerSpec['properties'], maxPlayers = 10): ServerSpec => ({
  serverId: 's',
  tenantId: 't',
  name: 'Lobby',
  distribution: 'flying-squid',
  minecraftVersion: '1.20.2',
  bindHost: '127.0.0.1',
  port: 25565,
  memoryMb: 512,
  cpuMillicores: 1000,
  maxPlayers,
  properties,
});

describe('flying-squid settings from server.properties keys', () => {
  it('maps the vanilla keys and defaults like vanilla', () => {
    const s = flyingSquidSettings(spec({}));
    expect(s).toMatchObject({
      motd: 'A Minecraft Server',
      'max-players': 10,
      gameMode: 0,
      difficulty: 1,
      pvp: true,
      'view-distance': 10,
      'white-list': false,
      'online-mode': false,
      'everybody-op': false,
      generation: { name: 'diamond_square', options: { worldHeight: 80 } },
    });
  });

  it('maps names and numbers, and forces offline mode', () => {
    const s = flyingSquidSettings(
      spec({
        motd: 'Two\nlines "quoted" \\ {json}',
        gamemode: 'creative',
        difficulty: 3,
        pvp: false,
        'view-distance': 99,
        'white-list': 'true',
        'level-type': 'minecraft:flat',
        'level-seed': '12345',
        'online-mode': true,
      }),
    );
    expect(s.motd).toBe('Two\nlines "quoted" \\ {json}');
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s).toMatchObject({
      gameMode: 1,
      difficulty: 3,
      pvp: false,
      'view-distance': 32,
      'white-list': true,
      'online-mode': false,
    });
    expect(s.generation).toEqual({ name: 'superflat', options: { seed: 12345 } });
  });

  it('turns a text seed into Java String.hashCode, as vanilla does', () => {
    expect(javaStringHash('hello')).toBe(99_162_322); // "hello".hashCode() in Java
    expect(javaStringHash('polygenelubricants')).toBe(-2_147_483_648); // the classic Integer.MIN_VALUE case
    expect(javaStringHash('')).toBe(0);
    expect(javaStringHash('a')).toBe(97);
    expect(flyingSquidSettings(spec({ 'level-seed': 'glacier' })).generation.options.seed).toBe(
      Math.abs(javaStringHash('glacier')),
    );
  });

  it('applies overrides on top, max-players included', () => {
    const s = flyingSquidSettings(spec({ motd: 'saved' }, 10), { motd: 'once', 'max-players': 3 });
    expect(s.motd).toBe('once');
    expect(s['max-players']).toBe(3);
  });

  it('ignores values outside an enum instead of passing them through', () => {
    expect(flyingSquidSettings(spec({ gamemode: 'god', difficulty: 'nightmare' }))).toMatchObject({
      gameMode: 0,
      difficulty: 1,
    });
  });
});
