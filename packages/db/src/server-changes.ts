import { sql } from 'drizzle-orm';
import type { Database } from './database.js';

/** The channel a change to `servers` is announced on; the payload is the tenant's id, or '*' for all. */
export const SERVER_CHANGES_CHANNEL = 'minefleet_server_changes';

/**
 * Installed at start on the embedded database only (not a migration: on PostgreSQL every commit that
 * notifies takes a cluster-wide queue lock, and nothing there could act on it: other replicas write).
 * The triggers run inside the writing transaction, whatever code path wrote (lifecycle status updates,
 * renames, deletes, the reconcile loop, a cascade from a deleted tenant), and PostgreSQL delivers the
 * notification only if that transaction commits.
 */
const INSTALL = [
  `CREATE OR REPLACE FUNCTION minefleet_server_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM pg_notify('${SERVER_CHANGES_CHANNEL}', OLD.tenant_id::text);
  ELSE
    PERFORM pg_notify('${SERVER_CHANGES_CHANNEL}', NEW.tenant_id::text);
    IF TG_OP = 'UPDATE' AND OLD.tenant_id IS DISTINCT FROM NEW.tenant_id THEN
      PERFORM pg_notify('${SERVER_CHANGES_CHANNEL}', OLD.tenant_id::text);
    END IF;
  END IF;
  RETURN NULL;
END $$`,
  `CREATE OR REPLACE FUNCTION minefleet_servers_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${SERVER_CHANGES_CHANNEL}', '*');
  RETURN NULL;
END $$`,
  `DROP TRIGGER IF EXISTS minefleet_server_changed ON servers`,
  `CREATE TRIGGER minefleet_server_changed AFTER INSERT OR UPDATE OR DELETE ON servers
  FOR EACH ROW EXECUTE FUNCTION minefleet_server_changed()`,
  `DROP TRIGGER IF EXISTS minefleet_servers_truncated ON servers`,
  `CREATE TRIGGER minefleet_servers_truncated AFTER TRUNCATE ON servers
  FOR EACH STATEMENT EXECUTE FUNCTION minefleet_servers_truncated()`,
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
