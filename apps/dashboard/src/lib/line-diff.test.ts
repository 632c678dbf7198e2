import { describe, expect, it } from 'vitest';
import { lineDiff } from './line-diff.js';

describe('lineDiff', () => {
  it('marks removed and added lines and folds long unchanged runs around them', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'old', 'i', 'j'].join('\n') + '\n';
    const after = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'new', 'i', 'j', 'k'].join('\n') + '\n';
    expect(lineDiff(before, after, 2)).toEqual([
      { kind: 'skipped', count: 6 },
      { kind: 'same', text: 'g' },
      { kind: 'same', text: 'h' },
      { kind: 'removed', text: 'old' },
      { kind: 'added', text: 'new' },
      { kind: 'same', text: 'i' },
      { kind: 'same', text: 'j' },
      { kind: 'added', text: 'k' },
    ]);
  });

  it('gives only unchanged rows for equal texts, and null when too much changed to show', () => {
    expect(lineDiff('x\ny\n', 'x\ny\n')).toEqual([
      { kind: 'same', text: 'x' },
      { kind: 'same', text: 'y' },
    ]);
    const many = (tag: string) => Array.from({ length: 60 }, (_, i) => `${tag}${i}`).join('\n');
    expect(lineDiff(many('a'), many('b'), 3, { maxEditLength: 50, timeout: 1_000 })).toBeNull();
    expect(lineDiff(many('a'), many('b'), 3, { maxEditLength: 200, timeout: 1_000 })).toHaveLength(120);
  });
});
