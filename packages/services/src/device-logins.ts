import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { and, count, eq, gt, isNotNull, isNull, lte } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { deviceLogins } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import { DomainError, type ErrorCode } from '@minefleet/domain/errors';

/** What the browser's sign-in produced for the waiting command line. */
export type DeviceOutcome<Body> =
  | { kind: 'session'; body: Body }
  | { kind: 'error'; code: ErrorCode; message: string; details?: Record<string, unknown> };

/** How long the command line waits for the browser. */
export const DEVICE_TTL_MS = 10 * 60_000;
/** Seconds the command line waits between polls. */
export const DEVICE_POLL_SECONDS = 2;
/** Waiting sign-ins per client address, and in all. */
export const MAX_PENDING_PER_ADDRESS = 10;
export const MAX_PENDING = 10_000;

const hash = (s: string) => createHash('sha256').update(s).digest('hex');

const unknownLogin = () =>
  new DomainError('LINK_INVALID', 'This command-line sign-in is unknown or expired; start again.');

/**
 * Command-line single sign-on (docs/security.md, "Single sign-on"): the CLI gets a secret to poll
 * with and a public id that travels in the browser's sign-in URL; the browser's callback leaves the
 * outcome under the id, and the next poll with the secret takes it, once. Kept in the database
 * (`device_logins`), so the start, the callback and the polls may reach different replicas. Only a
 * SHA-256 of the secret is stored, and the outcome (a session token, or an `mfa_token`) is sealed
 * with AES-256-GCM under a key derived from the JWT secret, so a database dump hands out no session.
 */
export class DeviceLogins<Body> {
  private readonly key: Buffer;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    jwtSecret: string,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', jwtSecret, 'minefleet', 'device-login', 32));
  }

  /** A new waiting sign-in; RATE_LIMITED when the address (or everyone) has too many waiting. */
  async create(provider: string, ip: string): Promise<{ id: string; secret: string; expiresAt: Date }> {
    const now = new Date(this.clock.now());
    const id = randomBytes(16).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + DEVICE_TTL_MS);
    await this.db.system(async (tx) => {
      // Expired rows go as new ones come: the table holds minutes of sign-ins.
      await tx.delete(deviceLogins).where(lte(deviceLogins.expiresAt, now));
      const [mine] = await tx
        .select({ n: count() })
        .from(deviceLogins)
        .where(and(eq(deviceLogins.ip, ip), gt(deviceLogins.expiresAt, now)));
      const [all] = await tx.select({ n: count() }).from(deviceLogins);
      if ((mine?.n ?? 0) >= MAX_PENDING_PER_ADDRESS || (all?.n ?? 0) >= MAX_PENDING) {
        throw new DomainError(
          'RATE_LIMITED',
          'Too many command-line sign-ins are waiting; finish one or try again in a few minutes.',
          { retry_after_seconds: DEVICE_TTL_MS / 1000 },
        );
      }
      await tx.insert(deviceLogins).values({ id, secretHash: hash(secret), provider, ip, expiresAt });
    });
    return { id, secret, expiresAt };
  }

  /** Whether `id` names a waiting sign-in with this provider (checked before sending the browser on). */
  async waiting(id: string, provider: string): Promise<boolean> {
    const [row] = await this.db.system((tx) =>
      tx
        .select({ id: deviceLogins.id })
        .from(deviceLogins)
        .where(
          and(
            eq(deviceLogins.id, id),
            eq(deviceLogins.provider, provider),
            isNull(deviceLogins.outcome),
            gt(deviceLogins.expiresAt, new Date(this.clock.now())),
          ),
        ),
    );
    return row !== undefined;
  }

  /** Leaves the browser's outcome for the command line, once; false when it no longer waits. */
  async complete(id: string, outcome: DeviceOutcome<Body>): Promise<boolean> {
    const rows = await this.db.system((tx) =>
      tx
        .update(deviceLogins)
        .set({ outcome: this.seal(outcome) })
        .where(
          and(
            eq(deviceLogins.id, id),
            isNull(deviceLogins.outcome),
            gt(deviceLogins.expiresAt, new Date(this.clock.now())),
          ),
        )
        .returning({ id: deviceLogins.id }),
    );
    return rows.length > 0;
  }

  /** The outcome, once; DEVICE_LOGIN_PENDING while the browser is not done; LINK_INVALID when unknown. */
  async take(secret: string): Promise<DeviceOutcome<Body>> {
    const secretHash = hash(secret);
    const now = new Date(this.clock.now());
    // One conditional DELETE: of two polls racing for the outcome, only one gets it.
    const [taken] = await this.db.system((tx) =>
      tx
        .delete(deviceLogins)
        .where(
          and(
            eq(deviceLogins.secretHash, secretHash),
            isNotNull(deviceLogins.outcome),
            gt(deviceLogins.expiresAt, now),
          ),
        )
        .returning({ outcome: deviceLogins.outcome }),
    );
    if (taken?.outcome) return this.open(taken.outcome);
    const [waiting] = await this.db.system((tx) =>
      tx
        .select({ id: deviceLogins.id })
        .from(deviceLogins)
        .where(and(eq(deviceLogins.secretHash, secretHash), gt(deviceLogins.expiresAt, now))),
    );
    if (!waiting) throw unknownLogin();
    throw new DomainError('DEVICE_LOGIN_PENDING', 'Finish the sign-in in the browser.', {
      interval: DEVICE_POLL_SECONDS,
    });
  }

  private seal(outcome: DeviceOutcome<Body>): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(outcome), 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  private open(sealed: string): DeviceOutcome<Body> {
    try {
      const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv!);
      decipher.setAuthTag(tag!);
      return JSON.parse(
        Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8'),
      ) as DeviceOutcome<Body>;
    } catch {
      // Sealed under another JWT secret (it changed while the sign-in waited): start again.
      throw unknownLogin();
    }
  }
}
