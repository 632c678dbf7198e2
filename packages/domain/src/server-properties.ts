import { DomainError } from './errors.js';
import type { PropertyValue } from './ports/runtime-driver.js';

/**
 * The typed catalogue of `server.properties` keys a user may set. Keys the platform owns (ports,
 * addresses, RCON/Query, `max-players`, which is the server's `max_players` field) are not here, so a
 * user can never set them. Each entry says how a change takes effect: `live` entries carry the console
 * command that applies them to a running server; everything else applies on the next restart.
 */
export type PropertySpec =
  | { type: 'boolean'; default: boolean; description: string; live?: (value: boolean) => string }
  | {
      type: 'integer';
      default: number;
      min: number;
      max: number;
      description: string;
      live?: (value: number) => string;
    }
  | {
      type: 'string';
      default: string;
      maxLength: number;
      /** Regular expression the whole value must match. */
      pattern?: string;
      description: string;
      live?: (value: string) => string;
    }
  | {
      type: 'enum';
      default: string;
      values: readonly string[];
      description: string;
      live?: (value: string) => string;
    };

export const SERVER_PROPERTIES = {
  motd: {
    type: 'string',
    default: 'A Minefleet server',
    maxLength: 256,
    description: 'Message shown in the server list.',
  },
  difficulty: {
    type: 'enum',
    default: 'easy',
    values: ['peaceful', 'easy', 'normal', 'hard'],
    description: 'Game difficulty.',
    live: (v: string) => `difficulty ${v}`,
  },
  gamemode: {
    type: 'enum',
    default: 'survival',
    values: ['survival', 'creative', 'adventure', 'spectator'],
    description: 'Game mode of new players.',
  },
  'force-gamemode': {
    type: 'boolean',
    default: false,
    description: 'Put players in the default game mode on every join.',
  },
  hardcore: { type: 'boolean', default: false, description: 'Players are banned on death.' },
  pvp: { type: 'boolean', default: true, description: 'Players can hurt each other.' },
  'white-list': {
    type: 'boolean',
    default: false,
    description: 'Only players on the whitelist can join.',
    live: (v: boolean) => `whitelist ${v ? 'on' : 'off'}`,
  },
  'enforce-whitelist': {
    type: 'boolean',
    default: false,
    description: 'Kick players not on the whitelist when it is reloaded.',
  },
  'online-mode': {
    type: 'boolean',
    default: true,
    description:
      'Check players against Mojang accounts (the built-in flying-squid distribution always runs offline).',
  },
  'view-distance': {
    type: 'integer',
    default: 10,
    min: 2,
    max: 32,
    description: 'Chunks sent to players, in each direction.',
  },
  'simulation-distance': {
    type: 'integer',
    default: 10,
    min: 2,
    max: 32,
    description: 'Chunks ticked around players.',
  },
  'spawn-protection': {
    type: 'integer',
    default: 16,
    min: 0,
    max: 1000,
    description: 'Radius around spawn only operators can build in.',
  },
  'level-seed': {
    type: 'string',
    default: '',
    maxLength: 64,
    description: 'Seed of the world generator (empty: random).',
  },
  'level-name': {
    type: 'string',
    default: 'world',
    maxLength: 64,
    pattern: '^[A-Za-z0-9_-]+$',
    description: 'Folder name of the world.',
  },
  'level-type': {
    type: 'enum',
    default: 'minecraft:normal',
    values: ['minecraft:normal', 'minecraft:flat', 'minecraft:large_biomes', 'minecraft:amplified'],
    description: 'World generator.',
  },
  'generate-structures': {
    type: 'boolean',
    default: true,
    description: 'Generate villages, temples and the like.',
  },
  'allow-nether': { type: 'boolean', default: true, description: 'Players can travel to the Nether.' },
  'allow-flight': {
    type: 'boolean',
    default: false,
    description: 'Do not kick players who fly in survival.',
  },
  'spawn-monsters': { type: 'boolean', default: true, description: 'Hostile mobs spawn.' },
  'spawn-animals': { type: 'boolean', default: true, description: 'Animals spawn.' },
  'spawn-npcs': { type: 'boolean', default: true, description: 'Villagers spawn.' },
  'max-world-size': {
    type: 'integer',
    default: 29999984,
    min: 1,
    max: 29999984,
    description: 'World border radius in blocks.',
  },
  'enable-command-block': { type: 'boolean', default: false, description: 'Command blocks work.' },
  'player-idle-timeout': {
    type: 'integer',
    default: 0,
    min: 0,
    max: 1440,
    description: 'Minutes before idle players are kicked (0: never).',
  },
  'op-permission-level': {
    type: 'integer',
    default: 4,
    min: 1,
    max: 4,
    description: 'Permission level of operators.',
  },
  'hide-online-players': {
    type: 'boolean',
    default: false,
    description: 'Leave the player list out of the server-list answer.',
  },
  'enable-status': {
    type: 'boolean',
    default: true,
    description: 'Answer server-list pings (Minefleet needs this to see the server ready).',
  },
  'resource-pack': {
    type: 'string',
    default: '',
    maxLength: 1024,
    pattern: '^(https?://\\S*)?$',
    description: 'URL of a resource pack.',
  },
  'require-resource-pack': {
    type: 'boolean',
    default: false,
    description: 'Kick players who decline the resource pack.',
  },
  'entity-broadcast-range-percentage': {
    type: 'integer',
    default: 100,
    min: 10,
    max: 1000,
    description: 'How far away entities are sent to players.',
  },
} as const satisfies Record<string, PropertySpec>;

