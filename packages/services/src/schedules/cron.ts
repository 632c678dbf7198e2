import { CronExpressionParser } from 'cron-parser';
import { DomainError } from '@minefleet/domain/errors';

export const CRON_MAX_LENGTH = 100;

/**
 * Cron expressions of schedules: five fields (minute hour day-of-month month day-of-week), or six with
 * seconds first; names (`MON`, `JAN`), ranges, lists and steps; evaluated in an IANA time zone
 * (`Europe/Paris`), so "03:00 every day" stays 03:00 across daylight-saving changes.
 */
export function assertTimezone(timezone: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Unknown time zone "${timezone}"; use an IANA name such as Europe/Paris.`,
      {
        field: 'timezone',
      },
    );
  }
  return timezone;
}

/**
 * Validates an expression: INVALID_CRON when it does not parse, has the wrong number of fields, or
 * fires more often than `minIntervalMs` (a schedule that backs up every second would fill the store).
 */
export function assertCron(expression: string, timezone: string, minIntervalMs: number): string {
  const trimmed = expression.trim().replace(/\s+/g, ' ');
  const fields = trimmed.split(' ').length;
  if (trimmed.length === 0 || trimmed.length > CRON_MAX_LENGTH || fields < 5 || fields > 6) {
    throw new DomainError('INVALID_CRON', 'A cron expression has 5 fields (or 6, with seconds first).', {
      cron: expression,
    });
  }
  let runs: number[];
  try {
    runs = nextRuns(trimmed, timezone, Date.now(), 6);
  } catch (error) {
    throw new DomainError('INVALID_CRON', `Invalid cron expression: ${(error as Error).message}`, {
      cron: expression,
    });
  }
  if (runs.length === 0) {
    throw new DomainError('INVALID_CRON', 'The cron expression never fires.', { cron: expression });
  }
  for (let i = 1; i < runs.length; i++) {
    if (runs[i]! - runs[i - 1]! < minIntervalMs) {
      throw new DomainError(
        'INVALID_CRON',
        `The schedule fires more often than every ${Math.round(minIntervalMs / 1000)} s.`,
        { cron: expression, reason: 'too-frequent', min_interval_seconds: Math.round(minIntervalMs / 1000) },
      );
    }
  }
  return trimmed;
}

/** The first planned time strictly after `after` (epoch ms), or null if there is none. */
export function nextRun(expression: string, timezone: string, after: number): number | null {
  return nextRuns(expression, timezone, after, 1)[0] ?? null;
}

function nextRuns(expression: string, timezone: string, after: number, count: number): number[] {
  const parsed = CronExpressionParser.parse(expression, { currentDate: new Date(after), tz: timezone });
  const runs: number[] = [];
  for (let i = 0; i < count && parsed.hasNext(); i++) runs.push(parsed.next().getTime());
  return runs;
}
