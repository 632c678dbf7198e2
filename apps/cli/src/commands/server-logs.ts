import type { Command } from 'commander';
import { stringify } from 'yaml';
import { unwrap } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { followConsole, type LogLine } from '../follow-console.js';
import { nonNegativeInt, positiveInt } from '../option-parsers.js';
import { formatLogLine } from '../output/log-line.js';
import { styleStatus } from '../output/status.js';
import { formatTimestamp } from '../output/time.js';
import { resolveServer } from '../resolve-server.js';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];
/** Lines shown before following when `-f` is given without `--tail`. */
const FOLLOW_TAIL = 10;
/** Lines shown without -f, --tail, --since, --until or --page: the recent end, like `tail`. */
const DEFAULT_TAIL = 100;
const MAX_PAGE = 1000;

interface LogOptions {
  follow?: boolean;
  level?: string;
  since?: string;
  until?: string;
  grep?: string;
  tail?: number;
  page?: number;
  perPage?: number;
}

function level(raw: string | undefined): Level | undefined {
  if (raw === undefined) return undefined;
  if (!(LEVELS as readonly string[]).includes(raw))
    throw new UsageError(`--level must be one of ${LEVELS.join(', ')} (got "${raw}")`);
  return raw as Level;
}

const RANK: Record<Level, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5 };

/** One line in the chosen format: text for tables, one JSON object per line, or YAML documents. */
function lineWriter(ctx: Context): (line: LogLine) => void {
  if (ctx.format === 'json') return (line) => ctx.print(`${JSON.stringify(line)}\n`);
  if (ctx.format === 'yaml') return (line) => ctx.print(`---\n${stringify(line, { lineWidth: 0 })}`);
  return (line) => ctx.print(formatLogLine(line, ctx.style));
}

async function printHistory(ctx: Context, serverId: string, opts: LogOptions): Promise<void> {
  const filters = {
    ...(opts.level ? { level: level(opts.level) } : {}),
    ...(opts.since ? { since: opts.since } : {}),
    ...(opts.until ? { until: opts.until } : {}),
    ...(opts.grep ? { q: opts.grep } : {}),
  };
  const windowed = opts.since !== undefined || opts.until !== undefined || opts.page !== undefined;
  const tail = opts.tail ?? (windowed ? undefined : DEFAULT_TAIL);
  const lines: LogLine[] = [];
  if (tail === 0) {
    // Nothing asked for.
  } else if (tail !== undefined && opts.page === undefined) {
    // The last N lines may span several pages (a page holds at most 1000): read them all, in order.
    const perPage = Math.min(Math.max(tail, 1), MAX_PAGE);
    for (let page = 1; ; page++) {
      const answer = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/logs', {
          params: { path: { id: serverId }, query: { ...filters, tail, page, per_page: perPage } },
        }),
      );
      lines.push(...answer.logs);
      if (answer.logs.length < perPage || page * perPage >= answer.pagination.total) break;
    }
  } else {
    const answer = unwrap(
      await ctx.client.GET('/api/v1/servers/{id}/logs', {
        params: {
          path: { id: serverId },
          query: {
            ...filters,
            ...(tail !== undefined ? { tail } : {}),
            page: opts.page ?? 1,
            per_page: opts.perPage ?? MAX_PAGE,
          },
        },
      }),
    );
    lines.push(...answer.logs);
    const { page, per_page: size, total } = answer.pagination;
    if (page * size < total) ctx.note(`Showing ${lines.length} of ${total} lines; next: --page ${page + 1}`);
  }
  if (ctx.format === 'table') {
    const write = lineWriter(ctx);
    for (const line of lines) write(line);
  } else {
    ctx.result(lines, () => '');
  }
}

async function follow(ctx: Context, serverId: string, opts: LogOptions): Promise<void> {
  if (opts.until !== undefined || opts.page !== undefined)
    throw new UsageError('--follow cannot be combined with --until or --page');
  const minimum = level(opts.level);
  const grep = opts.grep?.toLowerCase();
  const write = lineWriter(ctx);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await followConsole(
      ctx,
      serverId,
      {
        line(line) {
          // The live stream is unfiltered; apply the same filters the logs endpoint applies.
          if (minimum && RANK[line.level] < RANK[minimum]) return;
          if (grep && !line.message.toLowerCase().includes(grep)) return;
          write(line);
        },
        status(change) {
          const text = `${styleStatus(change.status, ctx.errStyle)(change.status)}${change.status_reason ? ` (${change.status_reason})` : ''}`;
          ctx.note(ctx.errStyle.dim(`-- ${formatTimestamp(change.ts)} status: `) + text);
        },
        notice(text) {
          ctx.note(ctx.errStyle.dim(`-- ${text}`));
        },
      },
      {
        tail: opts.tail ?? FOLLOW_TAIL,
        signal: controller.signal,
        // --since with -f: history from then on instead of the last lines.
        ...(opts.since ? { since: opts.since } : {}),
      },
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

export function registerServerLogCommands(servers: Command, app: CliApp): void {
  const logs = leafCommand(servers, 'logs <server>', 'Show console output; -f follows it live')
    .option('-f, --follow', 'keep printing new lines as they arrive (Ctrl-C to stop)')
    .option('--level <level>', `minimum level: ${LEVELS.join(', ')}`)
    .option('--since <time>', 'from this time: ISO-8601, or back from now: 15m, 2h, 7d')
    .option('--until <time>', 'up to this time (same forms as --since)')
    .option('--grep <text>', 'only lines containing the text (case-insensitive)')
    .option(
      '-n, --tail <n>',
      `only the last n lines (default ${DEFAULT_TAIL}, or ${FOLLOW_TAIL} with -f)`,
      nonNegativeInt,
    )
    .option('--page <n>', 'page of the matching lines (oldest first)', positiveInt)
    .option('--per-page <n>', `lines per page (up to ${MAX_PAGE})`, positiveInt)
    .action(async (ref: string, opts: LogOptions, command: Command) => {
      const ctx = await app.context(command);
      level(opts.level);
      const server = await resolveServer(ctx, ref);
      if (opts.follow) await follow(ctx, server.id, opts);
      else await printHistory(ctx, server.id, opts);
    });
  examples(logs, [
    'minefleet servers logs survival',
    'minefleet servers logs survival --tail 50 --level warn',
    'minefleet servers logs survival --since 2h --grep joined',
    'minefleet servers logs survival -f',
    'minefleet servers logs survival -f --format json | jq -r .message',
  ]);
}
