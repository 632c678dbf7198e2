import { DomainError } from '@minefleet/domain/errors';
import { ROLE_PERMISSIONS, type Permission } from '@minefleet/domain/permissions';
import type { Role } from '@minefleet/domain/roles';
import type { TenantScope } from '@minefleet/db/database';

/**
 * Who is acting: an authenticated user (by session or API key) in one tenant, with their role there and
 * the permissions they hold (from their built-in or custom role, cut to what an API key allows).
 */
export interface Actor {
  userId: string;
  tenantId: string;
  role: Role;
  /** The server-side session the request's token belongs to (unset for an API key). */
  sessionId?: string | undefined;
  /**
   * What the credential may do; unset means everything the built-in role holds (internal actors such as
   * the scheduler). A member with a custom role holds that role's permissions; an API key created with a
   * permission list holds at most those (and never more than its user).
   */
  permissions?: ReadonlySet<Permission> | undefined;
  /** The tenant requires two-factor sign-in and this user has none: only account routes answer. */
  secondFactorMissing?: boolean | undefined;
  /** The member's custom role, when they have one (its permissions are in `permissions`). */
  customRoleId?: string | undefined;
  /** Set when the request authenticated with an API key. */
  apiKeyId?: string | undefined;
  /** Correlates the actor's request with logs and runtime operations. */
  requestId?: string | undefined;
  /** When the credential stops being valid (ms since the epoch); unset for a key that never expires. */
  expiresAt?: number | undefined;
}

/** The permissions the actor holds. */
export function permissionsOf(actor: Actor): ReadonlySet<Permission> {
  return actor.permissions ?? ROLE_PERMISSIONS[actor.role];
}

export function hasPermission(actor: Actor, permission: Permission): boolean {
  return permissionsOf(actor).has(permission);
}

/** Refuses (FORBIDDEN, naming the permission) unless the actor holds `permission`. */
export function requirePermission(actor: Actor, permission: Permission): void {
  if (!hasPermission(actor, permission)) {
    throw new DomainError('FORBIDDEN', `This needs the ${permission} permission.`, {
      required: permission,
      role: actor.role,
    });
  }
}

export function scopeOf(actor: Actor): TenantScope {
  return { tenantId: actor.tenantId, userId: actor.userId };
}
