import { Type } from '@sinclair/typebox';
import { AUDIT_OUTCOMES } from '@minefleet/domain/enums';
import { Nullable, PageQuery, Pagination, Ref, StringEnum, Timestamp, Uuid } from './common.js';

export const AuditEvent = Type.Object(
  {
    id: Uuid,
    action: Type.String({ description: 'e.g. server.start, server.command, api_key.create, auth.login.' }),
    outcome: StringEnum(AUDIT_OUTCOMES),
    actor_user_id: Nullable(Uuid),
    actor_api_key_id: Nullable(Uuid),
    target_type: Nullable(Type.String()),
    target_id: Nullable(Type.String()),
    server_id: Nullable(Uuid),
    status_code: Nullable(Type.Integer()),
    request_id: Nullable(
      Type.String({ description: 'The x-request-id of the call: find its log lines by it.' }),
    ),
    ip: Nullable(Type.String()),
    details: Nullable(Type.Record(Type.String(), Type.Unknown())),
    created_at: Timestamp,
  },
  { $id: 'AuditEvent' },
);

export const AuditQuery = Type.Object({
  ...PageQuery,
  actor: Type.Optional(Uuid),
  action: Type.Optional(
    Type.String({ maxLength: 100, description: 'Action name or prefix, e.g. `server.` or `server.start`.' }),
  ),
  server_id: Type.Optional(Uuid),
  from: Type.Optional(
    Type.String({ maxLength: 40, description: 'ISO-8601 time, or a duration back from now: 15m, 2h, 7d.' }),
  ),
  to: Type.Optional(Type.String({ maxLength: 40 })),
});

export const AuditList = Type.Object({ events: Type.Array(Ref(AuditEvent)), pagination: Ref(Pagination) });
