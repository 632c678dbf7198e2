/** Roles a user can hold in a tenant, weakest first. Each role can do everything the ones before it can. */
export const ROLES = ['viewer', 'operator', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/**
 * Whether `role` ranks at least `minimum` (a promotion, for rules such as "promoting needs a verified
 * email"). What a role may do is its permission set (ROLE_PERMISSIONS in permissions.ts); access checks
 * use permission keys, never this rank, so custom roles work the same.
 */
export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}
