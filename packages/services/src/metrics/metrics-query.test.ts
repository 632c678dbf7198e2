import { describe, expect, it } from 'vitest';
import { bucketize, DEFAULT_RETENTION, MAX_POINTS, parseStep, planQuery } from './metrics-query.js';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const HOUR = 3_600_000;
const plan = (fromAgoMs: number, stepSeconds?: number) =>
  planQuery({
    from: NOW - fromAgoMs,
    to: NOW,
    now: NOW,
    stepSeconds,
    rawIntervalSeconds: 10,
    retention: DEFAULT_RETENTION,
  });

describe('planQuery', () => {
  it('reads raw samples for recent ranges, at a chart-sized step', () => {
    expect(plan(HOUR)).toEqual({ resolution: 'raw', stepSeconds: 12 });
    expect(plan(10 * 60_000, 10)).toEqual({ resolution: 'raw', stepSeconds: 10 });
  });

  it('reads 1-minute rows when the step is a minute or more, or raw rows are gone', () => {
    expect(plan(6 * HOUR, 60)).toEqual({ resolution: '1m', stepSeconds: 60 });
    expect(plan(3 * 24 * HOUR)).toEqual({ resolution: '1m', stepSeconds: 864 });
    expect(plan(7 * 24 * HOUR)).toMatchObject({ resolution: '1m' });
  });

  it('reads 1-hour rows past the 1-minute retention or for steps of an hour', () => {
    expect(plan(30 * 24 * HOUR)).toEqual({ resolution: '1h', stepSeconds: 8640 });
    expect(plan(2 * 24 * HOUR, 3600)).toEqual({ resolution: '1h', stepSeconds: 3600 });
  });

  it('widens a step that would make too many points', () => {
    const p = plan(24 * HOUR, 1);
    expect(p.stepSeconds).toBe(Math.ceil((24 * 3600) / MAX_POINTS));
    expect(p.resolution).toBe('raw');
  });

  it('never reads a resolution coarser than asked when a finer one still exists', () => {
    // 20 s steps over 2 days: raw rows are gone for the start, so 1-minute rows (the finest left).
    expect(plan(2 * 24 * HOUR, 20)).toMatchObject({ resolution: '1m' });
  });
});

describe('bucketize', () => {
  const t = (s: number) => NOW + s * 1000;

  it('aligns buckets to the step and aggregates by max or mean', () => {
    const rows = [
      { ts: t(0), value: 0 },
      { ts: t(5), value: 2 },
      { ts: t(10), value: 4 },
      { ts: t(25), value: 6 },
    ];
    const start = NOW / 1000;
    expect(bucketize(rows, 10, 'max')).toEqual([
      [start, 2],
      [start + 10, 4],
      [start + 20, 6],
    ]);
    expect(bucketize(rows, 10, 'avg')).toEqual([
      [start, 1],
      [start + 10, 4],
      [start + 20, 6],
    ]);
  });

  it('gives null for a bucket whose samples have no value, and leaves out empty buckets', () => {
    const rows = [
      { ts: t(0), value: null },
      { ts: t(30), value: 19.5 },
    ];
    expect(bucketize(rows, 10, 'avg')).toEqual([
      [NOW / 1000, null],
      [NOW / 1000 + 30, 19.5],
    ]);
  });
});

describe('parseStep', () => {
  it.each([
    ['60', 60],
    ['30s', 30],
    ['5m', 300],
    ['1h', 3600],
    ['1d', 86_400],
  ])('%s → %i s', (raw, seconds) => expect(parseStep(raw)).toBe(seconds));

  it.each(['', '0', '-5', '1w', '1.5m', 'abc'])('refuses %j', (raw) => expect(parseStep(raw)).toBeNull());
});
