import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACKUP_STATUSES, BACKUP_TYPES } from './enums.js';
import { planRetention, type RetentionBackup, type RetentionPolicy } from './retention.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const DAY = 86_400_000;

const arbBackup = (id: number): fc.Arbitrary<RetentionBackup> =>
  fc.record({
    id: fc.constant(`b${id}`),
    createdAt: fc.integer({ min: -400 * DAY, max: 0 }).map((offset) => new Date(NOW.getTime() + offset)),
    status: fc.constantFrom(...BACKUP_STATUSES),
    type: fc.constantFrom(...BACKUP_TYPES),
    locked: fc.boolean(),
    expiresAt: fc.option(
      fc.integer({ min: -30 * DAY, max: 30 * DAY }).map((offset) => new Date(NOW.getTime() + offset)),
      { nil: null },
    ),
  });

const arbBackups = fc
  .integer({ min: 0, max: 40 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbBackup(i))))
  .map((list) => list);

const arbTier = fc.option(fc.integer({ min: 0, max: 10 }), { nil: null });
const arbPolicy: fc.Arbitrary<RetentionPolicy | null> = fc.option(
  fc.record({ keepLast: arbTier, keepDaily: arbTier, keepWeekly: arbTier }),
  { nil: null },
);

const deletedIds = (backups: RetentionBackup[], policy: RetentionPolicy | null): Set<string> =>
  new Set(planRetention(backups, policy, NOW).delete.map((d) => d.id));

describe('planRetention properties', () => {
  it('partitions the backups: each is either deleted or kept, once', () => {
    fc.assert(
      fc.property(arbBackups, arbPolicy, (backups, policy) => {
        const plan = planRetention(backups, policy, NOW);
        const ids = [...plan.delete.map((d) => d.id), ...plan.keep.map((k) => k.id)];
        expect(ids.sort()).toEqual(backups.map((b) => b.id).sort());
      }),
    );
  });

  it('never deletes a locked or in-progress backup (a deletion under way is finished)', () => {
    fc.assert(
      fc.property(arbBackups, arbPolicy, (backups, policy) => {
        const deleted = deletedIds(backups, policy);
        for (const b of backups) {
          if (b.status === 'deleting') continue;
          if (b.locked || ['pending', 'running', 'restoring'].includes(b.status))
            expect(deleted.has(b.id)).toBe(false);
        }
      }),
    );
  });

  it('always deletes a backup left deleting, with that reason', () => {
    fc.assert(
      fc.property(arbBackups, arbPolicy, (backups, policy) => {
        const plan = planRetention(backups, policy, NOW);
        for (const b of backups) {
          const verdict = plan.delete.find((d) => d.id === b.id);
          if (b.status === 'deleting') expect(verdict?.reason).toBe('deleting');
          else expect(verdict?.reason).not.toBe('deleting');
        }
      }),
    );
  });

  it('deletes every unlocked, finished backup past its expiry, and none before it', () => {
    fc.assert(
      fc.property(arbBackups, arbPolicy, (backups, policy) => {
        const deleted = deletedIds(backups, policy);
        for (const b of backups) {
          if (
            b.expiresAt === null ||
            b.locked ||
            ['pending', 'running', 'restoring', 'deleting'].includes(b.status)
          )
            continue;
          expect(deleted.has(b.id)).toBe(b.expiresAt.getTime() <= NOW.getTime());
        }
      }),
    );
  });

  it('keeps the keepLast newest policy-governed backups, and always the newest one', () => {
    fc.assert(
      fc.property(arbBackups, arbPolicy, (backups, policy) => {
        const deleted = deletedIds(backups, policy);
        const governed = backups
          .filter((b) => !b.locked && b.status === 'completed' && b.expiresAt === null)
          .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1));
        const keepLast = Math.max(1, policy?.keepLast ?? 0);
        for (const b of governed.slice(0, keepLast)) expect(deleted.has(b.id)).toBe(false);
      }),
    );
  });

  it('deletes nothing by policy without a policy', () => {
    fc.assert(
      fc.property(arbBackups, (backups) => {
        expect(planRetention(backups, null, NOW).delete.every((d) => d.reason !== 'policy')).toBe(true);
      }),
    );
  });

  it('is monotonic: a more generous policy never deletes more', () => {
    fc.assert(
      fc.property(
        arbBackups,
        fc.record({ keepLast: arbTier, keepDaily: arbTier, keepWeekly: arbTier }),
        fc.integer({ min: 0, max: 5 }),
        fc.constantFrom('keepLast', 'keepDaily', 'keepWeekly' as const),
        (backups, policy, extra, field) => {
          fc.pre(policy.keepLast !== null || policy.keepDaily !== null || policy.keepWeekly !== null);
          fc.pre((policy.keepLast ?? 0) + (policy.keepDaily ?? 0) + (policy.keepWeekly ?? 0) > 0);
          const generous = { ...policy, [field]: (policy[field] ?? 0) + extra };
          const strict = deletedIds(backups, policy);
          for (const id of deletedIds(backups, generous)) expect(strict.has(id)).toBe(true);
        },
      ),
    );
  });

  it('is idempotent: planning again after deleting deletes nothing more', () => {
    fc.assert(
      fc.property(arbBackups, arbPolicy, (backups, policy) => {
        const deleted = deletedIds(backups, policy);
        const remaining = backups.filter((b) => !deleted.has(b.id));
        expect(planRetention(remaining, policy, NOW).delete).toEqual([]);
      }),
    );
  });

  it('does not depend on the input order and does not modify its input', () => {
    fc.assert(
      fc.property(arbBackups, arbPolicy, (backups, policy) => {
        const copy = structuredClone(backups);
        const forward = planRetention(backups, policy, NOW).delete;
        const backward = planRetention([...backups].reverse(), policy, NOW).delete;
        expect(backward).toEqual(forward);
        expect(backups).toEqual(copy);
      }),
    );
  });
});
