import { getTableColumns, getTableName, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { rowsOf, type Tx } from './database.js';

/**
 * Inserts many rows as ONE parameter: a JSON array the database unpacks (`jsonb_to_recordset`), instead
 * of a VALUES list with a parameter per field. For 100 servers (1,400 parameters) drizzle's query
 * building and the driver's parameter handling were most of the insert: on the embedded database it
 * took 110–130 ms the first time and ~16 ms after, against 55–75 and ~12 ms this way (docs/benchmarks.md,
 * Fleet). Answers the new rows' ids (in no promised order); read the rows back with drizzle when they
 * are needed as records.
 *
 * Every row must give the same fields (the ones it leaves out take the column's default), with values
 * as JSON carries them: strings, numbers, booleans, null, objects for json/jsonb columns, and Dates
 * (sent as ISO strings). Rows of different shapes, or none, are refused.
 */
export async function insertAsJson<T extends PgTable>(
  tx: Tx,
  table: T,
  rows: T['$inferInsert'][],
): Promise<string[]> {
  const first = rows[0];
  if (!first) return [];
  const fields = Object.keys(first).filter((k) => (first as Record<string, unknown>)[k] !== undefined);
  const shape = fields.join(',');
  for (const row of rows) {
    const present = Object.keys(row).filter((k) => (row as Record<string, unknown>)[k] !== undefined);
    if (present.join(',') !== shape) throw new Error('insertAsJson: every row must give the same fields');
  }
  const columns = getTableColumns(table);
  const chosen = fields.map((field) => {
    const column = columns[field];
    if (!column) throw new Error(`insertAsJson: ${getTableName(table)} has no field ${field}`);
    return { field, name: column.name, type: column.getSQLType() };
  });
  const payload = rows.map((row) =>
    Object.fromEntries(
      chosen.map(({ field, name }) => {
        const value = (row as Record<string, unknown>)[field];
        return [name, value instanceof Date ? value.toISOString() : value];
      }),
    ),
  );
  const names = sql.join(
    chosen.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  const record: SQL = sql.join(
    chosen.map((c) => sql`${sql.identifier(c.name)} ${sql.raw(c.type)}`),
    sql`, `,
  );
  const result = await tx.execute(
    sql`insert into ${table} (${names}) select ${names} from jsonb_to_recordset(${JSON.stringify(payload)}::jsonb) as x(${record}) returning id`,
  );
  return rowsOf<{ id: string }>(result).map((r) => r.id);
}