export type PropertyKey = keyof typeof SERVER_PROPERTIES;
export type ServerProperties = Record<string, PropertyValue>;

export function isPropertyKey(key: string): key is PropertyKey {
  return Object.hasOwn(SERVER_PROPERTIES, key);
}

export function propertySpec(key: string): PropertySpec | undefined {
  return isPropertyKey(key) ? SERVER_PROPERTIES[key] : undefined;
}

/** Coerces and checks one value; strings like "true" and "20" are accepted for booleans and integers. */
export function validateProperty(key: string, value: unknown): PropertyValue {
  const spec = propertySpec(key);
  const fail = (reason: string): never => {
    throw new DomainError('INVALID_PROPERTY', `Property "${key}": ${reason}`, { property: key, reason });
  };
  if (!spec)
    return fail(key === 'max-players' ? 'set max_players instead.' : 'unknown or managed by the platform.');
  switch (spec.type) {
    case 'boolean': {
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      return fail('must be true or false.');
    }
    case 'integer': {
      const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return fail('must be a whole number.');
      if (n < spec.min || n > spec.max) return fail(`must be from ${spec.min} to ${spec.max}.`);
      return n;
    }
    case 'enum': {
      if (typeof value !== 'string' || !spec.values.includes(value))
        return fail(`must be one of ${spec.values.join(', ')}.`);
      return value;
    }
    case 'string': {
      if (typeof value !== 'string') return fail('must be a string.');
      if (value.length > spec.maxLength) return fail(`must be at most ${spec.maxLength} characters.`);
      // Control characters have no place in a property; newlines would be escaped but are refused outright.
      // eslint-disable-next-line no-control-regex
      if (/[\u0000-\u001f\u007f]/.test(value))
        return fail('must not contain control characters (such as newlines).');
      if (spec.pattern && !new RegExp(spec.pattern).test(value))
        return fail('has characters that are not allowed.');
      return value;
    }
  }
}

/** The short reason a property was refused (the `reason` detail, else the message). */
export function reasonOf(error: DomainError): string {
  const reason = error.details?.reason;
  return typeof reason === 'string' ? reason : error.message;
}

/** Validates a whole set of properties; reports every problem at once in `details.problems`. */
export function validateProperties(input: Record<string, unknown>): ServerProperties {
  const out: ServerProperties = {};
  const problems: { property: string; reason: string }[] = [];
  for (const [key, value] of Object.entries(input)) {
    try {
      out[key] = validateProperty(key, value);
    } catch (error) {
      if (error instanceof DomainError) problems.push({ property: key, reason: reasonOf(error) });
      else throw error;
    }
  }
  if (problems.length > 0) {
    throw new DomainError(
      'INVALID_PROPERTY',
      problems.map((p) => `Property "${p.property}": ${p.reason}`).join(' '),
      { property: problems[0]!.property, problems },
    );
  }
  return out;
}

/** The command that applies a change to a running server, or null if it needs a restart. */
export function liveCommand(key: string, value: PropertyValue): string | null {
  const spec = propertySpec(key) as { live?: (v: PropertyValue) => string } | undefined;
  return spec?.live ? spec.live(value) : null;
}

/** Defaults of every catalogue key, for documentation and the dashboard. */
export function propertyDefaults(): ServerProperties {
  return Object.fromEntries(Object.entries(SERVER_PROPERTIES).map(([k, s]) => [k, s.default]));
}
