import { InvalidArgumentError, Option, type Command } from 'commander';
import { unwrap } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';
import { resolveServer } from '../resolve-server.js';

/** What the API did with a change, in words. */
const APPLIED: Record<string, string> = {
  live: 'applied by the running server',
  sent: 'sent to the running server',
  file: 'saved; in force when the server starts',
};

function level(raw: string): number {
  if (!/^[1-4]$/.test(raw)) throw new InvalidArgumentError('expected an operator level 1, 2, 3 or 4');
  return Number(raw);
}

function duration(raw: string): string {
  if (!/^\d{1,9}(s|m|h|d)$/.test(raw))
    throw new InvalidArgumentError('expected a duration such as 30m, 12h or 7d');
  return raw;
}

interface BanOptions {
  reason?: string;
  for?: string;
  until?: string;
}

function banEnd(opts: BanOptions): { expires_in?: string; expires_at?: string } {
  if (opts.for && opts.until) throw new UsageError('give --for or --until, not both');
  if (opts.for) return { expires_in: opts.for };
  if (opts.until) return { expires_at: opts.until };
  return {};
}

function withBanOptions(command: Command): Command {
  return command
    .option('--reason <text>', 'what the player is told (one line)')
    .addOption(new Option('--for <duration>', 'ban for this long: 30m, 12h, 7d').argParser(duration))
    .option('--until <time>', 'ban until this ISO-8601 time');
}

/** Runs one change on a server and prints what happened to it. */
async function change(
  app: CliApp,
  command: Command,
  ref: string,
  run: (
    ctx: Context,
    serverId: string,
  ) => Promise<{ applied: string; player?: { name: string; uuid: string | null }; ip?: string }>,
  done: string,
): Promise<void> {
  const ctx = await app.context(command);
  const server = await resolveServer(ctx, ref);
  const result = await run(ctx, server.id);
  ctx.result(result, () => `${done} on ${server.name}: ${APPLIED[result.applied] ?? result.applied}.\n`);
}

