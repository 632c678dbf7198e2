import { Option, type Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { collect, positiveInt } from '../option-parsers.js';
import { renderFields, renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';
import { resolveServer } from '../resolve-server.js';

type Schedule = Schemas['Schedule'];
type Action = Schedule['action'];
const ACTIONS: readonly Action[] = ['backup', 'restart', 'command'];

interface PayloadOptions {
  command?: string;
  announce?: string;
  compression?: string;
  tag?: string[];
  retainDays?: number;
}

/** The action's payload from its options; options that belong to another action are refused. */
function payloadOf(action: Action, opts: PayloadOptions): Record<string, unknown> | undefined {
  const given = {
    command: opts.command !== undefined,
    announce: opts.announce !== undefined,
    backup: opts.compression !== undefined || opts.tag !== undefined || opts.retainDays !== undefined,
  };
  const foreign =
    (action !== 'command' && given.command) ||
    (action !== 'restart' && given.announce) ||
    (action !== 'backup' && given.backup);
  if (foreign) throw new UsageError(`that option does not apply to a ${action} schedule`);
  switch (action) {
    case 'command':
      return opts.command !== undefined ? { command: opts.command } : undefined;
    case 'restart':
      return opts.announce !== undefined ? { announce: opts.announce } : undefined;
    case 'backup':
      return given.backup
        ? {
            ...(opts.compression ? { compression: opts.compression } : {}),
            ...(opts.tag ? { tags: opts.tag } : {}),
            ...(opts.retainDays !== undefined ? { retain_days: opts.retainDays } : {}),
          }
        : undefined;
  }
}

function withPayloadOptions(command: Command): Command {
  return command
    .option('--command <text>', 'command schedules: the console command')
    .option('--announce <text>', 'restart schedules: what players are told first')
    .addOption(
      new Option('--compression <kind>', 'backup schedules: compression').choices(['none', 'gzip', 'zstd']),
    )
    .option('--tag <tag>', 'backup schedules: a tag for the backups (repeatable)', collect)
    .option('--retain-days <days>', 'backup schedules: keep each backup this many days', positiveInt);
}

/** A schedule of the server named by id, or by name when one schedule has it. */
async function resolveSchedule(ctx: Context, serverId: string, ref: string): Promise<Schedule> {
  const { schedules } = unwrap(
    await ctx.client.GET('/api/v1/servers/{id}/schedules', {
      params: { path: { id: serverId }, query: { per_page: 100 } },
    }),
  );
  const matches = schedules.filter((s) => s.id === ref || s.name === ref);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`"${ref}" names several schedules; use the id`);
  throw new CliError(`No schedule named or with id "${ref}".`, { code: 'SCHEDULE_NOT_FOUND' });
}

function describeAction(s: Schedule): string {
  const p = s.payload;
  if (s.action === 'command') return `command: ${typeof p.command === 'string' ? p.command : '?'}`;
  if (s.action === 'restart') return typeof p.announce === 'string' ? `restart ("${p.announce}")` : 'restart';
  return Object.keys(p).length > 0 ? `backup ${JSON.stringify(p)}` : 'backup';
}

function scheduleFields(s: Schedule, ctx: Context): string {
  return renderFields(
    [
      ['ID', s.id],
      ['Name', s.name ?? '-'],
      ['Action', describeAction(s)],
      ['Cron', `${s.cron} (${s.timezone})`],
      ['Enabled', s.enabled ? 'yes' : 'no'],
      ['Next run', s.next_run_at ?? '-'],
      ['Last run', s.last_run_at ? `${s.last_run_at} (${s.last_status ?? '?'})` : '-'],
    ],
    ctx.style,
  );
}

export function registerScheduleCommands(program: Command, app: CliApp): void {
  const schedules = program
    .command('schedules')
    .alias('schedule')
    .description('Cron schedules of a server: backups, restarts, console commands');
  examples(schedules, [
    'minefleet schedules create survival --cron "0 4 * * *" --action backup --retain-days 14',
    'minefleet schedules ls survival',
    'minefleet schedules runs survival nightly',
  ]);

  const ls = leafCommand(schedules, 'ls <server>', "List a server's schedules with their next run")
    .alias('list')
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const { schedules: list } = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/schedules', {
          params: { path: { id: server.id }, query: { per_page: 100 } },
        }),
      );
      ctx.result(list, () =>
        list.length === 0
          ? 'No schedules.\n'
          : renderTable(
              list,
              [
                { header: 'NAME', value: (s) => s.name ?? '-' },
                { header: 'ACTION', value: describeAction },
                { header: 'CRON', value: (s) => s.cron },
                { header: 'TZ', value: (s) => s.timezone },
                { header: 'ENABLED', value: (s) => (s.enabled ? 'yes' : 'no') },
                { header: 'NEXT RUN', value: (s) => s.next_run_at ?? '-' },
                { header: 'LAST', value: (s) => s.last_status ?? '-' },
                { header: 'ID', value: (s) => s.id },
              ],
              ctx.style,
            ),
      );
    });
  examples(ls, ['minefleet schedules ls survival']);

  const create = withPayloadOptions(
    leafCommand(schedules, 'create <server>', 'Create a schedule')
      .requiredOption('--cron <expression>', 'five fields (or six, seconds first), e.g. "0 4 * * *"')
      .addOption(new Option('--action <action>', 'what it does').choices(ACTIONS).makeOptionMandatory())
      .option('--name <name>', 'a name to refer to it by')
      .option('--timezone <zone>', 'IANA time zone of the cron expression (default UTC)')
      .option('--disabled', 'create it switched off'),
  ).action(
    async (
      ref: string,
      opts: PayloadOptions & {
        cron: string;
        action: Action;
        name?: string;
        timezone?: string;
        disabled?: boolean;
      },
      command: Command,
    ) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const payload = payloadOf(opts.action, opts);
      const created = unwrap(
        await ctx.client.POST('/api/v1/servers/{id}/schedules', {
          params: { path: { id: server.id } },
          body: {
            cron: opts.cron,
            action: opts.action,
            ...(payload ? { payload } : {}),
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.timezone !== undefined ? { timezone: opts.timezone } : {}),
            ...(opts.disabled ? { enabled: false } : {}),
          },
        }),
      );
      ctx.result(created, () => scheduleFields(created, ctx));
    },
  );
  examples(create, [
    'minefleet schedules create survival --name nightly --cron "0 4 * * *" --action backup --retain-days 14',
    'minefleet schedules create survival --cron "0 6 * * 1" --action restart --announce "Weekly restart"',
    'minefleet schedules create survival --cron "*/30 * * * *" --action command --command "say Vote for us!"',
  ]);

  const set = withPayloadOptions(
    leafCommand(schedules, 'set <server> <schedule>', 'Change a schedule (by name or id)')
      .option('--cron <expression>', 'a new cron expression')
      .option('--timezone <zone>', 'a new time zone')
      .option('--name <name>', 'a new name')
      .option('--enable', 'switch it on')
      .option('--disable', 'switch it off'),
  ).action(
    async (
      ref: string,
      scheduleRef: string,
      opts: PayloadOptions & {
        cron?: string;
        timezone?: string;
        name?: string;
        enable?: boolean;
        disable?: boolean;
      },
      command: Command,
    ) => {
      const ctx = await app.context(command);
      if (opts.enable && opts.disable) throw new UsageError('--enable and --disable together');
      const server = await resolveServer(ctx, ref);
      const schedule = await resolveSchedule(ctx, server.id, scheduleRef);
      const payload = payloadOf(schedule.action, opts);
      const body = {
        ...(opts.cron !== undefined ? { cron: opts.cron } : {}),
        ...(opts.timezone !== undefined ? { timezone: opts.timezone } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.enable ? { enabled: true } : {}),
        ...(opts.disable ? { enabled: false } : {}),
        ...(payload ? { payload: { ...schedule.payload, ...payload } } : {}),
      };
      if (Object.keys(body).length === 0) throw new UsageError('nothing to change: give at least one option');
      const changed = unwrap(
        await ctx.client.PATCH('/api/v1/servers/{id}/schedules/{schedule_id}', {
          params: { path: { id: server.id, schedule_id: schedule.id } },
          body,
        }),
      );
      ctx.result(changed, () => scheduleFields(changed, ctx));
    },
  );
  examples(set, [
    'minefleet schedules set survival nightly --disable',
    'minefleet schedules set survival nightly --cron "30 3 * * *"',
  ]);

  const rm = leafCommand(schedules, 'rm <server> <schedule>', 'Delete a schedule and its recorded runs')
    .alias('delete')
    .action(async (ref: string, scheduleRef: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const schedule = await resolveSchedule(ctx, server.id, scheduleRef);
      unwrap(
        await ctx.client.DELETE('/api/v1/servers/{id}/schedules/{schedule_id}', {
          params: { path: { id: server.id, schedule_id: schedule.id } },
        }),
      );
      ctx.result(
        { id: schedule.id, deleted: true },
        () => `Deleted schedule ${schedule.name ?? schedule.id}.\n`,
      );
    });
  examples(rm, ['minefleet schedules rm survival nightly']);

  const runs = leafCommand(schedules, 'runs <server> <schedule>', 'Recorded runs of a schedule, newest first')
    .option('--page <n>', 'page number', positiveInt)
    .option('--per-page <n>', 'runs per page (up to 100)', positiveInt)
    .action(
      async (
        ref: string,
        scheduleRef: string,
        opts: { page?: number; perPage?: number },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        const server = await resolveServer(ctx, ref);
        const schedule = await resolveSchedule(ctx, server.id, scheduleRef);
        const page = unwrap(
          await ctx.client.GET('/api/v1/servers/{id}/schedules/{schedule_id}/runs', {
            params: {
              path: { id: server.id, schedule_id: schedule.id },
              query: { page: opts.page ?? 1, per_page: opts.perPage ?? 20 },
            },
          }),
        );
        ctx.result(page.runs, () =>
          page.runs.length === 0
            ? 'No runs yet.\n'
            : renderTable(
                page.runs,
                [
                  { header: 'PLANNED FOR', value: (r) => r.scheduled_for },
                  {
                    header: 'STATUS',
                    value: (r) => r.status,
                    style: (text, r) =>
                      r.status === 'succeeded'
                        ? ctx.style.green(text)
                        : r.status === 'failed'
                          ? ctx.style.red(text)
                          : ctx.style.yellow(text),
                  },
                  { header: 'AGE', value: (r) => formatAge(r.started_at) },
                  { header: 'ERROR', value: (r) => r.error ?? '' },
                ],
                ctx.style,
              ),
        );
      },
    );
  examples(runs, ['minefleet schedules runs survival nightly']);
}
