import { and, asc, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '@minefleet/db/database';
import { isUniqueViolation } from '@minefleet/db/migrate';
import { memberships, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Role } from '@minefleet/domain/roles';
import { requireRole, scopeOf, type Actor } from './actor.js';
import type { AuthCache } from './auth-cache.js';
import { offsetOf, toPage, type Page, type PageRequest } from './pagination.js';

export interface MemberRecord {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  createdAt: Date;
}

const memberColumns = {
  userId: memberships.userId,
  email: users.email,
  displayName: users.displayName,
  role: memberships.role,
  createdAt: memberships.createdAt,
};

/** Members of a tenant and their roles. Everyone can list; only owners change membership. */
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
        .orderBy(asc(memberships.createdAt))
        .limit(page.perPage)
        .offset(offsetOf(page));
      return toPage(rows, async () =>
        Number((await tx.select({ n: sql<number>`count(*)` }).from(memberships))[0]?.n ?? 0),
      );
    });
  }

  /** Adds an existing user (by email) to the tenant. */
  async add(actor: Actor, input: { email: string; role: Role }): Promise<MemberRecord> {
    requireRole(actor, 'owner');
    const email = input.email.trim().toLowerCase();
    // The user is not a member yet, so row-level security hides them from a tenant transaction.
    const user = await this.db.system(
      async (tx) => (await tx.select().from(users).where(eq(users.email, email)).limit(1))[0],
    );
    if (!user) throw new DomainError('USER_NOT_FOUND', 'No user has this email; they must sign up first.');
    try {
      return await this.db.tenant(scopeOf(actor), async (tx) => {
        const [row] = await tx
          .insert(memberships)
          .values({ tenantId: actor.tenantId, userId: user.id, role: input.role })
          .returning();
        return {
          userId: user.id,
          email: user.email,
          displayName: user.displayName,
          role: row!.role,
          createdAt: row!.createdAt,
        };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('MEMBER_EXISTS', 'This user is already a member.');
      throw error;
    }
  }

  async update(actor: Actor, userId: string, role: Role): Promise<MemberRecord> {
    requireRole(actor, 'owner');
    return this.db
      .tenant(scopeOf(actor), async (tx) => {
        const current = await this.find(tx, userId);
        if (current.role === 'owner' && role !== 'owner') await this.assertAnotherOwner(tx, userId);
        await tx.update(memberships).set({ role }).where(eq(memberships.userId, userId));
        return { ...current, role };
      })
      .finally(() => this.authCache.forgetMember(actor.tenantId, userId));
  }

  async remove(actor: Actor, userId: string): Promise<void> {
    requireRole(actor, 'owner');
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
      .where(eq(memberships.userId, userId))
      .limit(1);
    if (!row) throw new DomainError('MEMBER_NOT_FOUND', 'This user is not a member of the tenant.');
    return row;
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
