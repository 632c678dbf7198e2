import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ScheduleService } from '@minefleet/services/schedules/schedule-service';
import { IdParams, PageQuery, Ref, errors } from '../schemas/common.js';
import {
  CreateScheduleBody,
  PatchScheduleBody,
  Schedule,
  ScheduleList,
  ScheduleParams,
  ScheduleRunList,
} from '../schemas/schedules.js';
import { actorOf } from '../auth.js';
import { toSchedule, toScheduleRun } from '../backup-serializers.js';

/** Per-server cron schedules (backup, restart, command): viewers read, operators manage. */
export function scheduleRoutes(options: { schedules: ScheduleService }): FastifyPluginAsyncTypebox {
  const { schedules } = options;
  return async (app) => {
    app.get(
      '/servers/:id/schedules',
      {
        config: { permission: 'schedule.read' },
        schema: {
          tags: ['schedules'],
          summary: "The server's schedules, with their next planned run",
          params: IdParams,
          querystring: Type.Object(PageQuery),
          response: { 200: ScheduleList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const page = { page: request.query.page ?? 1, perPage: request.query.per_page ?? 20 };
        const result = await schedules.list(actorOf(request), request.params.id, page);
        return {
          schedules: result.items.map(toSchedule),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );

    app.post(
      '/servers/:id/schedules',
      {
        config: { permission: 'schedule.create', audit: 'schedule.create' },
        schema: {
          tags: ['schedules'],
          summary: 'Create a schedule',
          description:
            'An invalid cron expression (or one firing more often than the platform allows) answers 400 INVALID_CRON. Runs are recorded (`GET …/runs`); a run missed while the control plane was down runs once if at most the grace window late, else it is recorded `skipped`.',
          params: IdParams,
          body: CreateScheduleBody,
          response: { 201: Ref(Schedule), ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const schedule = await schedules.create(actorOf(request), request.params.id, request.body);
        void reply.status(201);
        return toSchedule(schedule);
      },
    );

    app.get(
      '/servers/:id/schedules/:schedule_id',
      {
        config: { permission: 'schedule.read' },
        schema: {
          tags: ['schedules'],
          summary: 'One schedule',
          params: ScheduleParams,
          response: { 200: Ref(Schedule), ...errors(400, 401, 404) },
        },
      },
      async (request) =>
        toSchedule(await schedules.get(actorOf(request), request.params.id, request.params.schedule_id)),
    );

    app.patch(
      '/servers/:id/schedules/:schedule_id',
      {
        config: { permission: 'schedule.update', audit: 'schedule.update' },
        schema: {
          tags: ['schedules'],
          summary: 'Change a schedule (enable/disable, cron, action, payload, time zone)',
          params: ScheduleParams,
          body: PatchScheduleBody,
          response: { 200: Ref(Schedule), ...errors(400, 401, 403, 404) },
        },
      },
      async (request) =>
        toSchedule(
          await schedules.update(
            actorOf(request),
            request.params.id,
            request.params.schedule_id,
            request.body,
          ),
        ),
    );

    app.delete(
      '/servers/:id/schedules/:schedule_id',
      {
        config: { permission: 'schedule.delete', audit: 'schedule.delete' },
        schema: {
          tags: ['schedules'],
          summary: 'Delete a schedule and its recorded runs',
          params: ScheduleParams,
          response: { 204: Type.Null(), ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        await schedules.delete(actorOf(request), request.params.id, request.params.schedule_id);
        return reply.status(204).send(null);
      },
    );

    app.get(
      '/servers/:id/schedules/:schedule_id/runs',
      {
        config: { permission: 'schedule.read' },
        schema: {
          tags: ['schedules'],
          summary: 'Recorded runs of a schedule, newest first',
          params: ScheduleParams,
          querystring: Type.Object(PageQuery),
          response: { 200: ScheduleRunList, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const page = { page: request.query.page ?? 1, perPage: request.query.per_page ?? 20 };
        const result = await schedules.runs(
          actorOf(request),
          request.params.id,
          request.params.schedule_id,
          page,
        );
        return {
          runs: result.items.map(toScheduleRun),
          pagination: { page: page.page, per_page: page.perPage, total: result.total },
        };
      },
    );
  };
}
