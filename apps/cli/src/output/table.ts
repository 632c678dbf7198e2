import { visibleWidth, type Style } from './style.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Styling applied after padding is computed, so widths stay right. */
  style?: (text: string, row: T) => string;
  align?: 'left' | 'right';
}

/** Plain cells never contain a newline or tab: one row is one line, whatever the API sent. */
function cell(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ');
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const gap = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? gap + text : text + gap;
}

/** Columns separated by three spaces, a header row, no borders: easy to read and to `awk`. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[], style: Style): string {
  const cells = rows.map((row) => columns.map((c) => cell(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => visibleWidth(r[i]!))));
  const last = columns.length - 1;
  const line = (parts: string[]) => parts.join('   ').trimEnd();
  const header = line(
    columns.map((c, i) => style.bold(i === last ? c.header : pad(c.header, widths[i]!, 'left'))),
  );
  const body = cells.map((r, rowIndex) =>
    line(
      r.map((text, i) => {
        const column = columns[i]!;
        const padded =
          i === last && column.align !== 'right' ? text : pad(text, widths[i]!, column.align ?? 'left');
        return column.style ? column.style(padded, rows[rowIndex]!) : padded;
      }),
    ),
  );
  return [header, ...body].join('\n') + '\n';
}

/** A two-column "field: value" view of one object. */
export function renderFields(fields: readonly (readonly [string, string])[], style: Style): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length)) + 1;
  return fields.map(([k, v]) => `${style.bold(pad(`${k}:`, width, 'left'))} ${cell(v)}`).join('\n') + '\n';
}
