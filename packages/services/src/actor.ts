import { DomainError } from '@minefleet/domain/errors';
import { roleAtLeast, type Role } from '@minefleet/domain/roles';
import type { TenantScope } from '@minefleet/db/database';

/** Who is acting: an authenticated user (by session or API key) in one tenant, with their role there. */
export interface Actor {
  userId: string;
  tenantId: string;
  role: Role;
  /** Set when the request authenticated with an API key. */
  apiKeyId?: string | undefined;
  /** Correlates the actor's request with logs and runtime operations. */
  requestId?: string | undefined;
  /** When the credential stops being valid (ms since the epoch); unset for a key that never expires. */
  expiresAt?: number | undefined;
}

export function requireRole(actor: Actor, minimum: Role): void {
  if (!roleAtLeast(actor.role, minimum)) {
    throw new DomainError('FORBIDDEN', `This needs the ${minimum} role; you are ${actor.role}.`, {
      required: minimum,
      role: actor.role,
    });
  }
}

export function scopeOf(actor: Actor): TenantScope {
  return { tenantId: actor.tenantId, userId: actor.userId };
}
