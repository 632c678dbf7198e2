import { hash, verify } from '@node-rs/argon2';
import { DomainError } from '@minefleet/domain/errors';

/** argon2id with the OWASP-recommended minimum (19 MiB, 2 passes). */
const OPTIONS = {
  // 2 is Algorithm.Argon2id (a const enum, which isolated modules cannot read).
  algorithm: 2,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 256;

/** Passwords seen at the top of every breach list; a hosting panel must refuse them. */
const COMMON = new Set([
  'password',
  'password1',
  'password123',
  '1234567890',
  '12345678910',
  'qwertyuiop',
  'iloveyou12',
  'minecraft1',
  'minecraft123',
  'administrator',
  'letmein123',
  'welcome123',
  'changeme123',
]);

export function assertStrongPassword(password: string, email?: string): void {
  const problems: string[] = [];
  if (password.length < PASSWORD_MIN_LENGTH) problems.push(`at least ${PASSWORD_MIN_LENGTH} characters`);
  if (password.length > PASSWORD_MAX_LENGTH) problems.push(`at most ${PASSWORD_MAX_LENGTH} characters`);
  if (new Set(password).size < 4) problems.push('at least 4 different characters');
  if (COMMON.has(password.toLowerCase())) problems.push('not a common password');
  if (
    email &&
    password.toLowerCase().includes(email.split('@')[0]!.toLowerCase()) &&
    email.split('@')[0]!.length >= 4
  ) {
    problems.push('not containing your email name');
  }
  if (problems.length > 0) {
    throw new DomainError('WEAK_PASSWORD', `The password must have ${problems.join(', ')}.`, {
      requirements: problems,
    });
  }
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(hashed: string, password: string): Promise<boolean> {
  try {
    return await verify(hashed, password);
  } catch {
    return false;
  }
}

/**
 * A real hash of a random password, verified against when the email is unknown, so that an unknown
 * email and a wrong password take the same time (no account enumeration by timing).
 */
export async function makeDummyHash(): Promise<string> {
  return hash(`dummy-${Math.random()}-${Date.now()}`, OPTIONS);
}
