import { describe, expect, it } from 'vitest';
import { colorEnabled, createStyle, visibleWidth } from './style.js';
import { renderFields, renderTable } from './table.js';

const rows = [
  { name: 'lobby', status: 'running', players: 3 },
  { name: 'survival-world', status: 'stopped', players: 12 },
];
const columns = [
  { header: 'NAME', value: (r: (typeof rows)[number]) => r.name },
  { header: 'PLAYERS', value: (r: (typeof rows)[number]) => String(r.players), align: 'right' as const },
  { header: 'STATUS', value: (r: (typeof rows)[number]) => r.status },
];

describe('renderTable', () => {
  it('aligns columns, right-aligns numbers and leaves no trailing spaces', () => {
    expect(renderTable(rows, columns, createStyle(false))).toBe(
      'NAME             PLAYERS   STATUS\n' +
        'lobby                  3   running\n' +
        'survival-world        12   stopped\n',
    );
  });

  it('keeps alignment when cells are coloured', () => {
    const style = createStyle(true);
    const coloured = renderTable(
      rows,
      [{ ...columns[0]!, style: (t: string) => style.green(t) }, columns[2]!],
      style,
    );
    const lines = coloured.split('\n').filter(Boolean);
    expect(coloured).toContain('\u001b[32m');
    expect(new Set(lines.map((l) => visibleWidth(l.slice(0, l.lastIndexOf(' ') + 1)))).size).toBe(1);
  });

  it('keeps one row per line whatever the cell holds', () => {
    const text = renderTable([{ name: 'a\nb\tc', status: 'x', players: 1 }], columns, createStyle(false));
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
  });
});

describe('renderFields', () => {
  it('aligns values after the labels', () => {
    expect(
      renderFields(
        [
          ['Name', 'lobby'],
          ['Max players', '20'],
        ],
        createStyle(false),
      ),
    ).toBe('Name:        lobby\nMax players: 20\n');
  });
});

describe('colorEnabled', () => {
  it('colours terminals only, and never with NO_COLOR or TERM=dumb', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });

  it('plain style adds nothing', () => {
    expect(createStyle(false).red('x')).toBe('x');
  });
});
