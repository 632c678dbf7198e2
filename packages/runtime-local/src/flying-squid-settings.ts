import type { PropertyValue, ServerSpec } from '@minefleet/domain/ports/runtime-driver';

/**
 * flying-squid's equivalent of server.properties: its createMCServer options, mapped from the same
 * property keys the Java distributions use, so one property catalogue serves every distribution.
 * JSON carries any string safely, so no escaping question arises here.
 *
 * Mapped: motd, max-players, gamemode, difficulty, pvp, view-distance, level-seed, level-type,
 * white-list, enforce-whitelist. Forced: online-mode=false (flying-squid offline only here),
 * everybody-op=false. Other keys have no flying-squid counterpart and are ignored.
 */
export interface FlyingSquidSettings {
  motd: string;
  'max-players': number;
  gameMode: number;
  difficulty: number;
  pvp: boolean;
  'view-distance': number;
  'white-list': boolean;
  'enforce-whitelist': boolean;
  'online-mode': false;
  'everybody-op': false;
  generation: { name: string; options: Record<string, unknown> };
  'player-list-text': { header: { text: string }; footer: { text: string } };
  kickTimeout: number;
  'max-entities': number;
}

const GAME_MODES: Record<string, number> = { survival: 0, creative: 1, adventure: 2, spectator: 3 };
const DIFFICULTIES: Record<string, number> = { peaceful: 0, easy: 1, normal: 2, hard: 3 };
const GENERATORS = ['diamond_square', 'superflat', 'grass_field', 'empty', 'all_the_blocks'];

function enumValue(
  value: PropertyValue | undefined,
  names: Record<string, number>,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Object.values(names).includes(value)) return value;
  const text = String(value).toLowerCase();
  if (text in names) return names[text]!;
  if (/^\d$/.test(text) && Object.values(names).includes(Number(text))) return Number(text);
  return fallback;
}

function bool(value: PropertyValue | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  return String(value).toLowerCase() === 'true';
}

function int(value: PropertyValue | undefined, fallback: number, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number.parseInt(String(value ?? ''), 10);
  return Number.isFinite(n) ? Math.min(max, Math.max(min, Math.trunc(n))) : fallback;
}

/** Java's String.hashCode, which is what vanilla does with a non-numeric level-seed. */
export function javaStringHash(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

/** The world seed flying-squid uses (a positive 31-bit number; 0 would mean "pick one at random"). */
function seedOf(value: PropertyValue | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const text = String(value).trim();
  const n = /^-?\d+$/.test(text) ? Number(BigInt.asIntN(32, BigInt(text))) : javaStringHash(text);
  return Math.abs(n) % 2 ** 31 || 1;
}

function generatorOf(value: PropertyValue | undefined): string {
  const text = String(value ?? '')
    .toLowerCase()
    .replace(/^minecraft:/, '');
  if (text === 'flat') return 'superflat';
  return GENERATORS.includes(text) ? text : 'diamond_square';
}

export function flyingSquidSettings(
  spec: ServerSpec,
  overrides: Record<string, PropertyValue> = {},
): FlyingSquidSettings {
  const p = { ...spec.properties, ...overrides };
  const generator = generatorOf(p['level-type']);
  const options: Record<string, unknown> = generator === 'diamond_square' ? { worldHeight: 80 } : {};
  const seed = seedOf(p['level-seed']);
  if (seed !== undefined) options.seed = seed;
  return {
    motd: typeof p.motd === 'string' ? p.motd : 'A Minecraft Server',
    'max-players': int(overrides['max-players'] ?? spec.maxPlayers, 20, 0, 100_000),
    gameMode: enumValue(p.gamemode, GAME_MODES, 0),
    difficulty: enumValue(p.difficulty, DIFFICULTIES, 1),
    pvp: bool(p.pvp, true),
    'view-distance': int(p['view-distance'], 10, 2, 32),
    'white-list': bool(p['white-list'], false),
    'enforce-whitelist': bool(p['enforce-whitelist'], false),
    'online-mode': false,
    'everybody-op': false,
    generation: { name: generator, options },
    'player-list-text': { header: { text: spec.name }, footer: { text: '' } },
    kickTimeout: 10_000,
    'max-entities': 100,
  };
}
