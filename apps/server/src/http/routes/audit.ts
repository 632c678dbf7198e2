import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Clock } from '@minefleet/domain/clock';
import type { AuditLog } from '@minefleet/services/audit';
import { errors } from '../schemas/common.js';
import { AuditList, AuditQuery } from '../schemas/audit.js';
import { actorOf } from '../auth.js';
import { parseTimestamp } from '../time.js';

/** The tenant's audit trail (admins and owners): who did what, when, how it ended, and its request id. */
export function auditRoutes(options: { audit: AuditLog; clock: Clock }): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/audit',
      {
        config: { permission: 'activity.read' },
        schema: {
          tags: ['audit'],
          summary: 'The audit log of the caller’s tenant, newest first',
          description:
            '`request_id` is the x-request-id of the call; the control plane’s log lines for it (including the runtime operations it caused) carry the same id as `reqId` (request logs) or `requestId` (the work it started).',
          querystring: AuditQuery,
          response: { 200: AuditList, ...errors(400, 401, 403) },
        },
      },
      async (request) => {
        const q = request.query;
        const now = options.clock.now();
        const page = { page: q.page ?? 1, perPage: q.per_page ?? 20 };
        const result = await options.audit.query(actorOf(request), {
          ...page,
          ...(q.actor ? { actor: q.actor } : {}),
          ...(q.action ? { action: q.action } : {}),
          ...(q.server_id ? { serverId: q.server_id } : {}),
          ...(q.from ? { from: parseTimestamp(q.from, 'from', now) } : {}),
          ...(q.to ? { to: parseTimestamp(q.to, 'to', now) } : {}),
        });
        return {
          events: result.items.map((e) => ({
            id: e.id,
            action: e.action,
            outcome: e.outcome,
            actor_user_id: e.actorUserId,
            actor_api_key_id: e.actorApiKeyId,
            target_type: e.targetType,
            target_id: e.targetId,
            server_id: e.serverId,
            status_code: e.statusCode,
            request_id: e.requestId,
            ip: e.ip,
            details: e.details,
            created_at: e.createdAt.toISOString(),
          })),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );
  };
}
