import { stringify } from 'yaml';

export const FORMATS = ['table', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

/**
 * The text printed for a command's result. `json` and `yaml` print the API's objects as they came
 * (so scripts see the same fields as HTTP clients); `table` is the human view the command chose.
 */
export function renderResult(format: Format, data: unknown, table: () => string): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(data, null, 2)}\n`;
    case 'yaml':
      return stringify(data, { lineWidth: 0 });
    case 'table':
      return table();
  }
}

/** One value as a table cell: empty for nothing, JSON for structures. */
export function show(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value === '' ? '""' : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
