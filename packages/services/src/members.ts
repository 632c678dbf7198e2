import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { customRoles, memberships, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import { isUuid } from '@minefleet/domain/names';
import { ROLE_PERMISSIONS, memberPermissions } from '@minefleet/domain/permissions';
import { roleAtLeast, type Role } from '@minefleet/domain/roles';
import { permissionsOf, requirePermission, scopeOf, type Actor } from './actor.js';
import type { AuthCache } from './auth-cache.js';
import { offsetOf, toPage, type Page, type PageRequest } from './pagination.js';
import { isEmailVerified } from './verified.js';

export interface MemberRecord {
  userId: string;
  email: string;
  displayName: string;
  /** The built-in role (`viewer` underneath a custom role). */
  role: Role;
  /** The custom role deciding what the member holds, if they have one. */
  customRole: { id: string; name: string } | null;
  createdAt: Date;
}

/** A role to give a member: a built-in one by name, or a custom role of the tenant by id. */
export type RoleAssignment =
  { role: Role; customRoleId?: undefined } | { role?: undefined; customRoleId: string };

const memberColumns = {
  userId: memberships.userId,
  email: users.email,
  displayName: users.displayName,
  role: memberships.role,
  customRoleId: memberships.customRoleId,
  customRoleName: customRoles.name,
  createdAt: memberships.createdAt,
};

function toRecord(row: {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  customRoleId: string | null;
  customRoleName: string | null;
  createdAt: Date;
}): MemberRecord {
  const { customRoleId, customRoleName, ...rest } = row;
  return {
    ...rest,
    customRole: customRoleId === null ? null : { id: customRoleId, name: customRoleName ?? '' },
  };
}

/**
 * Members of a tenant and their roles. member.read lists; member.create, member.update and member.delete
 * (owners) change membership, never giving a role that holds more than the caller.
 */
export class MemberService {
  constructor(
    private readonly db: Database,
    private readonly authCache: AuthCache,
  ) {}

  async list(actor: Actor, page: PageRequest): Promise<Page<MemberRecord>> {
    return this.db.tenant(scopeOf(actor), async (tx) => {
      const rows = await tx
        .select({ item: memberColumns, total: sql<number>`count(*) over ()` })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .leftJoin(customRoles, eq(customRoles.id, memberships.customRoleId))
        .orderBy(asc(memberships.createdAt))
        .limit(page.perPage)
        .offset(offsetOf(page));
      return toPage(
        rows.map((r) => ({ item: toRecord(r.item), total: r.total })),
        async () => Number((await tx.select({ n: sql<number>`count(*)` }).from(memberships))[0]?.n ?? 0),
      );
    });
  }

  /** Adds an existing user (by email) to the tenant, with a built-in or custom role. */
  async add(actor: Actor, input: { email: string } & RoleAssignment): Promise<MemberRecord> {
    requirePermission(actor, 'member.create');
    const email = input.email.trim().toLowerCase();
    // The user is not a member yet, so row-level security hides them from a tenant transaction.
    const user = await this.db.system(
      async (tx) => (await tx.select().from(users).where(eq(users.email, email)).limit(1))[0],
    );
    // An address without an account and one whose owner has not proved it answer alike: the second would
    // otherwise tell a tenant's administrators that someone signed up with an address they do not hold.
    if (!user || !(await isEmailVerified(this.db, user.id))) {
      throw new DomainError(
        'USER_NOT_FOUND',
        'No verified account has this email; they must sign up and verify their address first.',
      );
    }
    try {
      return await this.db.tenant(scopeOf(actor), async (tx) => {
        const target = await this.resolve(tx, actor, input);
        const [row] = await tx
          .insert(memberships)
          .values({
            tenantId: actor.tenantId,
            userId: user.id,
            role: target.role,
            customRoleId: target.customRole?.id ?? null,
          })
          .returning();
        return {
          userId: user.id,
          email: user.email,
          displayName: user.displayName,
          role: row!.role,
          customRole: target.customRole,
          createdAt: row!.createdAt,
        };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('MEMBER_EXISTS', 'This user is already a member.');
      throw error;
    }
  }

  /** Gives a member a built-in role or a custom role (which replaces whatever they held). */
  async update(actor: Actor, userId: string, assignment: RoleAssignment): Promise<MemberRecord> {
    requirePermission(actor, 'member.update');
    // Read before the tenant transaction (one connection at a time on the embedded database).
    const verified = await isEmailVerified(this.db, userId);
    return this.db
      .tenant(scopeOf(actor), async (tx) => {
        const current = await this.find(tx, userId);
        const { role, customRole } = await this.resolve(tx, actor, assignment);
        const promoted = customRole
          ? customRole.id !== current.customRole?.id
          : role !== current.role && (current.customRole !== null || roleAtLeast(role, current.role));
        if (promoted && !verified) {
          throw new DomainError('EMAIL_NOT_VERIFIED', 'This user has not verified their email address yet.', {
            user_id: userId,
          });
        }
        if (current.role === 'owner' && role !== 'owner') await this.assertAnotherOwner(tx, userId);
        await tx
          .update(memberships)
          .set({ role, customRoleId: customRole?.id ?? null })
          .where(eq(memberships.userId, userId));
        return { ...current, role, customRole };
      })
      .finally(() => this.authCache.forgetMember(actor.tenantId, userId));
  }

  async remove(actor: Actor, userId: string): Promise<void> {
    requirePermission(actor, 'member.delete');
    await this.db
      .tenant(scopeOf(actor), async (tx) => {
        const current = await this.find(tx, userId);
        if (current.role === 'owner') await this.assertAnotherOwner(tx, userId);
        await tx.delete(memberships).where(eq(memberships.userId, userId));
      })
      .finally(() => this.authCache.forgetMember(actor.tenantId, userId));
  }

  private async find(tx: Tx, userId: string): Promise<MemberRecord> {
    const [row] = await tx
      .select(memberColumns)
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .leftJoin(customRoles, eq(customRoles.id, memberships.customRoleId))
      .where(eq(memberships.userId, userId))
      .limit(1);
    if (!row) throw new DomainError('MEMBER_NOT_FOUND', 'This user is not a member of the tenant.');
    return toRecord(row);
  }

  /**
   * The role an assignment names (a custom role of this tenant: row-level security hides the others),
   * refused (FORBIDDEN) when it holds a permission the caller lacks. A custom role sits on `viewer`.
   */
  private async resolve(
    tx: Tx,
    actor: Actor,
    assignment: RoleAssignment,
  ): Promise<{ role: Role; customRole: { id: string; name: string } | null }> {
    let target: { role: Role; customRole: { id: string; name: string } | null };
    let grants;
    if (assignment.customRoleId !== undefined) {
      const id = assignment.customRoleId;
      if (!isUuid(id)) throw new DomainError('INVALID_ID', 'The role id is not a UUID.', { id });
      const [row] = await tx
        .select({ id: customRoles.id, name: customRoles.name, permissions: customRoles.permissions })
        .from(customRoles)
        .where(eq(customRoles.id, id));
      if (!row) throw new DomainError('ROLE_NOT_FOUND', 'No such custom role.', { id });
      target = { role: 'viewer', customRole: { id: row.id, name: row.name } };
      grants = memberPermissions('viewer', row.permissions);
    } else {
      target = { role: assignment.role, customRole: null };
      grants = ROLE_PERMISSIONS[assignment.role];
    }
    const held = permissionsOf(actor);
    const missing = [...grants].find((p) => !held.has(p));
    if (missing) {
      throw new DomainError('FORBIDDEN', `That role holds ${missing}, which you do not.`, {
        required: missing,
        role: actor.role,
      });
    }
    return target;
  }

  /** Locks the owners so two concurrent demotions cannot leave the tenant with none. */
  private async assertAnotherOwner(tx: Tx, leaving: string): Promise<void> {
    const owners = await tx
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.role, 'owner')))
      .for('update');
    if (!owners.some((o) => o.userId !== leaving)) {
      throw new DomainError('LAST_OWNER', 'The tenant must keep at least one owner.');
    }
  }
}
