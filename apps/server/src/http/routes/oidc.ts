import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '@minefleet/domain/errors';
import type { SsoAccounts } from '@minefleet/services/sso-accounts';
import { errors, Timestamp } from '../schemas/common.js';
import { LoginResponse } from '../schemas/accounts.js';
import { toTenant, toUser } from '../serializers.js';
import { contextOf } from './identity.js';
import { cookieValue, FLOW_COOKIE, FLOW_TTL_MS, type FlowSealer } from '../../oidc/flow-cookie.js';
import type { OidcClients } from '../../oidc/oidc-clients.js';
import {
  DEVICE_POLL_SECONDS,
  type DeviceLogins,
  type DeviceOutcome,
} from '@minefleet/services/device-logins';

const ProviderParams = Type.Object({
  provider: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,31}$', description: 'The provider id.' }),
});
/** An API client rather than a browser's navigation (which always accepts text/html). */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

/** Where the browser lands after the callback: a dashboard page that reads the fragment. */
const LANDING = '/sso';

/**
 * Single sign-on with OpenID Connect providers (docs/security.md, "Single sign-on"): the sign-in
 * buttons' list, the redirect to the provider, its callback, and the command line's browser sign-in.
 */
export function oidcRoutes(options: {
  clients: OidcClients;
  ssoAccounts: SsoAccounts;
  sealer: FlowSealer;
  devices: DeviceLogins<Static<typeof LoginResponse>>;
  /** The control plane's public base URL (the redirect URI and the dashboard live under it). */
  publicUrl: () => string;
}): FastifyPluginAsyncTypebox {
  const { clients, ssoAccounts, sealer, devices } = options;
  const base = () => options.publicUrl().replace(/\/+$/, '');
  const callbackUri = (id: string) => `${base()}/api/v1/auth/oidc/${id}/callback`;
  const cookie = (value: string, maxAgeSeconds: number) =>
    [
      `${FLOW_COOKIE}=${value}`,
      'Path=/api/v1/auth/oidc/',
      'HttpOnly',
      // Lax: sent on the provider's top-level redirect back to the callback, not on cross-site requests.
      'SameSite=Lax',
      `Max-Age=${maxAgeSeconds}`,
      ...(base().startsWith('https:') ? ['Secure'] : []),
    ].join('; ');
  /** To the dashboard's landing page, the outcome in the fragment (never sent to any server). */
  const land = (reply: FastifyReply, fragment: Record<string, string>) =>
    reply
      .header('set-cookie', cookie('', 0))
      .header('cache-control', 'no-store')
      .redirect(`${base()}${LANDING}#${new URLSearchParams(fragment).toString()}`, 302);

  return async (app) => {
    app.get(
      '/auth/oidc/providers',
      {
        config: { permission: 'public', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'The single sign-on providers configured on this host (for the sign-in buttons)',
          security: [],
          response: {
            200: Type.Object({
              providers: Type.Array(
                Type.Object({
                  id: Type.String(),
                  name: Type.String(),
                  start_url: Type.String({ description: 'Open in the browser to sign in.' }),
                }),
              ),
            }),
          },
        },
      },
      async () => ({
        providers: clients
          .list()
          .map((p) => ({ ...p, start_url: `${base()}/api/v1/auth/oidc/${p.id}/start` })),
      }),
    );

    app.get(
      '/auth/oidc/:provider/start',
      {
        config: {
          permission: 'public',
          audit: false,
          rateLimit: { max: 60, timeWindow: '1 minute' },
        },
        schema: {
          tags: ['accounts'],
          summary: 'Start signing in with a provider: redirects the browser to it',
          description:
            'Sets a short-lived cookie with the attempt (state, nonce, PKCE verifier, sealed) and answers 302 to the provider.',
          security: [],
          params: ProviderParams,
          querystring: Type.Object(
            {
              device: Type.Optional(
                Type.String({ maxLength: 64, description: 'A command-line sign-in id.' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: {
            200: Type.Object(
              { authorization_url: Type.String() },
              {
                description:
                  'With `Accept: application/json`: where to send the browser (the cookie is set).',
              },
            ),
            302: Type.Null(),
            ...errors(400, 404, 429, 502),
          },
        },
      },
      async (request, reply) => {
        const { provider } = request.params;
        const device = request.query.device;
        if (device !== undefined && !(await devices.waiting(device, provider))) {
          throw new DomainError(
            'LINK_INVALID',
            'This command-line sign-in is unknown or expired; start again.',
          );
        }
        const { url, flow } = await clients.start(provider, callbackUri(provider), device);
        void reply
          .header('set-cookie', cookie(sealer.seal(flow), FLOW_TTL_MS / 1000))
          .header('cache-control', 'no-store');
        if (wantsJson(request)) return { authorization_url: url };
        return reply.redirect(url, 302);
      },
    );

    app.get(
      '/auth/oidc/:provider/callback',
      {
        config: { permission: 'public', audit: false, rateLimit: { max: 60, timeWindow: '1 minute' } },
        schema: {
          tags: ['accounts'],
          summary: 'The provider’s redirect back: signs in and redirects to the dashboard',
          description:
            'Answers 302 to the dashboard’s /sso page with the outcome in the URL fragment: `token` and `expires_at`; or `mfa_token` (the account’s second factor is still needed: /auth/login/mfa); or `error` with a stable code and `message`; or `device=done` (`device=mfa`: the terminal asks for the code) when the sign-in was for the command line. With `Accept: application/json` (and not `text/html`) it answers the session or the error itself.',
          security: [],
          params: ProviderParams,
          response: { 200: LoginResponse, 302: Type.Null(), ...errors(400, 401, 403, 404, 409, 502) },
        },
      },
      async (request, reply) => {
        const { provider } = request.params;
        clients.provider(provider);
        const query = new URL(request.url, 'http://callback').search;
        let device: string | undefined;
        let outcome: DeviceOutcome<Static<typeof LoginResponse>>;
        try {
          const flow = sealer.open(cookieValue(request.headers.cookie, FLOW_COOKIE), provider);
          device = flow.d;
          const identity = await clients.finish(flow, new URL(`${callbackUri(provider)}${query}`));
          const { user, tenant, role, session } = await ssoAccounts.signIn(
            identity,
            clients.provider(provider).roleMap,
            contextOf(request),
          );
          outcome = {
            kind: 'session',
            body: {
              token: session.token,
              expires_at: session.expiresAt.toISOString(),
              user: toUser(user),
              tenant: toTenant(tenant),
              role,
            },
          };
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          if (device === undefined && wantsJson(request)) {
            void reply.header('set-cookie', cookie('', 0));
            throw error;
          }
          outcome = {
            kind: 'error',
            code: error.code,
            message: error.message,
            ...(error.details ? { details: error.details } : {}),
          };
        }
        if (device !== undefined) {
          // The command line gets the outcome either way; the browser says what happened.
          if (!(await devices.complete(device, outcome))) {
            return land(reply, { error: 'LINK_INVALID', message: 'The command line stopped waiting.' });
          }
          if (outcome.kind === 'session') return land(reply, { device: 'done' });
          if (outcome.code === 'MFA_REQUIRED') return land(reply, { device: 'mfa' });
          return land(reply, { error: outcome.code, message: outcome.message });
        }
        if (outcome.kind === 'session') {
          if (wantsJson(request)) {
            return reply
              .header('set-cookie', cookie('', 0))
              .header('cache-control', 'no-store')
              .send(outcome.body);
          }
          return land(reply, {
            token: outcome.body.token,
            expires_at: outcome.body.expires_at,
          });
        }
        const mfa = outcome.code === 'MFA_REQUIRED' ? outcome.details?.mfa_token : undefined;
        if (typeof mfa === 'string') return land(reply, { mfa_token: mfa });
        return land(reply, { error: outcome.code, message: outcome.message });
      },
    );

    app.post(
      '/auth/oidc/:provider/device',
      {
        config: { permission: 'public', audit: false, rateLimit: { max: 10, timeWindow: '1 minute' } },
        schema: {
          tags: ['accounts'],
          summary: 'Start a command-line sign-in with a provider',
          description:
            'Open `verification_url` in a browser and sign in there; meanwhile poll /auth/oidc/device/token with `device_code` (any replica answers: the waiting sign-in is kept in the database for 10 minutes). At most 10 wait per client address (429 RATE_LIMITED).',
          security: [],
          params: ProviderParams,
          response: {
            201: Type.Object({
              device_code: Type.String({ description: 'Secret: only the command line that polls knows it.' }),
              verification_url: Type.String(),
              expires_at: Timestamp,
              interval: Type.Integer({ description: 'Seconds between polls.' }),
            }),
            ...errors(404, 429),
          },
        },
      },
      async (request, reply) => {
        const { provider } = request.params;
        clients.provider(provider);
        const { id, secret, expiresAt } = await devices.create(provider, request.ip);
        void reply.status(201);
        return {
          device_code: secret,
          verification_url: `${base()}/api/v1/auth/oidc/${provider}/start?device=${id}`,
          expires_at: expiresAt.toISOString(),
          interval: DEVICE_POLL_SECONDS,
        };
      },
    );

    app.post(
      '/auth/oidc/device/token',
      {
        config: { permission: 'public', audit: false, rateLimit: { max: 120, timeWindow: '1 minute' } },
        schema: {
          tags: ['accounts'],
          summary: 'Poll a command-line sign-in: the session once the browser finished',
          description:
            '428 DEVICE_LOGIN_PENDING until the browser is done; then, once, the session, or the error of the sign-in (401 MFA_REQUIRED with an mfa_token for /auth/login/mfa).',
          security: [],
          body: Type.Object(
            { device_code: Type.String({ minLength: 16, maxLength: 128 }) },
            { additionalProperties: false },
          ),
          response: { 200: LoginResponse, ...errors(400, 401, 403, 409, 428, 429) },
        },
      },
      async (request) => {
        const outcome = await devices.take(request.body.device_code);
        if (outcome.kind === 'error') {
          throw new DomainError(outcome.code, outcome.message, outcome.details);
        }
        return outcome.body;
      },
    );
  };
}
