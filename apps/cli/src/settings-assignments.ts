import { UsageError } from './errors.js';

export type PropertyValue = string | number | boolean;

/** What the CLI needs to know of a catalogue entry (GET /server-properties) to type a value. */
export interface PropertyType {
  key: string;
  type: string;
}

/** A settings change as PATCH /servers/{id} takes it. */
export interface SettingsChange {
  name?: string;
  max_players?: number;
  server_properties?: Record<string, PropertyValue>;
}

const INTEGER = /^[-+]?\d+$/;
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Types a value typed on the command line. With the catalogue's type the value is what the property
 * takes (a string property keeps "123" as text); without one, true/false become booleans and numbers
 * numbers. A value that does not fit its type is sent as text, so the API answers INVALID_PROPERTY
 * with its own explanation.
 */
export function parseValue(raw: string, type?: string): PropertyValue {
  switch (type) {
    case 'string':
    case 'enum':
      return raw;
    case 'boolean':
      return /^true$/i.test(raw) ? true : /^false$/i.test(raw) ? false : raw;
    case 'integer':
      return INTEGER.test(raw) ? Number(raw) : raw;
    case 'number':
      return NUMBER.test(raw) ? Number(raw) : raw;
    default:
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      if (NUMBER.test(raw) && Number.isFinite(Number(raw))) return Number(raw);
      return raw;
  }
}

/** Splits "key=value" at its first "=" (values may contain "="). */
export function splitAssignment(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`"${text}" is not key=value`);
  const key = text.slice(0, at).trim();
  if (key === '') throw new UsageError(`"${text}" has no key before "="`);
  return [key, text.slice(at + 1)];
}

/**
 * `name=…`, `max_players=…` (or `max-players=…`) and any server.properties key, as one change. Later
 * assignments of the same key win.
 */
export function parseAssignments(
  assignments: readonly string[],
  catalogue: readonly PropertyType[] = [],
): SettingsChange {
  const types = new Map(catalogue.map((p) => [p.key, p.type]));
  const change: SettingsChange = {};
  for (const assignment of assignments) {
    const [key, raw] = splitAssignment(assignment);
    if (key === 'name') {
      change.name = raw;
    } else if (key === 'max_players' || key === 'max-players') {
      if (!INTEGER.test(raw)) throw new UsageError(`max_players must be a whole number (got "${raw}")`);
      change.max_players = Number(raw);
    } else {
      change.server_properties = { ...change.server_properties, [key]: parseValue(raw, types.get(key)) };
    }
  }
  return change;
}
