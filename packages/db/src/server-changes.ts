import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rowsOf, type Database, type Tx } from './database.js';

/** The channel a change to `servers` is announced on; the payload is the tenant's id, or '*' for all. */
export const SERVER_CHANGES_CHANNEL = 'minefleet_server_changes';

/**
 * The four statement-level triggers on `servers` that call `fn` (its own TG_OP tells which): insert,
 * update and delete with their transition tables (`minefleet_new`, `minefleet_old`), and truncate, each
 * dropped first so an install can run again. Named `<prefix>_inserted` and so on.
 */
function statementTriggers(prefix: string, fn: string): string[] {
  return [
    `DROP TRIGGER IF EXISTS ${prefix}_inserted ON servers`,
    `CREATE TRIGGER ${prefix}_inserted AFTER INSERT ON servers
  REFERENCING NEW TABLE AS minefleet_new FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    `DROP TRIGGER IF EXISTS ${prefix}_updated ON servers`,
    `CREATE TRIGGER ${prefix}_updated AFTER UPDATE ON servers
  REFERENCING OLD TABLE AS minefleet_old NEW TABLE AS minefleet_new
  FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    `DROP TRIGGER IF EXISTS ${prefix}_deleted ON servers`,
    `CREATE TRIGGER ${prefix}_deleted AFTER DELETE ON servers
  REFERENCING OLD TABLE AS minefleet_old FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    `DROP TRIGGER IF EXISTS ${prefix}_truncated ON servers`,
    `CREATE TRIGGER ${prefix}_truncated AFTER TRUNCATE ON servers
  FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
  ];
}

/**
 * Installed at start on the embedded database only (not a migration: on PostgreSQL every commit that
 * notifies takes a cluster-wide queue lock, and nothing there could act on it: other replicas write).
 * The triggers run inside the writing transaction, whatever code path wrote (lifecycle status updates,
 * renames, deletes, the reconcile loop, a cascade from a deleted tenant), and PostgreSQL delivers the
 * notification only if that transaction commits.
 */
const INSTALL = [
  // One announcement per tenant a statement touched, run once per statement: a row-level trigger ran
  // PL/pgSQL for every row, which made a 100-row insert ~40% slower (18–19.5 → 12–13 ms without it,
  // ~15.5 ms with this one). PostgreSQL drops a repeated notification within a transaction anyway.
  `CREATE OR REPLACE FUNCTION minefleet_servers_written() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('${SERVER_CHANGES_CHANNEL}', '*');
  ELSIF TG_OP = 'INSERT' THEN
    PERFORM pg_notify('${SERVER_CHANGES_CHANNEL}', w.tenant_id::text)
      FROM (SELECT DISTINCT n.tenant_id FROM minefleet_new n) w;
  ELSIF TG_OP = 'UPDATE' THEN
    PERFORM pg_notify('${SERVER_CHANGES_CHANNEL}', w.tenant_id::text)
      FROM (SELECT n.tenant_id FROM minefleet_new n UNION SELECT o.tenant_id FROM minefleet_old o) w;
  ELSE
    PERFORM pg_notify('${SERVER_CHANGES_CHANNEL}', w.tenant_id::text)
      FROM (SELECT DISTINCT o.tenant_id FROM minefleet_old o) w;
  END IF;
  RETURN NULL;
END $$`,
  // The row-level trigger of earlier versions.
  `DROP TRIGGER IF EXISTS minefleet_server_changed ON servers`,
  `DROP FUNCTION IF EXISTS minefleet_server_changed()`,
  ...statementTriggers('minefleet_servers', 'minefleet_servers_written'),
  `DROP FUNCTION IF EXISTS minefleet_servers_truncated()`,
];

/**
 * Calls `onChange(tenantId)` after every committed write to a tenant's servers (`'*'`: possibly all
 * tenants), before that COMMIT returns to the code that wrote. Answers undefined where the database
 * cannot promise to show this process every write (PostgreSQL); otherwise the function that stops.
 */
export async function watchServerChanges(
  database: Database,
  onChange: (tenantId: string) => void,
): Promise<(() => Promise<void>) | undefined> {
  if (database.dialect !== 'pglite') return undefined;
  await database.system(async (tx) => {
    for (const statement of INSTALL) await tx.execute(sql.raw(statement));
  });
  return database.listen(SERVER_CHANGES_CHANNEL, onChange);
}

/**
 * PostgreSQL: each tenant's server list has a version, the number of committed statements that wrote
 * its servers, so a replica may keep a list page and answer it again while the version it was read at
 * is still the current one (one small read instead of the page and its count).
 *
 * Statement-level triggers raise `server_list_versions.version` for every tenant a statement touched,
 * inside the writing transaction, whatever code path wrote (the API, the lifecycle, the reconcile loop,
 * another replica, bare SQL): the new version becomes visible exactly when the write does. The row is
 * locked until the writer commits, so versions rise in commit order and a page read after reading
 * version v shows at least everything up to v; if the version is still v later, no write to that
 * tenant's servers committed in between. Tenants are locked in id order, so two statements touching
 * the same tenants cannot deadlock on them.
 *
 * Installed at start rather than as a migration: CockroachDB, which the migrations stay written for,
 * has no transition tables (`REFERENCING`) in its triggers; there the install fails and nothing is
 * kept. Replicas starting together take turns through the lock on `servers` (which the triggers need
 * anyway). Tenants read their own version under row-level security; only the trigger function (its
 * owner's rights) writes.
 */
