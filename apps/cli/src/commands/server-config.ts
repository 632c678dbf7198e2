import type { Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { positiveInt } from '../option-parsers.js';
import { show } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { formatTimestamp } from '../output/time.js';
import { resolveServer } from '../resolve-server.js';
import { parseAssignments } from '../settings-assignments.js';

type Revision = Schemas['ConfigRevision'];
interface Change {
  field: string;
  from: unknown;
  to: unknown;
}
interface ChangeResult {
  revision: number;
  applied: 'live' | 'on_restart';
  changes: Change[];
}

async function catalogue(ctx: Context) {
  return unwrap(await ctx.client.GET('/api/v1/server-properties')).properties;
}

/** "server_properties.motd" reads better as "motd". */
function fieldName(field: string): string {
  return field.replace(/^server_properties\./, '');
}

function changeLine(change: Change): string {
  return `${fieldName(change.field)}: ${show(change.from)} → ${show(change.to)}`;
}

function changeReport(ctx: Context, serverName: string, result: ChangeResult): string {
  if (result.changes.length === 0) return `Nothing changed on ${serverName} (revision ${result.revision}).\n`;
  const when =
    result.applied === 'live'
      ? 'applied live'
      : `applies on the next start (run "minefleet servers restart ${serverName}")`;
  return [
    `${ctx.style.bold(serverName)}: revision ${result.revision}, ${when}.`,
    ...result.changes.map((c) => `  ${changeLine(c)}`),
    '',
  ].join('\n');
}

export function registerServerConfigCommands(servers: Command, app: CliApp): void {
  const config = servers
    .command('config')
    .description("A server's settings: show, change, history, rollback");
  examples(config, [
    'minefleet servers config get survival',
    'minefleet servers config set survival motd="Hello" pvp=false',
    'minefleet servers config history survival',
    'minefleet servers config rollback survival 2',
  ]);

  const get = leafCommand(
    config,
    'get <server> [keys...]',
    'Show settings with their defaults and how a change applies',
  ).action(async (ref: string, keys: string[], _opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    const server = await resolveServer(ctx, ref);
    const properties = await catalogue(ctx);
    const known = new Set(properties.map((p) => p.key));
    const rows = [
      ...properties.map((p) => ({
        key: p.key,
        value: server.server_properties[p.key] ?? p.default,
        default: p.default,
        changed: p.key in server.server_properties && server.server_properties[p.key] !== p.default,
        applies: p.applies,
        type: p.values ? `${p.type} (${p.values.join('|')})` : p.type,
        description: p.description,
      })),
      // Values the server holds that the catalogue no longer lists: shown, never hidden.
      ...Object.entries(server.server_properties)
        .filter(([key]) => !known.has(key))
        .map(([key, value]) => ({
          key,
          value,
          default: null,
          changed: true,
          applies: 'unknown',
          type: typeof value,
          description: 'not in the catalogue',
        })),
    ].filter((row) => keys.length === 0 || keys.includes(row.key));
    const unknownKeys = keys.filter(
      (k) => !rows.some((r) => r.key === k) && k !== 'max_players' && k !== 'name',
    );
    if (unknownKeys.length > 0) throw new UsageError(`unknown setting(s): ${unknownKeys.join(', ')}`);
    const data = {
      name: server.name,
      max_players: server.max_players,
      config_revision: server.config_revision,
      properties: rows,
    };
    ctx.result(data, () => {
      const header = `${ctx.style.bold(server.name)}: max_players=${server.max_players}, revision ${server.config_revision}\n`;
      return (
        header +
        renderTable(
          rows,
          [
            { header: 'KEY', value: (r) => r.key, style: (t, r) => (r.changed ? ctx.style.bold(t) : t) },
            { header: 'VALUE', value: (r) => show(r.value) },
            { header: 'DEFAULT', value: (r) => show(r.default) },
            { header: 'APPLIES', value: (r) => (r.applies === 'on_restart' ? 'on restart' : r.applies) },
            { header: 'TYPE', value: (r) => r.type },
          ],
          ctx.style,
        )
      );
    });
  });
  examples(get, [
    'minefleet servers config get survival',
    'minefleet servers config get survival motd difficulty',
  ]);

  const set = leafCommand(
    config,
    'set <server> <key=value...>',
    'Change settings (one numbered revision)',
  ).action(async (ref: string, assignments: string[], _opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    const server = await resolveServer(ctx, ref);
    const change = parseAssignments(assignments, await catalogue(ctx));
    const result = unwrap(
      await ctx.client.PATCH('/api/v1/servers/{id}', { params: { path: { id: server.id } }, body: change }),
    );
    ctx.result(result, () => changeReport(ctx, result.server.name, result));
  });
  examples(set, [
    'minefleet servers config set survival motd="Welcome back" difficulty=hard pvp=false',
    'minefleet servers config set survival max_players=50',
    'minefleet servers config set survival name=survival-2',
  ]);

  const history = leafCommand(
    config,
    'history <server>',
    'Configuration revisions, newest first, with what changed',
  )
    .option('--page <n>', 'page number', positiveInt)
    .option('--per-page <n>', 'revisions per page (up to 100)', positiveInt)
    .action(async (ref: string, opts: { page?: number; perPage?: number }, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const answer = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/config/revisions', {
          params: { path: { id: server.id }, query: { page: opts.page ?? 1, per_page: opts.perPage ?? 20 } },
        }),
      );
      const who = await memberNames(ctx);
      ctx.result(answer.revisions, () => revisionList(ctx, answer.revisions, who));
      const { page, per_page: size, total } = answer.pagination;
      if (page * size < total)
        ctx.note(`Showing ${answer.revisions.length} of ${total}; next: --page ${page + 1}`);
    });
  examples(history, [
    'minefleet servers config history survival',
    'minefleet servers config history survival --format json',
  ]);

  const rollback = leafCommand(
    config,
    'rollback <server> <revision>',
    'Restore the settings of an earlier revision (recorded as a new revision)',
  ).action(async (ref: string, revision: string, _opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    const n = Number(revision.replace(/^#/, ''));
    if (!Number.isInteger(n) || n < 1)
      throw new UsageError(`revision must be a number from 1 (got "${revision}")`);
    const server = await resolveServer(ctx, ref);
    const result = unwrap(
      await ctx.client.POST('/api/v1/servers/{id}/config/revisions/{n}/rollback', {
        params: { path: { id: server.id, n } },
      }),
    );
    ctx.result(result, () => changeReport(ctx, result.server.name, result));
  });
  examples(rollback, ['minefleet servers config rollback survival 3']);
}

/** user id → email, to show who made a change; members may be hidden from this role, so best effort. */
async function memberNames(ctx: Context): Promise<Map<string, string>> {
  const answer = await ctx.client.GET('/api/v1/members', { params: { query: { per_page: 100 } } });
  const names = new Map<string, string>();
  if (answer.data) for (const m of answer.data.members) names.set(m.user_id, m.email);
  return names;
}

function revisionList(ctx: Context, revisions: readonly Revision[], who: Map<string, string>): string {
  if (revisions.length === 0) return 'No revisions.\n';
  return (
    revisions
      .map((r) => {
        const actor = r.actor_user_id ? (who.get(r.actor_user_id) ?? r.actor_user_id) : 'system';
        const note = r.rollback_of !== null ? `  (rollback to #${r.rollback_of})` : '';
        const head = `${ctx.style.bold(`#${r.revision}`)}  ${ctx.style.dim(formatTimestamp(r.created_at))}  by ${actor}${note}`;
        const body =
          r.changes.length === 0 ? ['    (initial settings)'] : r.changes.map((c) => `    ${changeLine(c)}`);
        return [head, ...body].join('\n');
      })
      .join('\n') + '\n'
  );
}
