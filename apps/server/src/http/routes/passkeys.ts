import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AccountService } from '@minefleet/services/accounts';
import type {
  AuthenticationResponseJSON,
  PasskeyRecord,
  PasskeyService,
  RegistrationResponseJSON,
} from '@minefleet/services/passkeys';
import { IdParams, Nullable, Timestamp, Uuid, errors } from '../schemas/common.js';
import { LoginResponse } from '../schemas/accounts.js';
import { actorOf } from '../auth.js';
import { toTenant, toUser } from '../serializers.js';
import { contextOf } from './identity.js';

const B64 = (maxLength: number) => Type.String({ maxLength, pattern: '^[A-Za-z0-9_-]*={0,2}$' });

/** What `navigator.credentials.create()` / `.get()` answered, JSON-encoded (@simplewebauthn/browser). */
const CredentialResponse = Type.Object(
  {
    id: B64(1024),
    rawId: B64(1024),
    type: Type.Literal('public-key'),
    response: Type.Object(
      {
        clientDataJSON: B64(16_384),
        attestationObject: Type.Optional(B64(65_536)),
        authenticatorData: Type.Optional(B64(16_384)),
        signature: Type.Optional(B64(2048)),
        userHandle: Type.Optional(B64(1024)),
        transports: Type.Optional(Type.Array(Type.String({ maxLength: 32 }), { maxItems: 10 })),
      },
      { additionalProperties: true },
    ),
    clientExtensionResults: Type.Object({}, { additionalProperties: true }),
    authenticatorAttachment: Type.Optional(Type.String({ maxLength: 32 })),
  },
  { additionalProperties: false, description: 'The credential as @simplewebauthn/browser answers it.' },
);

const Options = Type.Object({
  challenge_id: Type.String({ description: 'Send it back with the answer; good once, for 5 minutes.' }),
  options: Type.Object(
    {},
    {
      additionalProperties: true,
      description: 'WebAuthn options (JSON) for startRegistration / startAuthentication.',
    },
  ),
});

const Passkey = Type.Object(
  {
    id: Uuid,
    name: Type.String(),
    device_type: Type.String({ description: '`singleDevice` or `multiDevice` (synced)' }),
    backed_up: Type.Boolean(),
    created_at: Timestamp,
    last_used_at: Nullable(Timestamp),
  },
  { $id: 'Passkey' },
);

const Name = Type.String({ minLength: 1, maxLength: 64 });

function toPasskey(p: PasskeyRecord): Static<typeof Passkey> {
  return {
    id: p.id,
    name: p.name,
    device_type: p.deviceType,
    backed_up: p.backedUp,
    created_at: p.createdAt.toISOString(),
    last_used_at: p.lastUsedAt?.toISOString() ?? null,
  };
}

