import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { apiKeys } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import { roleAtLeast } from '@minefleet/domain/roles';
import { scopeOf, type Actor } from './actor.js';
import type { AuthCache } from './auth-cache.js';
import { generateApiKey } from './tokens.js';
import { offsetOf, toPage, type Page, type PageRequest } from './pagination.js';

export type ApiKeyRecord = Omit<typeof apiKeys.$inferSelect, 'keyHash'>;

export const API_KEY_NAME_MAX = 100;
/** How many live keys one user may hold in one tenant. */
export const API_KEYS_PER_USER = 50;

/**
 * API keys act as the user who made them, with that user's role in the tenant. The key is shown once;
 * only its SHA-256 is stored. Admins see and revoke every key of the tenant; others only their own.
 */
export class ApiKeyService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly authCache: AuthCache,
  ) {}

  async create(
    actor: Actor,
    input: { name: string; expiresAt?: Date | undefined },
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
          expiresAt: input.expiresAt ?? null,
        })
        .returning();
      return row!;
    });
    const { keyHash: _hidden, ...publicRecord } = record;
    return { record: publicRecord, key: generated.key };
  }

  async list(actor: Actor, page: PageRequest): Promise<Page<ApiKeyRecord>> {
    const mine = roleAtLeast(actor.role, 'admin') ? undefined : eq(apiKeys.userId, actor.userId);
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
    const mine = roleAtLeast(actor.role, 'admin') ? undefined : eq(apiKeys.userId, actor.userId);
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
