import { isIP } from 'node:net';

/**
 * Configuration of accounts, sessions, email and sign-in limits, read by `loadConfig`. Every variable
 * is in README.md's table and docs/security.md.
 */
export interface IdentityConfig {
  /** SMTP server for verification and reset mail; unset: messages are written to the log. */
  smtpUrl: string | undefined;
  /** The From: address of that mail. */
  mailFrom: string;
  /** A session unused this long ends (seconds). */
  sessionIdleSeconds: number;
  /** No session lives longer than this, refreshed or not (seconds). */
  sessionMaxSeconds: number;
  /** Sign-in attempts per minute from one address (any email). */
  loginPerAddressPerMinute: number;
  /** Sign-in attempts per minute for one email / account (from any address). */
  loginPerAccountPerMinute: number;
  /**
   * Which peers may set `X-Forwarded-For` (addresses or CIDRs), handed to Fastify's `trustProxy`;
   * `false`: no one, the peer address is the client's.
   */
  trustedProxies: string[] | false;
  /** Set when the deprecated MINEFLEET_TRUST_PROXY=1 was turned into a proxy list (logged at start). */
  trustProxyDeprecated: boolean;
  /**
   * Passkeys (WebAuthn): the RP ID and the origins a browser may answer from. Unset, both come from
   * the public URL (its host name; its origin), read when a ceremony starts.
   */
  webauthn: { rpId: string | undefined; rpName: string; origins: string[] | undefined };
}

/** `https://mc.example.com`: a bare origin, scheme and host (and port), nothing after. */
function parseOrigins(raw: string): string[] | undefined {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) return undefined;
  for (const entry of entries) {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
      throw new IdentityConfigError(
        `MINEFLEET_WEBAUTHN_ORIGINS: "${entry}" is not an origin like https://mc.example.com.`,
      );
    }
  }
  return entries.map((e) => new URL(e).origin);
}

function parseRpId(raw: string | undefined): string | undefined {
  const rpId = raw?.trim().toLowerCase();
  if (!rpId) return undefined;
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(rpId) || rpId.length > 253) {
    throw new IdentityConfigError(
      `MINEFLEET_WEBAUTHN_RP_ID: "${raw}" is not a host name like mc.example.com.`,
    );
  }
  return rpId;
}

export class IdentityConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new IdentityConfigError(`${name} must be an integer from ${min} to ${max} (got "${raw}").`);
  }
  return value;
}

/** `10.0.0.0/8`, `127.0.0.1`, `::1`, `fd00::/8`: checked here so a typo fails at start, not silently. */
export function parseCidrList(raw: string, name: string): string[] {
  const entries = raw
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  for (const entry of entries) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const max = family === 4 ? 32 : 128;
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= max);
    if (family === 0 || !bitsOk || extra !== undefined) {
      throw new IdentityConfigError(`${name}: "${entry}" is not an IP address or CIDR block.`);
    }
  }
  return entries;
}

/** The private and loopback ranges MINEFLEET_TRUST_PROXY=1 used to mean in practice. */
const LEGACY_TRUSTED = [
  '127.0.0.0/8',
  '::1/128',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  'fc00::/7',
];

export function loadIdentityConfig(env: NodeJS.ProcessEnv): IdentityConfig {
  const listed = (env.MINEFLEET_TRUSTED_PROXIES ?? '').trim();
  let trustedProxies: string[] | false = false;
  let trustProxyDeprecated = false;
  if (listed !== '') trustedProxies = parseCidrList(listed, 'MINEFLEET_TRUSTED_PROXIES');
  else if (env.MINEFLEET_TRUST_PROXY === '1') {
    // It used to trust X-Forwarded-For from any peer, so any client could pick its own address.
    trustedProxies = LEGACY_TRUSTED;
    trustProxyDeprecated = true;
  }
  return {
    smtpUrl: env.MINEFLEET_SMTP_URL?.trim() || undefined,
    mailFrom: env.MINEFLEET_MAIL_FROM?.trim() || 'Minefleet <no-reply@localhost>',
    sessionIdleSeconds: int(env, 'MINEFLEET_SESSION_IDLE_SECONDS', 7 * 24 * 3600, 60, 365 * 24 * 3600),
    sessionMaxSeconds: int(env, 'MINEFLEET_SESSION_MAX_SECONDS', 30 * 24 * 3600, 60, 365 * 24 * 3600),
    loginPerAddressPerMinute: int(env, 'MINEFLEET_LOGIN_RATE_LIMIT_PER_ADDRESS', 30, 1, 1_000_000),
    loginPerAccountPerMinute: int(env, 'MINEFLEET_LOGIN_RATE_LIMIT_PER_ACCOUNT', 20, 1, 1_000_000),
    trustedProxies,
    trustProxyDeprecated,
    webauthn: {
      rpId: parseRpId(env.MINEFLEET_WEBAUTHN_RP_ID),
      rpName: env.MINEFLEET_WEBAUTHN_RP_NAME?.trim().slice(0, 64) || 'Minefleet',
      origins: parseOrigins(env.MINEFLEET_WEBAUTHN_ORIGINS ?? ''),
    },
  };
}