export function registerPlayerCommands(program: Command, app: CliApp): void {
  const players = program
    .command('players')
    .alias('player')
    .description('Who plays on a server: online players, history, whitelist, operators, kicks and bans');
  examples(players, [
    'minefleet players ls survival',
    'minefleet players whitelist add survival Steve',
    'minefleet players ban survival Griefer --reason "Broke the spawn" --for 7d',
  ]);

  const ls = leafCommand(players, 'ls <server>', 'Players online now')
    .alias('list')
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const { players: online } = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/players', { params: { path: { id: server.id } } }),
      );
      ctx.result(online, () =>
        online.length === 0
          ? 'Nobody is online.\n'
          : renderTable(
              online,
              [
                { header: 'NAME', value: (p) => p.name },
                { header: 'UUID', value: (p) => p.uuid ?? '-' },
                { header: 'ONLINE FOR', value: (p) => formatAge(p.since) },
                { header: 'PING', value: (p) => (p.ping_ms === null ? '-' : `${Math.round(p.ping_ms)} ms`) },
              ],
              ctx.style,
            ),
      );
    });
  examples(ls, ['minefleet players ls survival']);

  const history = leafCommand(players, 'history <server>', 'Past and current sessions, newest first')
    .option('--player <name>', 'only names starting with this')
    .action(async (ref: string, opts: { player?: string }, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const { sessions } = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/players/sessions', {
          params: {
            path: { id: server.id },
            query: { per_page: 100, ...(opts.player ? { player: opts.player } : {}) },
          },
        }),
      );
      ctx.result(sessions, () =>
        sessions.length === 0
          ? 'No sessions recorded.\n'
          : renderTable(
              sessions,
              [
                { header: 'NAME', value: (s) => s.player_name },
                { header: 'JOINED', value: (s) => s.joined_at },
                { header: 'LEFT', value: (s) => s.left_at ?? 'online' },
                { header: 'MINUTES', value: (s) => String(Math.round(s.duration_seconds / 60)) },
              ],
              ctx.style,
            ),
      );
    });
  examples(history, ['minefleet players history survival --player Ste']);

  const lists = leafCommand(players, 'lists <server>', 'Whitelist, operators and bans').action(
    async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const l = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/players/lists', { params: { path: { id: server.id } } }),
      );
      ctx.result(l, () => {
        const names = (list: { name: string }[]) =>
          list.length === 0 ? '-' : list.map((e) => e.name).join(', ');
        const rows: string[] = [
          `Whitelist (${l.whitelist.enabled ? 'on' : 'off'}): ${names(l.whitelist.players)}`,
          `Operators: ${l.ops.length === 0 ? '-' : l.ops.map((o) => `${o.name} (level ${o.level})`).join(', ')}`,
        ];
        const bans = [
          ...l.bans.map((b) => ({ who: b.name, ...b })),
          ...l.ip_bans.map((b) => ({ who: b.ip, ...b })),
        ];
        if (bans.length === 0) rows.push('Bans: -');
        else {
          rows.push('Bans:');
          rows.push(
            renderTable(
              bans,
              [
                { header: 'PLAYER/IP', value: (b) => b.who },
                { header: 'REASON', value: (b) => b.reason },
                { header: 'UNTIL', value: (b) => b.expires_at ?? 'forever' },
                { header: 'ACTIVE', value: (b) => (b.active ? 'yes' : 'ended') },
              ],
              ctx.style,
            ).trimEnd(),
          );
        }
        return rows.join('\n') + '\n';
      });
    },
  );
  examples(lists, ['minefleet players lists survival']);

  const whitelist = players.command('whitelist').description('The whitelist: on, off, add, rm');
  examples(whitelist, [
    'minefleet players whitelist on survival',
    'minefleet players whitelist add survival Steve',
  ]);
  for (const enabled of [true, false]) {
    const name = enabled ? 'on' : 'off';
    const toggle = leafCommand(
      whitelist,
      `${name} <server>`,
      `Switch the whitelist ${name} (a setting: admin role)`,
    );
    examples(toggle, [`minefleet players whitelist ${name} survival`]);
    toggle.action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const result = unwrap(
        await ctx.client.PUT('/api/v1/servers/{id}/players/whitelist', {
          params: { path: { id: server.id } },
          body: { enabled },
        }),
      );
      ctx.result(
        result,
        () =>
          `Whitelist ${name} on ${server.name} (revision ${result.revision}; ${result.applied === 'live' ? 'applied now' : 'applies at the next start'}).\n`,
      );
    });
  }
  const wlAdd = leafCommand(whitelist, 'add <server> <player>', 'Add a player to the whitelist');
  examples(wlAdd, ['minefleet players whitelist add survival Steve']);
  wlAdd.action(async (ref: string, player: string, _opts: unknown, command: Command) =>
    change(
      app,
      command,
      ref,
      async (ctx, id) =>
        unwrap(
          await ctx.client.POST('/api/v1/servers/{id}/players/whitelist', {
            params: { path: { id } },
            body: { name: player },
          }),
        ),
      `Whitelisted ${player}`,
    ),
  );
  const wlRm = leafCommand(whitelist, 'rm <server> <player>', 'Remove a player from the whitelist').alias(
    'remove',
  );
  examples(wlRm, ['minefleet players whitelist rm survival Steve']);
  wlRm.action(async (ref: string, player: string, _opts: unknown, command: Command) =>
    change(
      app,
      command,
      ref,
      async (ctx, id) =>
        unwrap(
          await ctx.client.DELETE('/api/v1/servers/{id}/players/whitelist/{name}', {
            params: { path: { id, name: player } },
          }),
        ),
      `Removed ${player} from the whitelist`,
    ),
  );

  const op = leafCommand(players, 'op <server> <player>', 'Make a player an operator')
    .addOption(
      new Option('--level <level>', '1 spawn bypass, 2 cheats, 3 moderation, 4 everything').argParser(level),
    )
    .action(async (ref: string, player: string, opts: { level?: number }, command: Command) =>
      change(
        app,
        command,
        ref,
        async (ctx, id) =>
          unwrap(
            await ctx.client.POST('/api/v1/servers/{id}/players/ops', {
              params: { path: { id } },
              body: { name: player, ...(opts.level ? { level: opts.level } : {}) },
            }),
          ),
        `${player} is an operator (level ${opts.level ?? 4})`,
      ),
    );
  examples(op, ['minefleet players op survival Alex --level 2']);

  const deop = leafCommand(players, 'deop <server> <player>', 'Take operator rights from a player');
  examples(deop, ['minefleet players deop survival Alex']);
  deop.action(async (ref: string, player: string, _opts: unknown, command: Command) =>
    change(
      app,
      command,
      ref,
      async (ctx, id) =>
        unwrap(
          await ctx.client.DELETE('/api/v1/servers/{id}/players/ops/{name}', {
            params: { path: { id, name: player } },
          }),
        ),
      `${player} is no longer an operator`,
    ),
  );

  const kick = leafCommand(players, 'kick <server> <player>', 'Disconnect a player')
    .option('--reason <text>', 'what the player is told (one line)')
    .action(async (ref: string, player: string, opts: { reason?: string }, command: Command) =>
      change(
        app,
        command,
        ref,
        async (ctx, id) =>
          unwrap(
            await ctx.client.POST('/api/v1/servers/{id}/players/kick', {
              params: { path: { id } },
              body: { name: player, ...(opts.reason ? { reason: opts.reason } : {}) },
            }),
          ),
        `Kicked ${player}`,
      ),
    );
  examples(kick, ['minefleet players kick survival Steve --reason "Back in 5 minutes"']);

  const ban = withBanOptions(
    leafCommand(players, 'ban <server> <player>', 'Ban a player (permanently unless --for/--until)'),
  ).action(async (ref: string, player: string, opts: BanOptions, command: Command) =>
    change(
      app,
      command,
      ref,
      async (ctx, id) =>
        unwrap(
          await ctx.client.POST('/api/v1/servers/{id}/players/bans', {
            params: { path: { id } },
            body: { name: player, ...(opts.reason ? { reason: opts.reason } : {}), ...banEnd(opts) },
          }),
        ),
      `Banned ${player}`,
    ),
  );
  examples(ban, ['minefleet players ban survival Griefer --reason "Broke the spawn" --for 7d']);

  const pardon = leafCommand(players, 'pardon <server> <player>', "Lift a player's ban").alias('unban');
  examples(pardon, ['minefleet players pardon survival Griefer']);
  pardon.action(async (ref: string, player: string, _opts: unknown, command: Command) =>
    change(
      app,
      command,
      ref,
      async (ctx, id) =>
        unwrap(
          await ctx.client.DELETE('/api/v1/servers/{id}/players/bans/{name}', {
            params: { path: { id, name: player } },
          }),
        ),
      `Pardoned ${player}`,
    ),
  );

  const banIp = withBanOptions(leafCommand(players, 'ban-ip <server> <ip>', 'Ban an IP address'));
  examples(banIp, ['minefleet players ban-ip survival 203.0.113.7 --reason Bots --for 1d']);
  banIp.action(async (ref: string, ip: string, opts: BanOptions, command: Command) =>
    change(
      app,
      command,
      ref,
      async (ctx, id) =>
        unwrap(
          await ctx.client.POST('/api/v1/servers/{id}/players/ip-bans', {
            params: { path: { id } },
            body: { ip, ...(opts.reason ? { reason: opts.reason } : {}), ...banEnd(opts) },
          }),
        ),
      `Banned ${ip}`,
    ),
  );

  const pardonIp = leafCommand(players, 'pardon-ip <server> <ip>', 'Lift an IP ban');
  examples(pardonIp, ['minefleet players pardon-ip survival 203.0.113.7']);
  pardonIp.action(async (ref: string, ip: string, _opts: unknown, command: Command) =>
    change(
      app,
      command,
      ref,
      async (ctx, id) =>
        unwrap(
          await ctx.client.DELETE('/api/v1/servers/{id}/players/ip-bans/{ip}', {
            params: { path: { id, ip } },
          }),
        ),
      `Pardoned ${ip}`,
    ),
  );
}
