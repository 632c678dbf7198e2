import { sql } from 'drizzle-orm';
import type { tenants, users } from '@minefleet/db/schema';
import { DomainError } from '@minefleet/domain/errors';
import type { AttemptLimiter } from './attempt-limiter.js';

/** The records and helpers the account services share: sign-in, request authentication, the account. */

export type UserRecord = Omit<typeof users.$inferSelect, 'passwordHash'>;
export type TenantRecord = typeof tenants.$inferSelect;

export interface RequestContext {
  ip?: string | undefined;
  requestId?: string | undefined;
  /** The client's User-Agent: names the device in the session list. */
  userAgent?: string | undefined;
}

/** Sign-in attempt limits (per minute): per client address and per account (email). */
export interface SignInLimits {
  limiter: AttemptLimiter;
  perAddress: number;
  perAccount: number;
}

/** The second sign-in step (TwoFactorService). */
export interface SecondFactor {
  enabled(userId: string): Promise<boolean>;
  /** What the second step accepts for this account: `totp`, `passkey`, `recovery_code`. */
  methods(userId: string): Promise<string[]>;
  verifySecondFactor(userId: string, code: string, ctx: { ip?: string | undefined }): Promise<void>;
}

export function ssoRequired(tenantId: string): DomainError {
  return new DomainError(
    'SSO_REQUIRED',
    'This team accepts only single sign-on: use its "Sign in with" button or minefleet login --sso.',
    { tenant_id: tenantId },
  );
}

const EMAIL_RE = /^[^\s@"<>()[\]\\,;:]+@[^\s@"<>()[\]\\,;:]+\.[^\s@"<>()[\]\\,;:]{2,}$/;

export function normaliseEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (email.length > 254 || !EMAIL_RE.test(email)) {
    throw new DomainError('INVALID_EMAIL', 'The email address is not valid.', { field: 'email' });
  }
  return email;
}

/** Whether the user of the row has a passkey: with TOTP, what a "two-factor required" policy counts. */
export function hasPasskey() {
  // Spelled out: drizzle writes a column inside `sql` without its table, which the subquery would
  // read as its own.
  return sql<boolean>`exists (select 1 from "passkeys" where "passkeys"."user_id" = "users"."id")`.mapWith(
    Boolean,
  );
}

export function publicUser(row: typeof users.$inferSelect): UserRecord {
  const { passwordHash: _hidden, ...rest } = row;
  return rest;
}
