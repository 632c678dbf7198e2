import { randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider, FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Registry } from 'prom-client';
import { DomainError } from '@minefleet/domain/errors';
import type { AccountService } from '@minefleet/services/accounts';
import type { AuditLog } from '@minefleet/services/audit';
import { bearerToken, registerAuth, stripLinkToken } from './auth.js';
import { registerAuditHook } from './audit-hook.js';
import { sendError } from './errors.js';
import { registerHttpMetrics } from './http-metrics.js';
import { registerTextGuard } from './text-guard.js';
import { ErrorBody, Pagination } from './schemas/common.js';
import { ApiKey, Member, QuotaUsage, Tenant, User } from './schemas/accounts.js';
import { CustomRole } from './schemas/roles.js';
import { Server, Sku } from './schemas/servers.js';

export interface HttpOptions {
  version: string;
  logger: FastifyBaseLogger;
  bodyLimitBytes: number;
  corsOrigins: string[] | true;
  /** Peers whose X-Forwarded-For is believed (addresses or CIDRs); false: none (docs/security.md). */
  trustProxy?: string[] | false;
  accounts: AccountService;
  audit: AuditLog;
  metricsRegistry: Registry;
  /** Route plugins mounted under /api/v1. */
  apiRoutes: FastifyPluginAsyncTypebox[];
  /** Plugins mounted at the root (dashboard static files). */
  rootPlugins?: FastifyPluginAsyncTypebox[];
  /** Shared schemas of other route groups (each with an `$id`), listed as OpenAPI components. */
  extraSchemas?: { $id?: string }[];
  /** Carries each request's id into the work it causes (logs, runtime operations). */
  requestContexts?: { run<T>(context: { requestId: string }, fn: () => T): T };
  /** Bearer token required by GET /metrics (MINEFLEET_METRICS_TOKEN); unset: public. */
  metricsToken?: string | undefined;
  /** Called when the app closes, before the WebSocket server stops (close live connections with 1001). */
  closeWebSockets?: () => void;
}

/** Largest WebSocket message a client may send (commands are one line; subscriptions are small). */
const WS_MAX_PAYLOAD = 64 * 1024;

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the HTTP API. Pure wiring: everything it serves comes in through `options`. */
export async function buildHttpApp(options: HttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes,
    trustProxy: options.trustProxy ?? false,
    requestIdHeader: 'x-request-id',
    rewriteUrl: stripLinkToken,
    genReqId: (request) => {
      const incoming = request.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID_RE.test(incoming) ? incoming : randomUUID();
    },
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // Errors the router raises before any route (bad percent-encoding, a path segment past its length
    // limit) get the API's error shape and a catalogued code like every other refusal.
    frameworkErrors: (error, request, reply) => {
      const known = error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      void sendError(
        request,
        reply,
        known
          ? new DomainError(
              'INVALID_ID',
              'The request path is malformed (bad encoding, or a segment too long).',
            )
          : error,
      );
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // An empty JSON body counts as `{}` (many clients send the header on bodyless POSTs such as start);
  // anything else goes through Fastify's own parser, which refuses __proto__ and constructor keys.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (typeof body === 'string' && body.trim() === '') {
      done(null, {});
      return;
    }
    void defaultJson(request, body.toString(), done);
  });

  app.addHook('onSend', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });

  // First hook of every request: everything the request causes runs in its context (request id in logs).
  const contexts = options.requestContexts;
  if (contexts) {
    app.addHook('onRequest', (request, _reply, done) => contexts.run({ requestId: request.id }, done));
  }

  await app.register(websocket, {
    options: { maxPayload: WS_MAX_PAYLOAD },
    preClose(done) {
      options.closeWebSockets?.();
      this.websocketServer.close(() => done());
    },
  });

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'", 'ws:', 'wss:'],
        fontSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        // Self-hosted installs often serve plain HTTP on a LAN address: upgrading would break them.
        upgradeInsecureRequests: null,
      },
    },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(cors, {
    origin: options.corsOrigins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after'],
    maxAge: 600,
  });
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => {
      const error = new DomainError(
        'RATE_LIMITED',
        `Too many requests; retry in ${Math.ceil(context.ttl / 1000)} s.`,
        {
          retry_after_seconds: Math.ceil(context.ttl / 1000),
        },
      );
      return Object.assign(error, { statusCode: 429 });
    },
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Minefleet API',
        version: options.version,
        description:
          'Self-hostable Minecraft server hosting. Errors are `{"error": {"code", "message", "details"?}}` with the codes of docs/errors.md.',
      },
      servers: [{ url: '/' }],
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A session token from /auth/login or an API key (mf_...).',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  for (const schema of [
    ErrorBody,
    Pagination,
    User,
    Tenant,
    QuotaUsage,
    ApiKey,
    Member,
    CustomRole,
    Server,
    Sku,
    ...(options.extraSchemas ?? []),
  ]) {
    app.addSchema(schema);
  }
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs', staticCSP: true });

  registerTextGuard(app);
  registerAuth(app, options.accounts);
  registerHttpMetrics(app, options.metricsRegistry);
  registerAuditHook(app, options.audit);

  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new DomainError('ROUTE_NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]}.`),
    ),
  );

  await app.register(
    async (api) => {
      api.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () =>
        app.swagger(),
      );
      for (const routes of options.apiRoutes) await api.register(routes);
    },
    { prefix: '/api/v1' },
  );

  const metricsToken = options.metricsToken ? Buffer.from(options.metricsToken) : undefined;
  app.get(
    '/metrics',
    { config: { permission: 'public' }, schema: { hide: true } },
    async (request, reply) => {
      // Per-server series carry server and tenant names: with a token set, only Prometheus may read them.
      if (metricsToken) {
        const given = Buffer.from(bearerToken(request.headers.authorization) ?? '');
        if (given.length !== metricsToken.length || !timingSafeEqual(given, metricsToken)) {
          void reply.header('www-authenticate', 'Bearer realm="metrics"');
          throw new DomainError(
            'UNAUTHENTICATED',
            'GET /metrics needs "Authorization: Bearer <MINEFLEET_METRICS_TOKEN>".',
          );
        }
      }
      void reply
        .header('content-type', options.metricsRegistry.contentType)
        .header('cache-control', 'no-store');
      return options.metricsRegistry.metrics();
    },
  );

  for (const plugin of options.rootPlugins ?? []) await app.register(plugin);
  return app;
}
