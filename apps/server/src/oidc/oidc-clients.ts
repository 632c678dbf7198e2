import * as client from 'openid-client';
import type { Logger } from 'pino';
import { DomainError } from '@minefleet/domain/errors';
import type { ExternalIdentity } from '@minefleet/services/sso-accounts';
import type { OidcProviderConfig } from '../oidc-config.js';
import { FLOW_TTL_MS, type OidcFlow } from './flow-cookie.js';

/**
 * `amr` values (RFC 8176) that mean the provider checked more than a password: a second factor the
 * control plane then does not ask for again.
 */
const SECOND_FACTOR_AMR = new Set(['mfa', 'otp', 'hwk', 'sc', 'swk']);
/** A failed discovery is tried again after this, not on every sign-in. */
const DISCOVERY_RETRY_MS = 30_000;
const HTTP_TIMEOUT_SECONDS = 10;
const MAX_GROUPS = 1000;

/**
 * The relying-party side of OpenID Connect (authorization code flow with PKCE, state and nonce), one
 * discovered configuration per provider, through `openid-client`.
 */
export class OidcClients {
  private readonly byId: ReadonlyMap<string, OidcProviderConfig>;
  private readonly discovered = new Map<string, Promise<client.Configuration>>();

  constructor(
    providers: readonly OidcProviderConfig[],
    private readonly now: () => number,
    private readonly logger: Logger,
  ) {
    this.byId = new Map(providers.map((p) => [p.id, p]));
  }

  /** The configured providers, for the sign-in page. */
  list(): { id: string; name: string }[] {
    return [...this.byId.values()].map((p) => ({ id: p.id, name: p.name }));
  }

  provider(id: string): OidcProviderConfig {
    const provider = this.byId.get(id);
    if (!provider) {
      throw new DomainError('OIDC_PROVIDER_NOT_FOUND', `No single sign-on provider "${id}" is configured.`);
    }
    return provider;
  }

  /** The provider's authorization URL for a new attempt, and the attempt to keep in the browser. */
  async start(id: string, redirectUri: string, device?: string): Promise<{ url: string; flow: OidcFlow }> {
    const provider = this.provider(id);
    const config = await this.configuration(provider);
    const verifier = client.randomPKCECodeVerifier();
    const flow: OidcFlow = {
      p: id,
      s: client.randomState(),
      n: client.randomNonce(),
      v: verifier,
      e: this.now() + FLOW_TTL_MS,
      ...(device ? { d: device } : {}),
    };
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: provider.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state: flow.s,
      nonce: flow.n,
    });
    return { url: url.href, flow };
  }

  /**
   * Verifies the provider's answer at the callback (`callbackUrl`: the redirect URI with the query the
   * provider sent) against the attempt, exchanges the code, verifies the ID token, and answers who
   * signed in.
   */
  async finish(flow: OidcFlow, callbackUrl: URL): Promise<ExternalIdentity> {
    const provider = this.provider(flow.p);
    // Checked first and by itself, so that a forged or crossed answer has its own stable code.
    if (callbackUrl.searchParams.get('state') !== flow.s) {
      throw new DomainError('OIDC_STATE_MISMATCH', 'The answer does not belong to this sign-in attempt.');
    }
    const config = await this.configuration(provider);
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.v,
        expectedState: flow.s,
        expectedNonce: flow.n,
        idTokenExpected: true,
      });
    } catch (error) {
      throw this.refusal(provider, error);
    }
    const claims = tokens.claims();
    if (!claims) throw new DomainError('OIDC_PROVIDER_ERROR', 'The provider sent no ID token.');
    let merged: Record<string, unknown> = { ...claims };
    // Providers may leave email or groups out of the ID token and answer them at the userinfo endpoint.
    if (
      (merged.email === undefined || merged[provider.groupsClaim] === undefined) &&
      config.serverMetadata().userinfo_endpoint
    ) {
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
        merged = { ...info, ...merged };
      } catch (error) {
        this.logger.warn({ err: error, provider: provider.id }, 'OIDC userinfo request failed');
      }
    }
    const amr = Array.isArray(claims.amr) ? claims.amr : [];
    return {
      provider: provider.id,
      issuer: claims.iss,
      subject: claims.sub,
      email: typeof merged.email === 'string' ? merged.email : undefined,
      emailVerified: merged.email_verified === true,
      name: typeof merged.name === 'string' ? merged.name : undefined,
      groups: groupsOf(merged[provider.groupsClaim]),
      secondFactorAsserted: amr.some((m) => typeof m === 'string' && SECOND_FACTOR_AMR.has(m)),
    };
  }

  private refusal(provider: OidcProviderConfig, error: unknown): DomainError {
    if (error instanceof client.AuthorizationResponseError) {
      return new DomainError('OIDC_PROVIDER_ERROR', `The provider refused the sign-in (${error.error}).`, {
        provider_error: error.error.slice(0, 64),
      });
    }
    if (mentionsClaim(error, 'nonce')) {
      return new DomainError('OIDC_NONCE_MISMATCH', 'The ID token was not issued for this sign-in attempt.');
    }
    this.logger.warn({ err: error, provider: provider.id }, 'OIDC sign-in did not verify');
    return new DomainError('OIDC_PROVIDER_ERROR', 'The provider’s answer did not verify.');
  }

  private configuration(provider: OidcProviderConfig): Promise<client.Configuration> {
    const cached = this.discovered.get(provider.id);
    if (cached) return cached;
    const config = client
      .discovery(
        provider.issuer,
        provider.clientId,
        provider.clientSecret
          ? { client_secret: provider.clientSecret, token_endpoint_auth_method: 'client_secret_basic' }
          : undefined,
        undefined,
        {
          timeout: HTTP_TIMEOUT_SECONDS,
          // Plain HTTP is accepted by the configuration only for loopback issuers (oidc-config.ts).
          ...(provider.issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}),
        },
      )
      .catch((error: unknown) => {
        this.logger.warn({ err: error, provider: provider.id }, 'OIDC discovery failed');
        // Forgotten after a while so that a provider that was down is tried again.
        setTimeout(() => this.discovered.delete(provider.id), DISCOVERY_RETRY_MS).unref();
        throw new DomainError(
          'OIDC_PROVIDER_UNAVAILABLE',
          `The sign-in provider "${provider.name}" cannot be reached right now.`,
        );
      });
    this.discovered.set(provider.id, config);
    return config;
  }
}

function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return [];
  return value.filter((g): g is string => typeof g === 'string').slice(0, MAX_GROUPS);
}

/** Whether an openid-client error (or one it wraps) is about this ID-token claim. */
function mentionsClaim(error: unknown, claim: string): boolean {
  for (let e = error, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    const record = e as { claim?: unknown; message?: unknown; cause?: unknown };
    if (record.claim === claim) return true;
    if (typeof record.message === 'string' && record.message.includes(`"${claim}"`)) return true;
    e = record.cause;
  }
  return false;
}
