/**
 * Checks an API payload against the schema of the fields Minefleet reads. Extra fields are allowed
 * (APIs add fields); a missing or mistyped field we rely on makes the source unavailable rather than
 * letting `undefined` flow into the catalogue.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { sourceUnavailable } from './http-client.js';

export function checkPayload<S extends TSchema>(
  source: string,
  url: URL,
  schema: S,
  payload: unknown,
): Static<S> {
  if (Value.Check(schema, payload)) return payload;
  const problems = [...Value.Errors(schema, payload)]
    .slice(0, 5)
    .map((e) => `${e.path || '/'}: ${e.message}`);
  throw sourceUnavailable(source, url, 'invalid-payload', { problems });
}

const HEX = /^[0-9a-f]+$/i;

/** A lower-case hex digest of the expected length, or undefined when the value is not one. */
export function hexDigest(value: unknown, length: number): string | undefined {
  return typeof value === 'string' && value.length === length && HEX.test(value)
    ? value.toLowerCase()
    : undefined;
}
