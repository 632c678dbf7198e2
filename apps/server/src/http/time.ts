import { DomainError } from '@minefleet/domain/errors';

const RELATIVE = /^(\d+)(s|m|h|d)$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * A time from a query or body: ISO-8601 (`2026-11-26T10:00:00Z`) or, where `now` is given, a duration
 * back from now (`15m`, `2h`, `7d`). Anything else is INVALID_TIME.
 */
export function parseTimestamp(raw: string, field: string, now?: number): Date {
  const relative = RELATIVE.exec(raw);
  if (relative && now !== undefined) {
    return new Date(now - Number(relative[1]) * UNIT_MS[relative[2] as keyof typeof UNIT_MS]);
  }
  // Require a full date and time with a zone, so "2026" or "yesterday" are not silently accepted.
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(raw)) {
    throw new DomainError('INVALID_TIME', `${field} must be an ISO-8601 time such as 2026-11-26T10:00:00Z.`, {
      field,
    });
  }
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) {
    throw new DomainError('INVALID_TIME', `${field} is not a real date.`, { field });
  }
  return date;
}
