import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { AccountService, RequestContext } from '@minefleet/services/accounts';
import type { EmailIdentityService } from '@minefleet/services/email-identity';
import type { SessionStore } from '@minefleet/services/sessions';
import { IdParams, Nullable, Timestamp, Uuid, errors } from '../schemas/common.js';
import { actorOf } from '../auth.js';

const Token = Type.String({ minLength: 16, maxLength: 200, description: 'The token of the emailed link.' });
const Password = Type.String({ maxLength: 256 });

const Session = Type.Object({
  id: Uuid,
  device: Type.String({ description: 'The User-Agent the session signed in with.' }),
  ip: Nullable(Type.String()),
  created_at: Timestamp,
  last_seen_at: Timestamp,
  expires_at: Timestamp,
  current: Type.Boolean({ description: 'The session of the token making this request.' }),
});

const TokenAnswer = Type.Object({ token: Type.String(), expires_at: Timestamp });

export function contextOf(request: FastifyRequest): RequestContext {
  const agent = request.headers['user-agent'];
  return { ip: request.ip, requestId: request.id, userAgent: typeof agent === 'string' ? agent : undefined };
}

/**
 * Sessions (refresh, logout, list, revoke) and everything proven by email (verification, password
 * reset, password and email change). docs/security.md describes the model.
 */
export function identityRoutes(options: {
  accounts: AccountService;
  emailIdentity: EmailIdentityService;
  sessions: SessionStore;
}): FastifyPluginAsyncTypebox {
  const { accounts, emailIdentity, sessions } = options;
  return async (app) => {
    app.post(
      '/auth/verify-email',
      {
        config: { permission: 'public', audit: false, rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          tags: ['accounts'],
          summary: 'Prove an email address with the token of a verification or email-change link',
          security: [],
          body: Type.Object({ token: Token }, { additionalProperties: false }),
          response: {
            200: Type.Object({ email: Type.String(), email_verified: Type.Literal(true) }),
            ...errors(400, 409, 429),
          },
        },
      },
      async (request) => {
        const { email } = await emailIdentity.verify(request.body.token, contextOf(request));
        return { email, email_verified: true as const };
      },
    );

    app.post(
      '/auth/resend-verification',
      {
        config: { permission: 'account', audit: false, rateLimit: { max: 3, timeWindow: '1 minute' } },
        schema: {
          tags: ['accounts'],
          summary: 'Mail the verification link again (nothing when already verified)',
          response: { 202: Type.Object({ accepted: Type.Literal(true) }), ...errors(401, 429) },
        },
      },
      async (request, reply) => {
        await emailIdentity.sendVerification(actorOf(request).userId);
        void reply.status(202);
        return { accepted: true as const };
      },
    );

    app.post(
      '/auth/password-reset',
      {
        config: { permission: 'public', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'Mail a password-reset link (valid 15 minutes, once)',
          description: 'The answer is the same whether or not an account has this address.',
          security: [],
          body: Type.Object({ email: Type.String({ maxLength: 254 }) }, { additionalProperties: false }),
          response: { 202: Type.Object({ accepted: Type.Literal(true) }), ...errors(400, 429) },
        },
      },
      async (request, reply) => {
        await emailIdentity.requestPasswordReset(request.body.email, contextOf(request));
        void reply.status(202);
        return { accepted: true as const };
      },
    );

    app.post(
      '/auth/password-reset/confirm',
      {
        config: { permission: 'public', audit: false, rateLimit: { max: 30, timeWindow: '1 minute' } },
        schema: {
          tags: ['accounts'],
          summary: 'Set a new password with the token of a reset link; every session ends',
          security: [],
          body: Type.Object({ token: Token, password: Password }, { additionalProperties: false }),
          response: { 204: Type.Null(), ...errors(400, 429) },
        },
      },
      async (request, reply) => {
        await emailIdentity.resetPassword(request.body.token, request.body.password, contextOf(request));
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/auth/refresh',
      {
        config: { permission: 'account', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'A fresh token of the current session, without the password',
          description:
            'Valid for the token lifetime again, never past the session’s absolute end. API keys cannot refresh (403).',
          response: { 200: TokenAnswer, ...errors(401, 403) },
        },
      },
      async (request) => {
        const issued = await accounts.refresh(actorOf(request));
        return { token: issued.token, expires_at: issued.expiresAt.toISOString() };
      },
    );

    app.post(
      '/auth/logout',
      {
        config: { permission: 'account', audit: 'auth.logout' },
        schema: {
          tags: ['accounts'],
          summary: 'End the current session (every token of it)',
          response: { 204: Type.Null(), ...errors(401, 403) },
        },
      },
      async (request, reply) => {
        await accounts.logout(actorOf(request));
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/me/sessions',
      {
        config: { permission: 'account' },
        schema: {
          tags: ['accounts'],
          summary: 'Your signed-in sessions (devices), most recently used first',
          response: { 200: Type.Object({ sessions: Type.Array(Session) }), ...errors(401) },
        },
      },
      async (request) => {
        const actor = actorOf(request);
        const rows = await sessions.list(actor.userId);
        return {
          sessions: rows.map((s) => ({
            id: s.id,
            device: s.device,
            ip: s.ip,
            created_at: s.createdAt.toISOString(),
            last_seen_at: s.lastSeenAt.toISOString(),
            expires_at: s.expiresAt.toISOString(),
            current: s.id === actor.sessionId,
          })),
        };
      },
    );

    app.delete(
      '/me/sessions/:id',
      {
        config: { permission: 'account', audit: 'auth.session_revoke' },
        schema: {
          tags: ['accounts'],
          summary: 'Sign one of your sessions out',
          params: IdParams,
          response: { 204: Type.Null(), ...errors(400, 401, 404) },
        },
      },
      async (request, reply) => {
        await sessions.revoke(actorOf(request).userId, request.params.id);
        return reply.status(204).send(null);
      },
    );

    app.delete(
      '/me/sessions',
      {
        config: { permission: 'account', audit: 'auth.session_revoke_all' },
        schema: {
          tags: ['accounts'],
          summary: 'Sign out everywhere: end every session of yours, this one included',
          response: { 200: Type.Object({ revoked: Type.Integer() }), ...errors(401) },
        },
      },
      async (request) => ({ revoked: await sessions.revokeAll(actorOf(request).userId) }),
    );

    app.post(
      '/me/password',
      {
        config: { permission: 'account', audit: false },
        schema: {
          tags: ['accounts'],
          summary: 'Change your password (the current one is required); your other sessions end',
          body: Type.Object(
            { current_password: Password, new_password: Password },
            { additionalProperties: false },
          ),
          response: { 204: Type.Null(), ...errors(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        await emailIdentity.changePassword(
          actorOf(request),
          request.body.current_password,
          request.body.new_password,
          contextOf(request),
        );
        return reply.status(204).send(null);
      },
    );

    app.post(
      '/me/email',
      {
        config: { permission: 'account', audit: 'auth.email_change_request' },
        schema: {
          tags: ['accounts'],
          summary: 'Change your email: a link is mailed to the new address, which counts once followed',
          body: Type.Object(
            { email: Type.String({ maxLength: 254 }), password: Password },
            { additionalProperties: false },
          ),
          response: {
            202: Type.Object({ accepted: Type.Literal(true) }),
            ...errors(400, 401, 403, 409, 429),
          },
        },
      },
      async (request, reply) => {
        await emailIdentity.requestEmailChange(actorOf(request), request.body.password, request.body.email);
        void reply.status(202);
        return { accepted: true as const };
      },
    );
  };
}
