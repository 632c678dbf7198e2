import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { DomainError } from '@minefleet/domain/errors';

/** What the browser carries from the start of a sign-in to its callback (sealed, in a cookie). */
export interface OidcFlow {
  /** Provider id. */
  p: string;
  /** `state`, `nonce` and the PKCE code verifier of this attempt. */
  s: string;
  n: string;
  v: string;
  /** When the attempt expires (ms since the epoch). */
  e: number;
  /** The command-line sign-in this attempt completes, if any (its public id). */
  d?: string;
}

export const FLOW_COOKIE = 'minefleet_oidc';
/** A sign-in at the provider must finish within this. */
export const FLOW_TTL_MS = 10 * 60_000;
const MAX_COOKIE = 2048;

/**
 * Seals a flow with AES-256-GCM under a key derived from the control plane's secret: the browser can
 * neither read the PKCE verifier nor change the state or nonce, and any replica can open it.
 */
export class FlowSealer {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly now: () => number,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secret, 'minefleet', 'oidc-flow', 32));
  }

  seal(flow: OidcFlow): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(flow), 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  /** The flow of a cookie value for this provider, or OIDC_FLOW_INVALID. */
  open(sealed: string | undefined, provider: string): OidcFlow {
    const invalid = () =>
      new DomainError(
        'OIDC_FLOW_INVALID',
        'This sign-in attempt is unknown or expired (or was started in another browser); start again.',
      );
    if (!sealed || sealed.length > MAX_COOKIE) throw invalid();
    let flow: OidcFlow;
    try {
      const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv!);
      decipher.setAuthTag(tag!);
      flow = JSON.parse(
        Buffer.concat([decipher.update(body!), decipher.final()]).toString('utf8'),
      ) as OidcFlow;
    } catch {
      throw invalid();
    }
    if (flow.p !== provider || typeof flow.e !== 'number' || flow.e <= this.now()) throw invalid();
    return flow;
  }
}

/** The value of one cookie of a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
