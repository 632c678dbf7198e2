import { DomainError } from './errors.js';

/** Server names: 3–40 characters of lowercase letters, digits and hyphens, not starting or ending with '-'. */
export const SERVER_NAME_PATTERN = '^[a-z0-9](?:[a-z0-9-]{1,38})[a-z0-9]$';
const SERVER_NAME_RE = new RegExp(SERVER_NAME_PATTERN);

export function isValidServerName(name: string): boolean {
  return SERVER_NAME_RE.test(name);
}

export function assertServerName(name: string): void {
  if (!isValidServerName(name)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      'A server name is 3–40 characters of a-z, 0-9 and "-", and does not start or end with "-".',
      { field: 'name' },
    );
  }
}

/**
 * Region names (docs/multi-region.md): 1–32 characters of lowercase letters, digits and hyphens, the
 * way cloud regions are spelled (`eu-west-1`). `local` is the region of an installation that names none.
 */
export const REGION_PATTERN = '^[a-z0-9-]{1,32}$';
export const DEFAULT_REGION = 'local';
const REGION_RE = new RegExp(REGION_PATTERN);

export function isValidRegion(region: string): boolean {
  return REGION_RE.test(region);
}

export function assertRegion(region: string): void {
  if (!isValidRegion(region)) {
    throw new DomainError('VALIDATION_FAILED', 'A region is 1–32 characters of a-z, 0-9 and "-".', {
      field: 'region',
    });
  }
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_RE.test(value);
}
