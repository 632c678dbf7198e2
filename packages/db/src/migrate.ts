import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { APP_ROLE, rowsOf, type Database } from './database.js';

/** The migrations folder ships beside src/ and dist/. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

interface Journal {
  entries: { idx: number; tag: string }[];
}

export interface MigrationReport {
  applied: string[];
  skipped: string[];
}

/**
 * Applies pending migrations in order. Safe with several control-plane replicas starting at once, with
 * no advisory locks (CockroachDB has none): each migration runs in a transaction that first inserts its
 * row into `minefleet_migrations`; a replica racing for the same migration blocks on that key and then
 * fails with a unique violation, rolls back, and skips it.
 */
export async function migrate(
  database: Database,
  migrationsDir: string = MIGRATIONS_DIR,
): Promise<MigrationReport> {
  const db = database.drizzle;
  await ensureAppRole(database);
  await db.execute(
    sql`create table if not exists minefleet_migrations (id integer primary key, tag text not null, applied_at timestamptz not null default now())`,
  );
  const journal = JSON.parse(await readFile(`${migrationsDir}/meta/_journal.json`, 'utf8')) as Journal;
  const done = new Set(
    rowsOf<{ id: number }>(await db.execute(sql`select id from minefleet_migrations`)).map((r) =>
      Number(r.id),
    ),
  );
  const report: MigrationReport = { applied: [], skipped: [] };
  for (const entry of [...journal.entries].sort((a, b) => a.idx - b.idx)) {
    if (done.has(entry.idx)) {
      report.skipped.push(entry.tag);
      continue;
    }
    const text = await readFile(`${migrationsDir}/${entry.tag}.sql`, 'utf8');
    const statements = text
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter((s) => s.replace(/--.*$/gm, '').trim().length > 0);
    try {
      await database.system(async (tx) => {
        await tx.execute(sql`insert into minefleet_migrations (id, tag) values (${entry.idx}, ${entry.tag})`);
        for (const statement of statements) await tx.execute(sql.raw(statement));
      });
      report.applied.push(entry.tag);
    } catch (error) {
      if (isUniqueViolation(error)) {
        report.skipped.push(entry.tag);
        continue;
      }
      throw new Error(`Migration ${entry.tag} failed: ${(error as Error).message}`, { cause: error });
    }
  }
  return report;
}

/** Roles are cluster-wide in PostgreSQL, so the role is made here, idempotently, not in a migration. */
async function ensureAppRole(database: Database): Promise<void> {
  const db = database.drizzle;
  const exists = await db.execute(sql`select 1 from pg_roles where rolname = ${APP_ROLE}`);
  if (rowsOf(exists).length === 0) {
    try {
      await db.execute(sql.raw(`create role ${APP_ROLE} nologin nosuperuser nobypassrls`));
    } catch (error) {
      if (!isDuplicateObject(error) && !isUniqueViolation(error)) throw error;
    }
  }
  const me = await db.execute(
    sql`select rolsuper, rolbypassrls, pg_has_role(current_user, ${APP_ROLE}, 'MEMBER') as member from pg_roles where rolname = current_user`,
  );
  const row = rowsOf<{ rolsuper: boolean; rolbypassrls: boolean; member: boolean }>(me)[0];
  if (!row) throw new Error('Cannot read the current database role.');
  if (!row.rolsuper && !row.rolbypassrls) {
    throw new Error(
      'The database user must be a superuser or have BYPASSRLS (it runs cross-tenant work such as the reconcile loop); ' +
        `tenant requests run as the role ${APP_ROLE}, which row-level security restricts.`,
    );
  }
  if (!row.member) await db.execute(sql.raw(`grant ${APP_ROLE} to current_user`));
  // Replicas starting together on a new database grant at the same moment, and PostgreSQL refuses the
  // second concurrent change of the schema's privileges ("tuple concurrently updated", XX000): read
  // first, and on that refusal read again (the other replica's grant is what we wanted).
  for (let attempt = 0; ; attempt++) {
    const granted = await db.execute(
      sql`select has_schema_privilege(${APP_ROLE}, 'public', 'USAGE') as usage`,
    );
    if (rowsOf<{ usage: boolean }>(granted)[0]?.usage) return;
    try {
      await db.execute(sql.raw(`grant usage on schema public to ${APP_ROLE}`));
      return;
    } catch (error) {
      if (pgCode(error) !== 'XX000' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * (attempt + 1)));
    }
  }
}

function pgCode(error: unknown): string | undefined {
  let current: unknown = error;
  while (current && typeof current === 'object') {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

export function isUniqueViolation(error: unknown): boolean {
  return pgCode(error) === '23505';
}

function isDuplicateObject(error: unknown): boolean {
  return pgCode(error) === '42710';
}

export function isForeignKeyViolation(error: unknown): boolean {
  return pgCode(error) === '23503';
}
