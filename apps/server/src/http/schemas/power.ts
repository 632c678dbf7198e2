import { Type } from '@sinclair/typebox';
import { LOG_LEVELS, LOG_SOURCES } from '@minefleet/domain/ports/runtime-driver';
import { PageQuery, Pagination, Ref, StringEnum, Timestamp } from './common.js';
import { Server } from './servers.js';

const Command = Type.String({
  minLength: 1,
  maxLength: 1000,
  description: 'One console line, without the leading slash.',
});

export const StartBody = Type.Object(
  {
    warmup_timeout_seconds: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600 })),
    pre_start_commands: Type.Optional(Type.Array(Command, { maxItems: 20 })),
    property_overrides: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 50 }),
    ),
  },
  { additionalProperties: false },
);

export const StopBody = Type.Object(
  {
    graceful_timeout_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 600 })),
    force: Type.Optional(Type.Boolean({ description: 'Kill at once instead of a graceful stop.' })),
    save_world: Type.Optional(Type.Boolean({ default: true })),
    announce: Type.Optional(Type.String({ maxLength: 200, description: 'Told to players before the stop.' })),
    post_stop_commands: Type.Optional(
      Type.Array(Command, {
        maxItems: 20,
        description:
          'Console commands sent after the world is saved, right before `stop` (e.g. `kick @a Maintenance`).',
      }),
    ),
  },
  { additionalProperties: false },
);

export const RestartBody = Type.Composite([StopBody, StartBody], { additionalProperties: false });

export const CommandBody = Type.Object({ command: Command }, { additionalProperties: false });

export const CommandAccepted = Type.Object({ accepted: Type.Literal(true) });

export const DeleteQuery = Type.Object({
  force: Type.Optional(Type.Boolean({ default: false })),
  keep_backups: Type.Optional(Type.Boolean({ default: false })),
});

export const LogLine = Type.Object(
  {
    ts: Timestamp,
    level: StringEnum(LOG_LEVELS),
    source: StringEnum(LOG_SOURCES),
    message: Type.String(),
  },
  { $id: 'LogLine' },
);

export const LogsQuery = Type.Object({
  ...PageQuery,
  per_page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  level: Type.Optional(StringEnum(LOG_LEVELS, { description: 'Minimum level.' })),
  since: Type.Optional(
    Type.String({ maxLength: 40, description: 'ISO-8601 time, or a duration back from now: 15m, 2h, 7d.' }),
  ),
  until: Type.Optional(Type.String({ maxLength: 40 })),
  q: Type.Optional(
    Type.String({ maxLength: 200, description: 'Text the line contains (case-insensitive).' }),
  ),
  tail: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 10_000, description: 'Only the last N matching lines.' }),
  ),
});

export const LogList = Type.Object({ logs: Type.Array(Ref(LogLine)), pagination: Ref(Pagination) });

export const ConfigPatchBody = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: 40 })),
    max_players: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
    server_properties: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
        maxProperties: 100,
        description: 'Keys to change; null resets a key to its default.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ConfigChange = Type.Object({ field: Type.String(), from: Type.Unknown(), to: Type.Unknown() });

export const ConfigResult = Type.Object({
  server: Ref(Server),
  revision: Type.Integer(),
  applied: StringEnum(['live', 'on_restart'] as const, {
    description: '`live`: every change took effect on the running server; `on_restart`: at the next start.',
  }),
  changes: Type.Array(ConfigChange),
});

export const Revision = Type.Object(
  {
    revision: Type.Integer(),
    created_at: Timestamp,
    actor_user_id: Type.Union([Type.String(), Type.Null()]),
    rollback_of: Type.Union([Type.Integer(), Type.Null()]),
    changes: Type.Array(ConfigChange),
    snapshot: Type.Object({
      name: Type.String(),
      max_players: Type.Integer(),
      server_properties: Type.Record(
        Type.String(),
        Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
      ),
    }),
  },
  { $id: 'ConfigRevision' },
);

export const RevisionList = Type.Object({
  revisions: Type.Array(Ref(Revision)),
  pagination: Ref(Pagination),
});
export const RevisionParams = Type.Object({
  id: Type.String({ format: 'uuid' }),
  // Revision numbers are 32-bit in the database: a larger one is refused here, not by a failed query.
  n: Type.Integer({ minimum: 1, maximum: 2_147_483_647 }),
});
