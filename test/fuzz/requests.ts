import type { Prng } from './prng.js';
import { mutant, NASTY_STRINGS, valueFor, type Kind, type Schema } from './schema-values.js';

interface Parameter {
  name: string;
  /** path, query or header. */
  in: string;
  required?: boolean;
  schema?: Schema;
}

/** One operation of the OpenAPI document. */
export interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body: Schema | undefined;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: Schema }> } }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

export function operationsOf(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      out.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return out;
}

/** Identifiers a request may name in its path: the two tenants' own, and strangers. */
export interface IdPools {
  /** Path parameter name → ids of the acting tenant's resources (empty: none to name). */
  own: Record<string, string[]>;
  /** Path parameter name → ids of the other tenant's resources. */
  other: Record<string, string[]>;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
  /** What the case is, for the report. */
  kind: Kind;
  /** Every string the request carries (an id it names may come back without being a leak). */
  mentions: string;
}

function pathValue(
  p: Parameter,
  r: Prng,
  kind: Kind,
  pools: IdPools,
  components: Record<string, Schema>,
): string {
  const own = pools.own[p.name] ?? [];
  const other = pools.other[p.name] ?? [];
  const roll = r.next();
  if (kind !== 'mutated' && own.length > 0 && roll < 0.55) return r.pick(own);
  if (other.length > 0 && roll < 0.75) return r.pick(other);
  if (kind === 'mutated') {
    const m = mutant(r);
    return typeof m === 'string' ? m : JSON.stringify(m);
  }
  const v = valueFor(p.schema ?? {}, r, kind, components, p.name);
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function queryValue(
  p: Parameter,
  r: Prng,
  kind: Kind,
  pools: IdPools,
  components: Record<string, Schema>,
): string {
  const ids = [...(pools.own[p.name] ?? []), ...(pools.other[p.name] ?? [])];
  if (ids.length > 0 && r.chance(0.5)) return r.pick(ids);
  const v = valueFor(p.schema ?? {}, r, kind, components, p.name);
  if (Array.isArray(v)) return v.map(String).join(',');
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** A request for `op`: valid per its schema, at its limits, or mutated (values, encoding, content type). */
export function buildRequest(
  op: Operation,
  r: Prng,
  kind: Kind,
  pools: IdPools,
  components: Record<string, Schema>,
  adjustBody: (op: Operation, body: unknown) => unknown,
): FuzzRequest {
  let path = op.path;
  const query: string[] = [];
  const headers: Record<string, string> = {};
  for (const p of op.parameters) {
    if (p.in === 'path') {
      path = path.replace(`{${p.name}}`, enc(pathValue(p, r, kind, pools, components)));
    } else if (p.in === 'query' && (p.required || r.chance(0.4))) {
      query.push(`${enc(p.name)}=${enc(queryValue(p, r, kind, pools, components))}`);
    } else if (p.in === 'header' && r.chance(0.3)) {
      // A header value cannot carry control characters at all: inject would throw before the server sees it.
      headers[p.name] = String(
        valueFor(p.schema ?? {}, r, kind === 'mutated' ? 'boundary' : kind, components),
      ).replace(/[^\x20-\x7e]/g, '');
    }
  }
  if (kind === 'mutated' && r.chance(0.1))
    query.push(`${r.pick(['page', 'per_page', 'q'])}=${enc(r.pick(NASTY_STRINGS))}`);
  // Broken percent-encoding and invalid UTF-8 in the URL itself.
  if (kind === 'mutated' && r.chance(0.05))
    path += r.pick(['%', '%zz', '%c3%28', '%ff%fe', '%00', '/..%2f..%2f']);
  const url = `${path}${query.length > 0 ? `?${query.join('&')}` : ''}`;
  let payload: string | Buffer | undefined;
  if (op.body || (kind === 'mutated' && r.chance(0.1))) {
    const body = adjustBody(op, valueFor(op.body ?? { type: 'object' }, r, kind, components));
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
    if (kind === 'mutated' && r.chance(0.45)) payload = rawMutation(r, payload, headers);
  }
  const mentions = `${decodeSafe(url)} ${typeof payload === 'string' ? payload : (payload?.toString('latin1') ?? '')}`;
  return { method: op.method, url, headers, ...(payload !== undefined ? { payload } : {}), kind, mentions };
}

/** Percent-encodes any string, lone surrogates too (as the UTF-8 of U+FFFD, the way a client sends them). */
function enc(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  }
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `depth` nested arrays or objects, written as text (too deep for JSON.stringify's own stack). */
function deepJson(depth: number, objects: boolean): string {
  return objects
    ? `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`
    : `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/** Broken encodings of a body: duplicate keys, bad JSON, deep nesting, wrong content types, bad UTF-8. */
function rawMutation(r: Prng, json: string, headers: Record<string, string>): string | Buffer {
  switch (r.int(0, 9)) {
    case 0: {
      // Duplicate keys: the second value of a key wins in JSON.parse; nothing may slip past validation.
      if (json.startsWith('{') && json.length > 2)
        return `{"name":"dup",${json.slice(1, -1)},"name":${JSON.stringify(r.pick(NASTY_STRINGS))}}`;
      return '{"a":1,"a":2}';
    }
    case 1:
      return json.slice(0, Math.max(0, Math.floor(json.length / 2)));
    case 2:
      return deepJson(r.pick([500, 5000, 50_000]), r.chance(0.5));
    case 3:
      headers['content-type'] = r.pick([
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/json; charset=latin1',
        '',
      ]);
      return json;
    case 4:
      return Buffer.concat([
        Buffer.from('{"name":"'),
        Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
        Buffer.from('"}'),
      ]);
    case 5:
      return '';
    case 6:
      return r.pick(['null', 'true', '0', '"x"', '[]', '[{}]', 'NaN', '{"a":1e999}']);
    case 7:
      return `\ufeff${json}`;
    case 8:
      return `${json}${' '.repeat(10)}${json}`;
    default:
      return json.replace(/"([^"]+)":/, (_m, k: string) => `"${k}\\u0000":`);
  }
}
