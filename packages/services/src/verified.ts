import { eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';

/**
 * Refuses with EMAIL_NOT_VERIFIED unless the user proved their email address. An unverified account
 * can sign in and use its own tenant, but cannot create API keys, be invited into another tenant or
 * be promoted (docs/security.md): an address typed by anyone must not open doors.
 */
export async function assertEmailVerified(db: Database, userId: string, message: string): Promise<void> {
  if (!(await isEmailVerified(db, userId)))
    throw new DomainError('EMAIL_NOT_VERIFIED', message, { user_id: userId });
}

export async function isEmailVerified(db: Database, userId: string): Promise<boolean> {
  // Users are not tenant rows: a system read by id.
  const [row] = await db.system((tx) =>
    tx.select({ verifiedAt: users.emailVerifiedAt }).from(users).where(eq(users.id, userId)).limit(1),
  );
  return Boolean(row?.verifiedAt);
}
