import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '@minefleet/services/accounts';
import type { TenantSecurityService } from '@minefleet/services/tenant-security';
import type { TwoFactorService } from '@minefleet/services/two-factor';
import { errors } from '../schemas/common.js';
import { LoginResponse } from '../schemas/accounts.js';
import { actorOf } from '../auth.js';
import { toTenant, toUser } from '../serializers.js';
import { contextOf } from './identity.js';

const Code = Type.String({
  minLength: 6,
  maxLength: 32,
  description: 'A 6-digit TOTP code or a recovery code.',
});
const Password = Type.String({ maxLength: 256 });

/** Two-factor sign-in: the code step of a sign-in, TOTP enrolment, recovery codes (docs/security.md). */
export function twoFactorRoutes(options: {
  accounts: AccountService;
  twoFactor: TwoFactorService;
  tenantSecurity: TenantSecurityService;
}): FastifyPluginAsyncTypebox {
  const { accounts, twoFactor, tenantSecurity } = options;
  const Security = Type.Object({
    require_2fa: Type.Boolean({
      description: 'Members must have two-factor sign-in on to act in the tenant.',
    }),
    sso_only: Type.Boolean({
      description:
        'Members act in the tenant only with a session opened by single sign-on (a password session gets 403 SSO_REQUIRED).',
    }),
  });
  const answer = (s: { require2fa: boolean; ssoOnly: boolean }) => ({
    require_2fa: s.require2fa,
    sso_only: s.ssoOnly,
  });
  return async (app) => {
    app.get(
      '/tenant/security',
      {
        config: { permission: 'member.read' },
        schema: {
          tags: ['accounts'],
          summary: 'The tenant’s security policy',
          response: { 200: Security, ...errors(401, 403) },
        },
      },
      async (request) => answer(await tenantSecurity.get(actorOf(request))),
    );

    app.put(
      '/tenant/security',
      {
        config: { permission: 'tenant.security', audit: 'tenant.security' },
        schema: {
          tags: ['accounts'],
          summary: 'Change the tenant’s security policy (two-factor sign-in required, single sign-on only)',
          description:
            'Only the fields given change. Requiring two-factor sign-in needs it on for your own account first (403 MFA_ENROLMENT_REQUIRED); "single sign-on only" needs a provider on the host (400) and your own session opened by single sign-on (403 SSO_REQUIRED).',
          body: Type.Object(
            { require_2fa: Type.Optional(Type.Boolean()), sso_only: Type.Optional(Type.Boolean()) },
            { additionalProperties: false },
          ),
          response: { 200: Security, ...errors(400, 401, 403) },
        },
      },
      async (request) =>
        answer(
          await tenantSecurity.update(actorOf(request), {
            ...(request.body.require_2fa !== undefined ? { require2fa: request.body.require_2fa } : {}),
            ...(request.body.sso_only !== undefined ? { ssoOnly: request.body.sso_only } : {}),
          }),
        ),
    );

    app.post(
      '/auth/login/mfa',
      {
        config: { permission: 'public', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'Second sign-in step: the mfa_token of a 401 MFA_REQUIRED and a code',
          description:
            'A TOTP code is accepted for its 30-second step and one step either side, once; a recovery code once. Attempts are limited per account and per address.',
          security: [],
          body: Type.Object(
            { mfa_token: Type.String({ maxLength: 4096 }), code: Code },
            { additionalProperties: false },
          ),
          response: { 200: LoginResponse, ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const { user, tenant, role, session } = await accounts.loginSecondFactor(
          { mfaToken: request.body.mfa_token, code: request.body.code },
          contextOf(request),
        );
        return {
          token: session.token,
          expires_at: session.expiresAt.toISOString(),
          user: toUser(user),
          tenant: toTenant(tenant),
          role,
        };
      },
    );

    app.get(
      '/me/2fa',
      {
        config: { permission: 'account' },
        schema: {
          tags: ['accounts'],
          summary: 'Whether TOTP is on, how many passkeys and recovery codes are left',
          response: {
            200: Type.Object({
              totp_enabled: Type.Boolean(),
              passkeys: Type.Integer({
                description: 'How many passkeys the account has (each a second factor).',
              }),
              recovery_codes_left: Type.Integer(),
            }),
            ...errors(401),
          },
        },
      },
      async (request) => {
        const { userId } = actorOf(request);
        return {
          totp_enabled: await twoFactor.totpEnabled(userId),
          passkeys: await twoFactor.passkeyCount(userId),
          recovery_codes_left: await twoFactor.recoveryCodesLeft(userId),
        };
      },
    );

    app.post(
      '/me/2fa/totp',
      {
        config: { permission: 'account', audit: 'auth.totp_begin' },
        schema: {
          tags: ['accounts'],
          summary: 'Start TOTP enrolment: a new secret and its otpauth:// URL (for the QR code)',
          body: Type.Object({ password: Password }, { additionalProperties: false }),
          response: {
            200: Type.Object({ secret: Type.String(), otpauth_url: Type.String() }),
            ...errors(400, 401, 403, 429),
          },
        },
      },
      async (request) => {
        const { secret, otpauthUrl } = await twoFactor.beginTotp(actorOf(request), request.body.password);
        return { secret, otpauth_url: otpauthUrl };
      },
    );

    app.post(
      '/me/2fa/totp/confirm',
      {
        config: { permission: 'account', audit: 'auth.totp_enable' },
        schema: {
          tags: ['accounts'],
          summary: 'Confirm TOTP enrolment with a code; answers 10 recovery codes, shown this once',
          body: Type.Object({ code: Code }, { additionalProperties: false }),
          response: { 200: Type.Object({ recovery_codes: Type.Array(Type.String()) }), ...errors(400, 401) },
        },
      },
      async (request) => ({
        recovery_codes: await twoFactor.confirmTotp(actorOf(request), request.body.code),
      }),
    );

    app.post(
      '/me/2fa/disable',
      {
        config: { permission: 'account', audit: 'auth.totp_disable' },
        schema: {
          tags: ['accounts'],
          summary: 'Turn two-factor sign-in off (password and a code required)',
          body: Type.Object({ password: Password, code: Code }, { additionalProperties: false }),
          response: { 204: Type.Null(), ...errors(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        await twoFactor.disable(
          actorOf(request),
          request.body.password,
          request.body.code,
          contextOf(request),
        );
        return reply.status(204).send(null);
      },
    );
  };
}
