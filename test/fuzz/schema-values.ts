import type { Prng } from './prng.js';

/** The part of JSON Schema the control plane's OpenAPI document uses. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  maxProperties?: number;
  default?: unknown;
}

export type Kind = 'valid' | 'boundary' | 'mutated';

/** Values that make a request get past validation to the use case (field name → sample). */
const HINTS: Record<string, (r: Prng) => unknown> = {
  sku_id: (r) => r.pick(['starter', 'standard', 'gold']),
  minecraft_version: (r) => r.pick(['1.20.2', '1.21.4', '0.9']),
  distribution: (r) => r.pick(['flying-squid', 'paper']),
  name: (r) => `fz-${r.string(r.int(3, 12))}`,
  email: (r) => `fuzz-${r.string(8)}@example.com`,
  password: (r) => r.pick(['a long test passphrase', r.string(20)]),
  cron: (r) => r.pick(['0 4 * * *', '*/5 * * * *', '61 * * * *', '0 0 31 2 *']),
  timezone: (r) => r.pick(['UTC', 'Europe/Paris', 'Mars/Olympus']),
  path: (r) => r.pick(['/', 'server.properties', 'world', 'plugins/x.jar', '../etc/passwd', 'a/b/c.txt']),
  from: (r) => r.pick(['-1h', '2020-01-01T00:00:00Z', 'yesterday']),
  to: (r) => r.pick(['now', '2030-01-01T00:00:00Z']),
  command: (r) => r.pick(['say hi', 'list', `say ${r.string(10)}`]),
  role: (r) => r.pick(['viewer', 'operator', 'admin', 'owner']),
  permissions: (r) => [r.pick(['server.read', 'server.create', 'backup.create', 'nope'])],
  compression: (r) => r.pick(['gzip', 'zstd', 'none']),
  player: (r) => r.pick(['Notch', 'Steve', 'x']),
  ip: (r) => r.pick(['10.0.0.1', '::1', '999.1.1.1']),
  token: (r) => r.string(32),
};

/** Strings that have broken parsers, loggers and databases before. */
export const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff\ud800',
  '\u202eevil',
  '\u200b\u200c\u200d\ufeff',
  'e\u0301\u0301\u0301',
  '😀'.repeat(50),
  '𝕏'.repeat(3),
  "'; drop table servers; --",
  '%00%2e%2e%2f',
  '../../../../etc/passwd',
  '\\\\server\\share',
  '${jndi:ldap://x/a}',
  '{{7*7}}',
  '<script>alert(1)</script>',
  '\r\nX-Injected: 1',
  'NaN',
  '-0',
  '1e309',
  'null',
  '[]',
  '__proto__',
  'constructor',
];

