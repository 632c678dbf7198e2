import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { apiKeys } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import { isPermission, type Permission } from '@minefleet/domain/permissions';
import { hasPermission, permissionsOf, scopeOf, type Actor } from './actor.js';
import type { AuthCache } from './auth-cache.js';
import { generateApiKey } from './tokens.js';
import { offsetOf, toPage, type Page, type PageRequest } from './pagination.js';
import { assertEmailVerified } from './verified.js';

export type ApiKeyRecord = Omit<typeof apiKeys.$inferSelect, 'keyHash'>;

export const API_KEY_NAME_MAX = 100;
/** How many live keys one user may hold in one tenant. */
export const API_KEYS_PER_USER = 50;

/**
 * API keys act as the user who made them, with that user's permissions in the tenant (or fewer). The key
 * is shown once; only its SHA-256 is stored. Holders of apikey.manage (admins) see and revoke every key of
 * the tenant; others only their own.
 */
export class ApiKeyService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly authCache: AuthCache,
  ) {}

  async create(
    actor: Actor,
    input: { name: string; expiresAt?: Date | undefined; permissions?: readonly string[] | undefined },
  ): Promise<{ record: ApiKeyRecord; key: string }> {
    const name = input.name.trim();
    if (name.length === 0 || name.length > API_KEY_NAME_MAX) {
      throw new DomainError('VALIDATION_FAILED', `A key name is 1–${API_KEY_NAME_MAX} characters.`, {
        field: 'name',
      });
    }
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now()) {
      throw new DomainError('VALIDATION_FAILED', 'expires_at must be in the future.', {
        field: 'expires_at',
      });
    }
    const permissions = input.permissions ? this.grantable(actor, input.permissions) : null;
    await assertEmailVerified(this.db, actor.userId, 'Verify your email address before creating API keys.');
    const generated = generateApiKey();
    const record = await this.db.tenant(scopeOf(actor), async (tx) => {
      const [count] = await tx
        .select({ n: sql<number>`count(*)` })
        .from(apiKeys)
        .where(and(eq(apiKeys.userId, actor.userId), isNull(apiKeys.revokedAt)));
      if (Number(count?.n ?? 0) >= API_KEYS_PER_USER) {
        throw new DomainError(
          'QUOTA_EXCEEDED',
          `You can hold at most ${API_KEYS_PER_USER} API keys in a tenant.`,
          {
            limit: API_KEYS_PER_USER,
          },
        );
      }
      const [row] = await tx
        .insert(apiKeys)
        .values({
          tenantId: actor.tenantId,
          userId: actor.userId,
          name,
          prefix: generated.prefix,
          keyHash: generated.hash,
          permissions,
          expiresAt: input.expiresAt ?? null,
        })
        .returning();
      return row!;
    });
    const { keyHash: _hidden, ...publicRecord } = record;
    return { record: publicRecord, key: generated.key };
  }

  /**
   * The permissions a new key may carry: known ones, each held by the caller (a key made with a key
   * holds at most what that key holds). Never more than the creator: 403 otherwise.
   */
  private grantable(actor: Actor, requested: readonly string[]): Permission[] {
    const held = permissionsOf(actor);
    const unique = [...new Set(requested)];
    for (const permission of unique) {
      if (!isPermission(permission)) {
        throw new DomainError('VALIDATION_FAILED', `Unknown permission "${permission}".`, {
          field: 'permissions',
          permission,
        });
      }
      if (!held.has(permission)) {
        throw new DomainError('FORBIDDEN', `You do not hold ${permission}, so no key of yours can.`, {
          required: permission,
          role: actor.role,
        });
      }
    }
    return unique as Permission[];
  }

  async list(actor: Actor, page: PageRequest): Promise<Page<ApiKeyRecord>> {
    const mine = hasPermission(actor, 'apikey.manage') ? undefined : eq(apiKeys.userId, actor.userId);
    const where = and(isNull(apiKeys.revokedAt), mine);
    return this.db.tenant(scopeOf(actor), async (tx) => {
      const rows = await tx
        .select({
          item: {
            id: apiKeys.id,
            tenantId: apiKeys.tenantId,
            userId: apiKeys.userId,
            name: apiKeys.name,
            prefix: apiKeys.prefix,
            permissions: apiKeys.permissions,
            createdAt: apiKeys.createdAt,
            expiresAt: apiKeys.expiresAt,
            revokedAt: apiKeys.revokedAt,
            lastUsedAt: apiKeys.lastUsedAt,
          },
          total: sql<number>`count(*) over ()`,
        })
        .from(apiKeys)
        .where(where)
        .orderBy(desc(apiKeys.createdAt))
        .limit(page.perPage)
        .offset(offsetOf(page));
      return toPage(rows, async () =>
        Number(
          (
            await tx
              .select({ n: sql<number>`count(*)` })
              .from(apiKeys)
              .where(where)
          )[0]?.n ?? 0,
        ),
      );
    });
  }

  /** Revokes a key (kept for the audit trail, never usable again). */
  async revoke(actor: Actor, id: string): Promise<void> {
    const mine = hasPermission(actor, 'apikey.manage') ? undefined : eq(apiKeys.userId, actor.userId);
    const revoked = await this.db.tenant(scopeOf(actor), (tx) =>
      tx
        .update(apiKeys)
        .set({ revokedAt: new Date(this.clock.now()) })
        .where(and(eq(apiKeys.id, id), isNull(apiKeys.revokedAt), mine))
        .returning({ id: apiKeys.id }),
    );
    this.authCache.forgetApiKey(id);
    if (revoked.length === 0) throw new DomainError('API_KEY_NOT_FOUND', 'No such API key.');
  }
}
