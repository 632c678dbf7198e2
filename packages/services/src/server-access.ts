import { eq } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { servers } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import type { Permission } from '@minefleet/domain/permissions';
import { assertActionAllowed, type ServerAction, type ServerStatus } from '@minefleet/domain/server-state';
import { requirePermission, scopeOf, type Actor } from './actor.js';
import type { ServerRecord } from './server-record.js';

/**
 * The one rule for "a server this actor may act on", in the order its errors are checked:
 * a malformed id is INVALID_ID; a server the actor's tenant does not have is SERVER_NOT_FOUND (row-level
 * security hides other tenants' servers, so they are indistinguishable from missing ones); then the
 * permission the action needs (FORBIDDEN); then whether the server's status allows the action (INVALID_TRANSITION).
 */
export function assertServerId(serverId: string): void {
  if (!isUuid(serverId))
    throw new DomainError('INVALID_ID', 'The server id is not a UUID.', { id: serverId });
}

/** The row the tenant-scoped query found, checked against the rule (see assertServerId). */
export function actOn<T extends { status: ServerStatus }>(
  row: T | undefined,
  actor: Actor,
  serverId: string,
  needs?: Permission,
  action?: ServerAction,
): T {
  if (!row) throw new DomainError('SERVER_NOT_FOUND', 'No such server.', { id: serverId });
  if (needs) requirePermission(actor, needs);
  if (action) assertActionAllowed(action, row.status);
  return row;
}

/** The server's row in a tenant transaction (`forUpdate` orders concurrent changes of one server). */
export async function selectServer(
  tx: Tx,
  serverId: string,
  options: { forUpdate?: boolean } = {},
): Promise<ServerRecord | undefined> {
  const query = tx.select().from(servers).where(eq(servers.id, serverId));
  return (options.forUpdate ? await query.for('update') : await query)[0];
}

/** Loads a server the actor may act on (see assertServerId for the rule and its errors). */
export async function loadServerFor(
  db: Database,
  actor: Actor,
  serverId: string,
  needs: Permission,
  action?: ServerAction,
): Promise<ServerRecord> {
  assertServerId(serverId);
  const row = await db.tenant(scopeOf(actor), (tx) => selectServer(tx, serverId));
  return actOn(row, actor, serverId, needs, action);
}
