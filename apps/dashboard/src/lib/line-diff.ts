import { diffLines } from 'diff';

/** One row of a line diff: a line in both texts, only in the old, only in the new, or unchanged lines left out. */
export type DiffRow =
  { kind: 'same' | 'removed' | 'added'; text: string } | { kind: 'skipped'; count: number };

/** Bounds of one diff, so a 16 MiB file with everything changed cannot freeze the tab. */
export const DIFF_LIMITS = { maxEditLength: 5_000, timeout: 1_000 };

function lines(value: string): string[] {
  const all = value.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

/**
 * The line diff from `before` to `after` (diff's Myers algorithm), with runs of unchanged lines longer
 * than twice `context` folded into one "skipped" row. Null when the texts differ too much to show
 * (more than `limits.maxEditLength` changed lines, or a second of work).
 */
export function lineDiff(
  before: string,
  after: string,
  context = 3,
  limits: typeof DIFF_LIMITS = DIFF_LIMITS,
): DiffRow[] | null {
  const changes = diffLines(before, after, limits);
  if (!changes) return null;
  const rows: DiffRow[] = [];
  changes.forEach((change, i) => {
    const text = lines(change.value);
    if (change.added || change.removed) {
      for (const t of text) rows.push({ kind: change.added ? 'added' : 'removed', text: t });
      return;
    }
    const first = i === 0;
    const last = i === changes.length - 1;
    const head = first ? 0 : context;
    const tail = last ? 0 : context;
    // Equal texts (one unchanged run) are shown whole; elsewhere a fold must hide at least two lines.
    if ((first && last) || text.length <= head + tail + 1) {
      for (const t of text) rows.push({ kind: 'same', text: t });
      return;
    }
    for (const t of text.slice(0, head)) rows.push({ kind: 'same', text: t });
    rows.push({ kind: 'skipped', count: text.length - head - tail });
    for (const t of text.slice(text.length - tail)) rows.push({ kind: 'same', text: t });
  });
  return rows;
}
