import { asc, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { customRoles, memberships } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import {
  CUSTOM_ROLE_PERMISSIONS,
  PERMISSIONS,
  isPermission,
  type Permission,
} from '@minefleet/domain/permissions';
import { ROLES } from '@minefleet/domain/roles';
import { permissionsOf, requirePermission, scopeOf, type Actor } from './actor.js';
import type { AuthCache } from './auth-cache.js';

export interface CustomRoleRecord {
  id: string;
  name: string;
  permissions: Permission[];
  /** How many members hold the role. */
  members: number;
  createdAt: Date;
  updatedAt: Date;
}

export const ROLE_NAME_MAX = 50;
/** How many custom roles one tenant may define. */
export const CUSTOM_ROLES_PER_TENANT = 50;

/**
 * A tenant's custom roles: a name and a set of permission keys, given to members instead of a built-in
 * role (docs/security.md, "Custom roles"). Managing them needs role.manage, and a manager can neither
 * put into a role, nor change or delete a role holding, a permission they lack themselves. A custom role
 * carries at most the admin role's permissions: members, roles of members and the tenant's security stay
 * with owners. A role still held by a member cannot be deleted (ROLE_IN_USE).
 */
export class RoleService {
  constructor(
    private readonly db: Database,
    private readonly authCache: AuthCache,
  ) {}

  async list(actor: Actor): Promise<CustomRoleRecord[]> {
    requirePermission(actor, 'member.read');
    return this.db.tenant(scopeOf(actor), (tx) => this.select(tx));
  }

  async get(actor: Actor, id: string): Promise<CustomRoleRecord> {
    requirePermission(actor, 'member.read');
    return this.db.tenant(scopeOf(actor), (tx) => this.find(tx, id));
  }

  async create(
    actor: Actor,
    input: { name: string; permissions: readonly string[] },
  ): Promise<CustomRoleRecord> {
    requirePermission(actor, 'role.manage');
    const name = assertRoleName(input.name);
    const permissions = this.grantable(actor, input.permissions);
    return this.unique(name, () =>
      this.db.tenant(scopeOf(actor), async (tx) => {
        const [count] = await tx.select({ n: sql<number>`count(*)` }).from(customRoles);
        if (Number(count?.n ?? 0) >= CUSTOM_ROLES_PER_TENANT) {
          throw new DomainError(
            'QUOTA_EXCEEDED',
            `A team can define at most ${CUSTOM_ROLES_PER_TENANT} custom roles.`,
            { limit: CUSTOM_ROLES_PER_TENANT },
          );
        }
        const [row] = await tx
          .insert(customRoles)
          .values({ tenantId: actor.tenantId, name, permissions })
          .returning();
        return { ...row!, permissions, members: 0 };
      }),
    );
  }

  /** Renames a role and/or replaces its permissions; its members hold the new set at once. */
  async update(
    actor: Actor,
    id: string,
    patch: { name?: string | undefined; permissions?: readonly string[] | undefined },
  ): Promise<CustomRoleRecord> {
    requirePermission(actor, 'role.manage');
    const name = patch.name === undefined ? undefined : assertRoleName(patch.name);
    const permissions =
      patch.permissions === undefined ? undefined : this.grantable(actor, patch.permissions);
    return this.unique(name ?? '', () =>
      this.db.tenant(scopeOf(actor), async (tx) => {
        const current = await this.find(tx, id, true);
        this.assertCovers(actor, current);
        const set = {
          updatedAt: new Date(),
          ...(name !== undefined && { name }),
          ...(permissions && { permissions }),
        };
        await tx.update(customRoles).set(set).where(eq(customRoles.id, current.id));
        return { ...current, ...set };
      }),
    ).finally(() => this.authCache.forgetTenant(actor.tenantId));
  }

  /** Deletes a role no member holds; one still held is refused with ROLE_IN_USE (details: `members`). */
  async delete(actor: Actor, id: string): Promise<void> {
    requirePermission(actor, 'role.manage');
    await this.db
      .tenant(scopeOf(actor), async (tx) => {
        const current = await this.find(tx, id, true);
        this.assertCovers(actor, current);
        if (current.members > 0) {
          throw new DomainError(
            'ROLE_IN_USE',
            `${current.members} member(s) hold the role "${current.name}"; give them another role first.`,
            { id: current.id, members: current.members },
          );
        }
        await tx.delete(customRoles).where(eq(customRoles.id, current.id));
      })
      .finally(() => this.authCache.forgetTenant(actor.tenantId));
  }

  /** The role (in the actor's tenant: row-level security hides the others), or ROLE_NOT_FOUND. */
  async find(tx: Tx, id: string, lock = false): Promise<CustomRoleRecord> {
    if (!isUuid(id)) throw new DomainError('INVALID_ID', 'The role id is not a UUID.', { id });
    const [row] = await this.select(tx, id, lock);
    if (!row) throw new DomainError('ROLE_NOT_FOUND', 'No such custom role.', { id });
    return row;
  }

  private async select(tx: Tx, id?: string, lock = false): Promise<CustomRoleRecord[]> {
    const query = tx
      .select({
        id: customRoles.id,
        name: customRoles.name,
        permissions: customRoles.permissions,
        createdAt: customRoles.createdAt,
        updatedAt: customRoles.updatedAt,
        members: sql<number>`(select count(*) from ${memberships} where ${memberships.customRoleId} = ${customRoles.id})`,
      })
      .from(customRoles)
      .where(id === undefined ? undefined : eq(customRoles.id, id))
      .orderBy(asc(sql`lower(${customRoles.name})`));
    const rows = lock ? await query.for('update', { of: customRoles }) : await query;
    return rows.map((r) => ({
      ...r,
      members: Number(r.members),
      permissions: r.permissions.filter(isPermission),
    }));
  }

  /**
   * The permissions a role may be given by this actor: known keys, each one a custom role may carry
   * (VALIDATION_FAILED otherwise) and each held by the actor (FORBIDDEN otherwise). Sorted in catalogue
   * order, without duplicates.
   */
  private grantable(actor: Actor, requested: readonly string[]): Permission[] {
    const held = permissionsOf(actor);
    const unique = new Set(requested);
    for (const permission of unique) {
      if (!isPermission(permission)) {
        throw new DomainError('VALIDATION_FAILED', `Unknown permission "${permission}".`, {
          field: 'permissions',
          permission,
        });
      }
      if (!CUSTOM_ROLE_PERMISSIONS.has(permission)) {
        throw new DomainError(
          'VALIDATION_FAILED',
          `${permission} stays with owners: a custom role cannot carry it.`,
          { field: 'permissions', permission },
        );
      }
      if (!held.has(permission)) {
        throw new DomainError('FORBIDDEN', `You do not hold ${permission}, so no role you make can.`, {
          required: permission,
          role: actor.role,
        });
      }
    }
    return PERMISSIONS.filter((p) => unique.has(p));
  }

  /** A role holding a permission the actor lacks is out of their reach (they could not have made it). */
  private assertCovers(actor: Actor, role: CustomRoleRecord): void {
    const held = permissionsOf(actor);
    const missing = role.permissions.find((p) => !held.has(p));
    if (missing) {
      throw new DomainError(
        'FORBIDDEN',
        `The role holds ${missing}, which you do not: you cannot change it.`,
        {
          required: missing,
          role: actor.role,
        },
      );
    }
  }

  private async unique<T>(name: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new DomainError('ROLE_EXISTS', `The team already has a role named "${name}".`, { name });
      }
      throw error;
    }
  }
}

/** A role's name: 1–50 characters once trimmed, no control characters, not a built-in role's name. */
export function assertRoleName(input: string): string {
  const name = input.trim();
  if (name.length === 0 || name.length > ROLE_NAME_MAX || /\p{Cc}/u.test(name)) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `A role name is 1–${ROLE_NAME_MAX} characters, without control characters.`,
      { field: 'name' },
    );
  }
  if ((ROLES as readonly string[]).includes(name.toLowerCase())) {
    throw new DomainError('ROLE_EXISTS', `"${name}" is a built-in role.`, { name });
  }
  return name;
}
