import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/** The claims of one person at the test provider. */
export interface TestIdentity {
  email: string;
  email_verified: boolean;
  name?: string;
  groups?: string[];
}

export interface RunningOidcProvider {
  /** The issuer URL (http://127.0.0.1:<port>). */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Adds (or replaces) a person; `sub` is the account id. */
  setAccount(sub: string, identity: TestIdentity): void;
  /**
   * Who the next sign-in logs in as, and the `amr` it reports (`['pwd']` by default; `['pwd', 'otp']`
   * for a provider that asked for a second factor). The login and consent steps are completed at once.
   */
  loginAs(sub: string, amr?: string[]): void;
  close(): Promise<void>;
}

/**
 * A real OpenID provider (`oidc-provider`) on loopback for single sign-on tests: discovery, JWKS,
 * authorization with PKCE, token and userinfo endpoints, one confidential client whose redirect URIs
 * are given. Its interaction (login and consent) completes by itself as the person `loginAs()` chose.
 */
export async function startOidcProvider(options: {
  redirectUris: string[];
  clientId?: string;
  clientSecret?: string;
}): Promise<RunningOidcProvider> {
  const accounts = new Map<string, TestIdentity>();
  let next: { sub: string; amr: string[] } | undefined;
  const clientId = options.clientId ?? 'minefleet-test';
  const clientSecret = options.clientSecret ?? 'a test client secret that is long enough';

  const http: Server = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    claims: {
      // `amr` (RFC 8176: which methods the login used) goes into every ID token, as with real providers.
      openid: ['sub', 'amr'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    findAccount: (_ctx, sub) => {
      const identity = accounts.get(sub);
      if (!identity) return undefined;
      return { accountId: sub, claims: () => ({ sub, ...identity }) };
    },
    cookies: { keys: ['a test cookie key for the provider'] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      Grant: 600,
      IdToken: 600,
      Interaction: 600,
      Session: 600,
    },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    // Tests watch only the flow; the provider's own notices would be noise.
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  });

  /** The login and consent steps, done at once for the chosen person. */
  async function interaction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      if (!next) {
        res.statusCode = 500;
        res.end('no test login chosen (loginAs)');
        return;
      }
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: next.sub, amr: next.amr } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const accountId = details.session?.accountId;
    const clientIdOf = details.params.client_id;
    if (typeof accountId !== 'string' || typeof clientIdOf !== 'string') {
      res.statusCode = 500;
      res.end('interaction without a session');
      return;
    }
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ??
        new provider.Grant({ accountId, clientId: clientIdOf }))
      : new provider.Grant({ accountId, clientId: clientIdOf });
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  const callback = provider.callback();
  http.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
      return;
    }
    void callback(req, res);
  });

  return {
    issuer,
    clientId,
    clientSecret,
    setAccount: (sub, identity) => accounts.set(sub, identity),
    loginAs: (sub, amr = ['pwd']) => {
      next = { sub, amr };
    },
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
