import { Type } from '@sinclair/typebox';
import { SCHEDULE_ACTIONS } from '@minefleet/domain/enums';
import { Nullable, Pagination, Ref, StringEnum, Timestamp, Uuid } from './common.js';
import { OrNull } from './backups.js';

const Payload = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), {
  maxProperties: 10,
  description:
    'backup: {compression?, tags?, description?, retain_days?}; restart: {announce?, graceful_timeout_seconds?}; command: {command}.',
});

export const Schedule = Type.Object(
  {
    id: Uuid,
    server_id: Uuid,
    name: Nullable(Type.String()),
    cron: Type.String(),
    timezone: Type.String(),
    action: StringEnum(SCHEDULE_ACTIONS),
    payload: Payload,
    enabled: Type.Boolean(),
    next_run_at: Nullable(Timestamp),
    last_run_at: Nullable(Timestamp),
    last_status: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { $id: 'Schedule' },
);

export const ScheduleRun = Type.Object(
  {
    id: Uuid,
    schedule_id: Uuid,
    scheduled_for: Timestamp,
    started_at: Timestamp,
    finished_at: Nullable(Timestamp),
    status: Type.String({ description: 'running, succeeded, failed or skipped.' }),
    error: Nullable(Type.String()),
  },
  { $id: 'ScheduleRun' },
);

export const ScheduleList = Type.Object({
  schedules: Type.Array(Ref(Schedule)),
  pagination: Ref(Pagination),
});
export const ScheduleRunList = Type.Object({
  runs: Type.Array(Ref(ScheduleRun)),
  pagination: Ref(Pagination),
});

const Cron = Type.String({
  minLength: 1,
  maxLength: 100,
  description: 'Five fields (minute hour day month weekday), or six with seconds first, e.g. `0 4 * * *`.',
});
const Timezone = Type.String({ maxLength: 64, description: 'IANA time zone, default UTC.' });
const Name = OrNull(Type.String({ maxLength: 100 }));

export const CreateScheduleBody = Type.Object(
  {
    name: Type.Optional(Name),
    cron: Cron,
    action: StringEnum(SCHEDULE_ACTIONS),
    payload: Type.Optional(Payload),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    timezone: Type.Optional(Timezone),
  },
  { additionalProperties: false },
);

export const PatchScheduleBody = Type.Object(
  {
    name: Type.Optional(Name),
    cron: Type.Optional(Cron),
    action: Type.Optional(StringEnum(SCHEDULE_ACTIONS)),
    payload: Type.Optional(Payload),
    enabled: Type.Optional(Type.Boolean()),
    timezone: Type.Optional(Timezone),
  },
  { additionalProperties: false },
);

export const ScheduleParams = Type.Object({ id: Uuid, schedule_id: Uuid });
