/**
 * Client-side checks that mirror the API's, so forms answer as you type. The API stays the judge (it
 * re-checks everything); a test compares these patterns with the OpenAPI document so they cannot drift.
 */
export const SERVER_NAME_PATTERN = '^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$';
const SERVER_NAME_RE = new RegExp(SERVER_NAME_PATTERN);

/** Why a server name is not acceptable, or undefined when it is. */
export function serverNameProblem(name: string, taken: ReadonlySet<string> = new Set()): string | undefined {
  if (name.length === 0) return 'Enter a name.';
  if (name.length < 3) return 'At least 3 characters.';
  if (name.length > 40) return 'At most 40 characters.';
  if (/[A-Z]/.test(name)) return 'Use lowercase letters only.';
  if (/[^a-z0-9-]/.test(name)) return 'Only a–z, 0–9 and "-" are allowed.';
  if (name.startsWith('-') || name.endsWith('-')) return 'Cannot start or end with "-".';
  if (!SERVER_NAME_RE.test(name)) return 'Not a valid name.';
  if (taken.has(name)) return 'You already have a server with this name.';
  return undefined;
}

/** A suggestion from free text: "My Survival World!" → "my-survival-world". */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
}

export const PASSWORD_MIN_LENGTH = 10;

export function passwordProblem(password: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `At least ${PASSWORD_MIN_LENGTH} characters.`;
  if (new Set(password).size < 4) return 'Use at least 4 different characters.';
  return undefined;
}

export function emailProblem(email: string): string | undefined {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) return 'Enter an email address like name@example.com.';
  return undefined;
}

export interface PropertySpec {
  key: string;
  type: string;
  default: string | number | boolean;
  description: string;
  applies: 'live' | 'on_restart';
  min?: number;
  max?: number;
  max_length?: number;
  pattern?: string;
  values?: string[];
}

/** Checks a form value (always a string or boolean from an input) against the catalogue entry. */
export function propertyProblem(spec: PropertySpec, value: string | boolean): string | undefined {
  switch (spec.type) {
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'Must be on or off.';
    case 'integer': {
      const text = String(value).trim();
      if (!/^-?\d+$/.test(text)) return 'Must be a whole number.';
      const n = Number(text);
      if (spec.min !== undefined && n < spec.min) return `At least ${spec.min}.`;
      if (spec.max !== undefined && n > spec.max) return `At most ${spec.max}.`;
      return undefined;
    }
    case 'enum':
      return spec.values?.includes(String(value)) ? undefined : `One of ${spec.values?.join(', ')}.`;
    default: {
      const text = String(value);
      if (spec.max_length !== undefined && text.length > spec.max_length)
        return `At most ${spec.max_length} characters.`;
      if (/[\r\n]/.test(text)) return 'Must be on one line.';
      if (spec.pattern && !new RegExp(spec.pattern).test(text)) return 'Not in the expected format.';
      return undefined;
    }
  }
}

/** The value to send for a form value: numbers as numbers, booleans as booleans. */
export function toPropertyValue(spec: PropertySpec, value: string | boolean): string | number | boolean {
  if (spec.type === 'integer') return Number(String(value).trim());
  if (spec.type === 'boolean') return value === true;
  return String(value);
}