const VERSIONS = [
  `LOCK TABLE servers IN SHARE ROW EXCLUSIVE MODE`,
  `CREATE TABLE IF NOT EXISTS server_list_versions (tenant_id uuid PRIMARY KEY, version bigint NOT NULL)`,
  `ALTER TABLE server_list_versions ENABLE ROW LEVEL SECURITY`,
  `ALTER TABLE server_list_versions FORCE ROW LEVEL SECURITY`,
  `DROP POLICY IF EXISTS tenant_isolation ON server_list_versions`,
  `CREATE POLICY tenant_isolation ON server_list_versions FOR SELECT
  USING (tenant_id = NULLIF(current_setting('app.tenant', true), '')::uuid)`,
  `GRANT SELECT ON server_list_versions TO minefleet_app`,
  `CREATE OR REPLACE FUNCTION minefleet_server_list_bump() RETURNS trigger LANGUAGE plpgsql
  SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    INSERT INTO public.server_list_versions AS v (tenant_id, version)
      SELECT t.id, 1 FROM public.tenants t ORDER BY 1
      ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
  ELSIF TG_OP = 'INSERT' THEN
    INSERT INTO public.server_list_versions AS v (tenant_id, version)
      SELECT DISTINCT n.tenant_id, 1 FROM minefleet_new n ORDER BY 1
      ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO public.server_list_versions AS v (tenant_id, version)
      SELECT w.tenant_id, 1 FROM (SELECT n.tenant_id FROM minefleet_new n
        UNION SELECT o.tenant_id FROM minefleet_old o) w ORDER BY 1
      ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
  ELSE
    INSERT INTO public.server_list_versions AS v (tenant_id, version)
      SELECT DISTINCT o.tenant_id, 1 FROM minefleet_old o ORDER BY 1
      ON CONFLICT (tenant_id) DO UPDATE SET version = v.version + 1;
  END IF;
  RETURN NULL;
END $$`,
  ...statementTriggers('minefleet_server_list', 'minefleet_server_list_bump'),
];

/**
 * What an install wrote, kept as the trigger function's comment: a replica starting over a database
 * where these very statements were already run (by itself earlier, or by another replica) skips them,
 * so a restart does not lock `servers` against writes nor rewrite the catalogue. A changed statement
 * changes the mark and is installed again.
 */
const INSTALL_MARK = createHash('sha256').update(VERSIONS.join('\n')).digest('hex').slice(0, 16);
const TRIGGERS = VERSIONS.filter((s) => s.startsWith('CREATE TRIGGER')).length;

/**
 * Installs the server list versions on PostgreSQL (see VERSIONS above), unless already installed as
 * they are here. Answers whether list pages may be kept by version: false on the embedded database (it
 * announces writes instead: watchServerChanges) and where the install fails (CockroachDB: no transition
 * tables), after `onRefused(error)`.
 */
export async function installServerListVersions(
  database: Database,
  onRefused: (error: unknown) => void = () => {},
): Promise<boolean> {
  if (database.dialect !== 'postgres') return false;
  try {
    await database.system(async (tx) => {
      if (await installed(tx)) return;
      const [lock, ...install] = VERSIONS;
      await tx.execute(sql.raw(lock!));
      // A replica that waited for the lock finds what the other one installed meanwhile.
      if (await installed(tx)) return;
      for (const statement of install) await tx.execute(sql.raw(statement));
      await tx.execute(sql.raw(`COMMENT ON FUNCTION minefleet_server_list_bump() IS '${INSTALL_MARK}'`));
    });
    return true;
  } catch (error) {
    onRefused(error);
    return false;
  }
}

/** Whether the function carries this install's mark and all its triggers are on `servers`. */
async function installed(tx: Tx): Promise<boolean> {
  const [row] = rowsOf<{ mark: string | null; triggers: string | number }>(
    await tx.execute(sql`select obj_description(to_regproc('minefleet_server_list_bump'), 'pg_proc') as mark,
      (select count(*) from pg_trigger where tgrelid = to_regclass('servers')
        and tgname like 'minefleet\_server\_list\_%') as triggers`),
  );
  return row?.mark === INSTALL_MARK && Number(row.triggers) === TRIGGERS;
}

/**
 * The tenant's server list version, read in a tenant read (`Database.tenantRead`; row-level security
 * shows the tenant's own row only). A tenant whose servers were never written since the install has
 * no row: version 0.
 */
export const SERVER_LIST_VERSION = sql`select version from server_list_versions`;

/** The version out of SERVER_LIST_VERSION's rows, as text (a bigint). */
export function serverListVersionOf(rows: Record<string, unknown>[] | undefined): string {
  // node-postgres answers a bigint as text; PGlite (never asked here, but the same query) as a bigint.
  const value = rows?.[0]?.version;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return value.toString();
  return '0';
}
