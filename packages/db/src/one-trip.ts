import { getTableColumns, type SQLWrapper, type Table } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';

/**
 * Single-round-trip reads: several SELECTs and the tenant settings sent as ONE simple-protocol message.
 *
 * PostgreSQL runs a multi-statement simple query as one implicit transaction, so the `set_config(...,
 * true)` of the first statement (role and tenant) holds for the statements after it and row-level
 * security applies exactly as in `Database.tenant()`, in one round trip instead of five (BEGIN,
 * settings, queries, COMMIT). The simple protocol takes no parameters, so values are written into the
 * text as literals by `literal()` below, which is the only way values reach that text.
 */

const dialect = new PgDialect();

/** A value as an SQL literal. Strings use the E'' form with both quote and backslash escaped. */
export function literal(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('Refusing a non-finite number in SQL.');
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return `${quote(value.toISOString())}::timestamptz`;
  if (typeof value === 'string') return quote(value);
  return quote(JSON.stringify(value));
}

function quote(text: string): string {
  if (text.includes('\u0000')) throw new Error('Refusing a NUL character in SQL.');
  return `E'${text.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Renders a drizzle query with its parameters written in as literals. */
export function inline(query: SQLWrapper): string {
  const { sql, params } = dialect.sqlToQuery(query.getSQL());
  // One pass over the placeholders ($1..$n; drizzle never writes values into the text itself), so text
  // inserted for one value is never scanned again (a value containing "$2" stays a value).
  return sql.replace(/\$(\d+)/g, (_match, n: string) => {
    const index = Number(n) - 1;
    if (index < 0 || index >= params.length) throw new Error(`No parameter for $${n}.`);
    return literal(params[index]);
  });
}

/** Maps raw rows (database column names) to a table's typed records, as drizzle's select would. */
export function mapRows<T extends Table>(table: T, rows: Record<string, unknown>[]): T['$inferSelect'][] {
  const columns = Object.entries(getTableColumns(table));
  return rows.map((row) => {
    const out: Record<string, unknown> = {};
    for (const [key, column] of columns) {
      const value = row[column.name];
      out[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return out;
  });
}
