/** Roles a user can hold in a tenant, weakest first. Each role can do everything the ones before it can. */
export const ROLES = ['viewer', 'operator', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What each role may do:
 * - viewer: read everything in the tenant;
 * - operator: also power actions, console commands, backups and restores;
 * - admin: also create/delete servers, change settings, install plugins, manage API keys;
 * - owner: also manage members.
 */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}