function resolve(schema: Schema, root: Record<string, Schema>): Schema {
  let s = schema;
  for (let depth = 0; s.$ref && depth < 10; depth++) {
    const name = s.$ref.replace(/^#\/components\/schemas\//, '');
    s = root[name] ?? {};
  }
  return s;
}

function typesOf(s: Schema): string[] {
  if (Array.isArray(s.type)) return s.type;
  if (s.type) return [s.type];
  if (s.properties) return ['object'];
  if (s.enum) return ['enum'];
  return ['string'];
}

/** A value for `schema`: valid, at or just past its limits, or of another shape altogether. */
export function valueFor(
  schema: Schema,
  r: Prng,
  kind: Kind,
  components: Record<string, Schema>,
  field = '',
  depth = 0,
): unknown {
  const s = resolve(schema, components);
  if (kind === 'mutated' && r.chance(0.3)) return mutant(r);
  const variants = s.anyOf ?? s.oneOf;
  if (variants && variants.length > 0) return valueFor(r.pick(variants), r, kind, components, field, depth);
  if (s.allOf && s.allOf.length > 0) return valueFor(s.allOf[0]!, r, kind, components, field, depth);
  if (s.const !== undefined) return s.const;
  if (s.enum && s.enum.length > 0) {
    if (kind === 'boundary' && r.chance(0.3)) return `${String(r.pick(s.enum))}x`;
    return r.pick(s.enum);
  }
  const types = typesOf(s);
  const type = r.pick(
    types.includes('null') && types.length > 1 && r.chance(0.8) ? types.filter((t) => t !== 'null') : types,
  );
  const hint = HINTS[field];
  if (hint && kind === 'valid' && type !== 'object' && r.chance(0.8)) return hint(r);
  switch (type) {
    case 'null':
      return null;
    case 'boolean':
      return r.chance(0.5);
    case 'integer':
    case 'number': {
      const min = s.minimum ?? s.exclusiveMinimum ?? (kind === 'valid' ? 0 : -(2 ** 31));
      const max = s.maximum ?? s.exclusiveMaximum ?? (kind === 'valid' ? 1000 : 2 ** 53);
      if (kind === 'boundary') {
        const edge = r.pick([min, max, min - 1, max + 1, 0, -1, 2 ** 31, 2 ** 53 + 2]);
        return type === 'number' && r.chance(0.2) ? edge + 0.5 : edge;
      }
      const n = min + r.next() * Math.min(max - min, 1e6);
      return type === 'integer' ? Math.floor(n) : n;
    }
    case 'array': {
      const lo = s.minItems ?? 0;
      const hi = Math.min(s.maxItems ?? lo + 3, lo + 5);
      const n = kind === 'boundary' ? r.pick([lo, hi, hi + 1, Math.max(0, lo - 1)]) : r.int(lo, hi);
      const items = s.items ?? {};
      return Array.from({ length: Math.min(n, 2000) }, () =>
        depth > 6 ? null : valueFor(items, r, kind, components, field, depth + 1),
      );
    }
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = s.properties ?? {};
      const required = new Set(s.required ?? []);
      for (const [name, prop] of Object.entries(props)) {
        const include = required.has(name) ? !(kind !== 'valid' && r.chance(0.1)) : r.chance(0.5);
        if (include && depth < 8) out[name] = valueFor(prop, r, kind, components, name, depth + 1);
      }
      if (Object.keys(props).length === 0 && s.additionalProperties !== false && r.chance(0.5)) {
        const n =
          kind === 'boundary' ? r.pick([0, s.maxProperties ?? 3, (s.maxProperties ?? 3) + 1]) : r.int(0, 3);
        for (let i = 0; i < n; i++)
          out[`k${i}-${r.string(4)}`] = r.pick([r.string(5), r.int(0, 99), true, null]);
      }
      if (kind !== 'valid' && r.chance(0.15)) out[`unknown_${r.string(4)}`] = r.string(3);
      return out;
    }
    default: {
      if (s.format === 'uuid')
        return kind === 'boundary'
          ? r.pick([r.uuid(), r.uuid().toUpperCase(), '00000000-0000-0000-0000-000000000000'])
          : r.uuid();
      if (s.format === 'date-time')
        return r.pick(['2024-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '1970-01-01T00:00:00.000Z']);
      if (s.format === 'email') return `fuzz-${r.string(6)}@example.com`;
      const lo = s.minLength ?? 0;
      const hi = s.maxLength ?? lo + 24;
      if (kind === 'boundary') {
        const n = r.pick([lo, hi, hi + 1, Math.max(0, lo - 1)]);
        return r.string(Math.min(n, 200_000), r.chance(0.2) ? 'é😀\u00e9' : undefined);
      }
      return r.string(r.int(lo, Math.min(hi, lo + 24)));
    }
  }
}

/** A value of the wrong kind: other types, empty and huge values, Unicode edge cases, NUL bytes. */
export function mutant(r: Prng): unknown {
  switch (r.int(0, 11)) {
    case 0:
      return r.pick(NASTY_STRINGS);
    case 1:
      return r.string(r.pick([1000, 70_000, 300_000]));
    case 2:
      return r.pick([0, -1, 1.5, -(2 ** 63), 2 ** 64, Number.MAX_SAFE_INTEGER + 2]);
    case 3:
      return r.pick([true, false]);
    case 4:
      return null;
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return [r.pick(NASTY_STRINGS), 1, null, {}];
    case 8:
      // Own `__proto__` and `constructor` keys, as a JSON body carries them.
      return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}');
    case 9:
      return deep(r.int(10, 200));
    case 10:
      return `${r.string(3)}\u0000${r.string(3)}`;
    default:
      return { [r.pick(NASTY_STRINGS)]: r.pick(NASTY_STRINGS) };
  }
}

/** `[[[...]]]`, `depth` levels. */
export function deep(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { d: v };
  return v;
}
