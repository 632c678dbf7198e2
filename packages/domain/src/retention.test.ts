import { describe, expect, it } from 'vitest';
import { isoWeek, planRetention, type RetentionBackup } from './retention.js';

const NOW = new Date('2026-03-15T12:00:00Z'); // a Sunday
const daysAgo = (days: number, hours = 0): Date =>
  new Date(NOW.getTime() - days * 86_400_000 - hours * 3_600_000);

function backup(id: string, createdAt: Date, extra: Partial<RetentionBackup> = {}): RetentionBackup {
  return { id, createdAt, status: 'completed', type: 'scheduled', locked: false, expiresAt: null, ...extra };
}

const deleted = (plan: ReturnType<typeof planRetention>): string[] => plan.delete.map((d) => d.id);

describe('planRetention', () => {
  it('without a policy deletes only expired and old failed backups', () => {
    const plan = planRetention(
      [
        backup('old', daysAgo(400)),
        backup('expired', daysAgo(10), { expiresAt: daysAgo(1) }),
        backup('failed-old', daysAgo(8), { status: 'failed' }),
        backup('failed-new', daysAgo(1), { status: 'failed' }),
      ],
      null,
      NOW,
    );
    expect(plan.delete).toEqual([
      { id: 'expired', reason: 'expired' },
      { id: 'failed-old', reason: 'failed' },
    ]);
    expect(plan.keep).toEqual([
      { id: 'old', reasons: ['no-policy'] },
      { id: 'failed-new', reasons: ['failed-recent'] },
    ]);
  });

  it('treats a policy of zeros and nulls as no policy (never "delete everything")', () => {
    const backups = [backup('a', daysAgo(3)), backup('b', daysAgo(2))];
    expect(deleted(planRetention(backups, { keepLast: 0, keepDaily: null, keepWeekly: 0 }, NOW))).toEqual([]);
  });

  it('keeps the last N', () => {
    const backups = [1, 2, 3, 4, 5].map((d) => backup(`d${d}`, daysAgo(d)));
    const plan = planRetention(backups, { keepLast: 2, keepDaily: null, keepWeekly: null }, NOW);
    expect(deleted(plan)).toEqual(['d5', 'd4', 'd3']);
    expect(plan.keep).toEqual([
      { id: 'd1', reasons: ['newest', 'keep-last'] },
      { id: 'd2', reasons: ['keep-last'] },
    ]);
  });

  it('keeps the newest backup of each of the last N days that have backups', () => {
    const backups = [
      backup('today-early', daysAgo(0, 10)),
      backup('today-late', daysAgo(0, 1)),
      backup('yesterday', daysAgo(1)),
      // no backup 2 days ago: daily tiers count days with backups, like restic and borg
      backup('three-days', daysAgo(3)),
      backup('four-days', daysAgo(4)),
    ];
    const plan = planRetention(backups, { keepLast: null, keepDaily: 3, keepWeekly: null }, NOW);
    expect(deleted(plan)).toEqual(['four-days', 'today-early']);
  });

  it('keeps the newest backup of each of the last N ISO weeks', () => {
    // NOW is Sunday 2026-03-15 (week 11); Monday the 9th starts it.
    const backups = [
      backup('w11-sun', daysAgo(0)),
      backup('w11-mon', daysAgo(6)),
      backup('w10-sun', daysAgo(7)),
      backup('w10-wed', daysAgo(11)),
      backup('w09', daysAgo(14)),
      backup('w08', daysAgo(21)),
    ];
    const plan = planRetention(backups, { keepLast: 1, keepDaily: null, keepWeekly: 3 }, NOW);
    expect(deleted(plan)).toEqual(['w08', 'w10-wed', 'w11-mon']);
    expect(plan.keep.find((k) => k.id === 'w11-sun')?.reasons).toEqual(['newest', 'keep-last', 'weekly']);
  });

  it('never deletes locked or in-progress backups, even expired ones', () => {
    const plan = planRetention(
      [
        backup('locked-expired', daysAgo(30), { locked: true, expiresAt: daysAgo(20) }),
        backup('locked-failed', daysAgo(30), { locked: true, status: 'failed' }),
        backup('running', daysAgo(30), { status: 'running', expiresAt: daysAgo(1) }),
        backup('pending', daysAgo(30), { status: 'pending' }),
        backup('restoring', daysAgo(30), { status: 'restoring' }),
        backup('newest', daysAgo(0)),
      ],
      { keepLast: 1, keepDaily: null, keepWeekly: null },
      NOW,
    );
    expect(plan.delete).toEqual([]);
  });

  it('lets explicit expiry decide, outside the tiers', () => {
    const plan = planRetention(
      [
        backup('pinned-week', daysAgo(20), { expiresAt: daysAgo(-7) }),
        backup('a', daysAgo(2)),
        backup('b', daysAgo(1)),
      ],
      { keepLast: 1, keepDaily: null, keepWeekly: null },
      NOW,
    );
    expect(plan.delete).toEqual([{ id: 'a', reason: 'policy' }]);
    expect(plan.keep.find((k) => k.id === 'pinned-week')?.reasons).toEqual(['not-expired']);
  });

  it('deletes at the exact expiry instant, not before', () => {
    const at = planRetention([backup('x', daysAgo(1), { expiresAt: NOW })], null, NOW);
    const before = planRetention(
      [backup('x', daysAgo(1), { expiresAt: new Date(NOW.getTime() + 1) })],
      null,
      NOW,
    );
    expect(deleted(at)).toEqual(['x']);
    expect(deleted(before)).toEqual([]);
  });

  it('honours a custom grace for failed backups', () => {
    const backups = [backup('f', daysAgo(2), { status: 'failed' })];
    expect(deleted(planRetention(backups, null, NOW, { failedGraceDays: 1 }))).toEqual(['f']);
    expect(deleted(planRetention(backups, null, NOW, { failedGraceDays: 3 }))).toEqual([]);
  });

  it.each([
    ['2026-01-01T00:00:00Z', '2026-W01'], // Thursday
    ['2025-12-29T00:00:00Z', '2026-W01'], // Monday of the week holding January 1st
    ['2027-01-01T00:00:00Z', '2026-W53'], // Friday: 2026 has 53 weeks
    ['2026-03-15T23:59:59Z', '2026-W11'],
    ['2026-03-16T00:00:00Z', '2026-W12'],
  ])('isoWeek(%s) = %s', (date, week) => {
    expect(isoWeek(new Date(date))).toBe(week);
  });
});