/** Passkeys: registration and management, the second sign-in step, passwordless sign-in. */
export function passkeyRoutes(options: {
  accounts: AccountService;
  passkeys: PasskeyService;
}): FastifyPluginAsyncTypebox {
  const { accounts, passkeys } = options;
  const signedIn = (result: Awaited<ReturnType<AccountService['loginWithPasskey']>>) => ({
    token: result.session.token,
    expires_at: result.session.expiresAt.toISOString(),
    user: toUser(result.user),
    tenant: toTenant(result.tenant),
    role: result.role,
  });
  return async (app) => {
    app.addSchema(Passkey);

    app.get(
      '/me/passkeys',
      {
        config: { permission: 'account' },
        schema: {
          tags: ['accounts'],
          summary: 'Your passkeys',
          response: { 200: Type.Object({ passkeys: Type.Array(Type.Ref('Passkey')) }), ...errors(401) },
        },
      },
      async (request) => ({ passkeys: (await passkeys.list(actorOf(request))).map(toPasskey) }),
    );

    app.post(
      '/me/passkeys/options',
      {
        config: { permission: 'account', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'Start adding a passkey: registration options (needs your password)',
          body: Type.Object({ password: Type.String({ maxLength: 256 }) }, { additionalProperties: false }),
          response: { 200: Options, ...errors(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const begun = await passkeys.registrationOptions(actorOf(request), request.body.password);
        return { challenge_id: begun.challengeId, options: begun.options };
      },
    );

    app.post(
      '/me/passkeys',
      {
        config: { permission: 'account', audit: 'auth.passkey_add' },
        schema: {
          tags: ['accounts'],
          summary: 'Add a passkey: the authenticator’s answer to the registration options',
          description:
            'The first second factor of an account also answers its 10 recovery codes, shown this once.',
          body: Type.Object(
            {
              challenge_id: Type.String({ maxLength: 64 }),
              name: Type.Optional(Name),
              response: CredentialResponse,
            },
            { additionalProperties: false },
          ),
          response: {
            201: Type.Object({
              passkey: Type.Ref('Passkey'),
              recovery_codes: Type.Optional(Type.Array(Type.String())),
            }),
            ...errors(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const added = await passkeys.register(actorOf(request), {
          challengeId: request.body.challenge_id,
          name: request.body.name,
          response: request.body.response as unknown as RegistrationResponseJSON,
        });
        return reply.status(201).send({
          passkey: toPasskey(added.passkey),
          ...(added.recoveryCodes ? { recovery_codes: added.recoveryCodes } : {}),
        });
      },
    );

    app.patch(
      '/me/passkeys/:id',
      {
        config: { permission: 'account', audit: 'auth.passkey_rename' },
        schema: {
          tags: ['accounts'],
          summary: 'Rename a passkey',
          params: IdParams,
          body: Type.Object({ name: Name }, { additionalProperties: false }),
          response: { 200: Type.Ref('Passkey'), ...errors(400, 401, 404) },
        },
      },
      async (request) =>
        toPasskey(await passkeys.rename(actorOf(request), request.params.id, request.body.name)),
    );

    app.delete(
      '/me/passkeys/:id',
      {
        config: { permission: 'account', audit: 'auth.passkey_delete' },
        schema: {
          tags: ['accounts'],
          summary: 'Delete a passkey (password; a recovery code too when it is your last second factor)',
          params: IdParams,
          body: Type.Object(
            {
              password: Type.String({ maxLength: 256 }),
              code: Type.Optional(Type.String({ minLength: 6, maxLength: 32 })),
            },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errors(400, 401, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        await passkeys.remove(actorOf(request), request.params.id, request.body, contextOf(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/login/mfa/passkey/options',
      {
        config: { permission: 'public', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'Second sign-in step with a passkey: options for the account of the mfa_token',
          security: [],
          body: Type.Object({ mfa_token: Type.String({ maxLength: 4096 }) }, { additionalProperties: false }),
          response: { 200: Options, ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const userId = accounts.secondFactorUser(request.body.mfa_token);
        const begun = await passkeys.secondFactorOptions(userId, contextOf(request));
        return { challenge_id: begun.challengeId, options: begun.options };
      },
    );

    app.post(
      '/auth/login/mfa/passkey',
      {
        config: { permission: 'public', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'Second sign-in step with a passkey: the mfa_token and the authenticator’s answer',
          description:
            'Only a passkey of the account the mfa_token names is accepted; attempts count with codes.',
          security: [],
          body: Type.Object(
            {
              mfa_token: Type.String({ maxLength: 4096 }),
              challenge_id: Type.String({ maxLength: 64 }),
              response: CredentialResponse,
            },
            { additionalProperties: false },
          ),
          response: { 200: LoginResponse, ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const ctx = contextOf(request);
        const response = request.body.response as unknown as AuthenticationResponseJSON;
        return signedIn(
          await accounts.loginSecondFactorWith(
            request.body.mfa_token,
            (userId) =>
              passkeys.verifySecondFactor(userId, { challengeId: request.body.challenge_id, response }, ctx),
            ctx,
          ),
        );
      },
    );

    app.post(
      '/auth/passkey/options',
      {
        config: { permission: 'public', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'Sign in with a passkey (no password): options naming no account',
          security: [],
          response: { 200: Options, ...errors(429) },
        },
      },
      async (request) => {
        const begun = await passkeys.signInOptions(contextOf(request));
        return { challenge_id: begun.challengeId, options: begun.options };
      },
    );

    app.post(
      '/auth/passkey',
      {
        config: { permission: 'public', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'Sign in with a passkey: the authenticator’s answer (user verification required)',
          security: [],
          body: Type.Object(
            {
              challenge_id: Type.String({ maxLength: 64 }),
              response: CredentialResponse,
              tenant_id: Type.Optional(Uuid),
            },
            { additionalProperties: false },
          ),
          response: { 200: LoginResponse, ...errors(400, 401, 429) },
        },
      },
      async (request) => {
        const ctx = contextOf(request);
        const response = request.body.response as unknown as AuthenticationResponseJSON;
        return signedIn(
          await accounts.loginWithPasskey(
            () => passkeys.signIn({ challengeId: request.body.challenge_id, response }, ctx),
            request.body.tenant_id,
            ctx,
          ),
        );
      },
    );
  };
}
