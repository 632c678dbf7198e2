import type { FastifyInstance } from 'fastify';
import { DomainError } from '@minefleet/domain/errors';

/** Deepest nesting walked; deeper bodies are refused rather than recursed into. */
const MAX_DEPTH = 64;

/**
 * Text PostgreSQL cannot store: a NUL character (U+0000), or an unpaired UTF-16 surrogate (JSON's
 * `"\ud800"` decodes to one; it has no UTF-8 form, so the database refuses the whole query).
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function badText(s: string): boolean {
  return s.includes('\u0000') || LONE_SURROGATE.test(s);
}

/**
 * Where a NUL character (U+0000) or an unpaired surrogate hides in a decoded request value: the dotted
 * path of the first string (or object key) holding one, `''` for the value itself, or undefined when
 * there is none. Such a value would fail deep in a query instead of at the door.
 */
export function findNul(value: unknown, at = '', depth = 0): string | undefined {
  if (typeof value === 'string') return badText(value) ? at : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  // Only decoded text (JSON, query strings) is walked: a raw body (a Buffer or a stream, as chunked file
  // uploads get) is bytes, where a NUL is data.
  if (isBytes(value)) return undefined;
  if (depth > MAX_DEPTH) {
    throw new DomainError('VALIDATION_FAILED', `The request nests deeper than ${MAX_DEPTH} levels.`);
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [key, item] of entries) {
    const here = at ? `${at}.${key}` : key;
    if (badText(key)) return here;
    const found = findNul(item, here, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isBytes(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    typeof (value as { pipe?: unknown }).pipe === 'function'
  );
}

/**
 * Refuses, before validation, any request whose body, query or path parameters carry a NUL character
 * or an unpaired surrogate:
 * one check for every route instead of one per text field.
 */
export function registerTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['params', request.params],
      ['query', request.query],
      ['body', request.body],
    ] as const) {
      const at = findNul(value);
      if (at !== undefined) {
        const field = at ? `${part}.${at}` : part;
        throw new DomainError(
          'INVALID_TEXT',
          `${field} contains a NUL character (U+0000) or an unpaired surrogate (invalid Unicode).`,
          { field },
        );
      }
    }
  });
}
