import { Option, type Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { collect, positiveInt } from '../option-parsers.js';
import { registerGatewayRunCommand } from './gateway-run.js';
import { renderFields, renderTable } from '../output/table.js';
import { resolveServer } from '../resolve-server.js';

type GatewaySettings = Schemas['GatewaySettings'];

function hours(seconds: number): string {
  return seconds < 3600 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`;
}

function gatewayFields(g: GatewaySettings, ctx: Context): string {
  return renderFields(
    [
      ['Hostname', g.platform_hostname ?? '-'],
      ['Custom hostnames', g.hostnames.length > 0 ? g.hostnames.join(', ') : '-'],
      ['Sleep', g.sleep_enabled ? `on (${g.sleep_mode}, after ${g.idle_after_seconds} s idle)` : 'off'],
      ['Freeze limit', g.sleep_mode === 'freeze' ? `${g.freeze_max_seconds} s` : '-'],
      ['Who may wake', g.wakers.length > 0 ? g.wakers.join(', ') : 'anyone'],
      ['Asleep since', g.asleep_since ?? '-'],
      ['Expected start', g.expected_start_seconds !== null ? `${g.expected_start_seconds} s` : '-'],
      ['Saved this month', hours(g.saved_seconds_this_month)],
      ['PROXY protocol', g.proxy_protocol ? 'on' : 'off'],
    ],
    ctx.style,
  );
}

/** `minefleet gateway …`: a server's hostnames, sleep settings and wakes. */
export function registerGatewayCommands(program: Command, app: CliApp): void {
  const gateway = program
    .command('gateway')
    .description(
      "A server's hostnames on the shared game port, sleep when empty, wake on join; `run` runs the gateway itself",
    );
  examples(gateway, [
    'minefleet gateway show survival',
    'minefleet gateway set survival --sleep on --idle-after 600 --mode freeze',
    'minefleet gateway set survival --hostname play.example.com --hostname "*.example.org"',
    'minefleet gateway wakes survival',
    'minefleet gateway run --database-url postgres://minefleet@db/minefleet --nats-url nats://nats:4222',
  ]);

  const show = leafCommand(gateway, 'show <server>', "Show the server's hostnames and sleep settings")
    .alias('get')
    .action(async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const g = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/gateway', { params: { path: { id: server.id } } }),
      );
      ctx.result(g, () => gatewayFields(g, ctx));
    });

  const set = leafCommand(gateway, 'set <server>', 'Change hostnames and sleep settings')
    .addOption(new Option('--sleep <on|off>', 'sleep when nobody plays').choices(['on', 'off']))
    .option('--idle-after <seconds>', 'seconds without players before it sleeps', positiveInt)
    .addOption(
      new Option('--mode <mode>', 'stop (world saved) or freeze (paused in memory)').choices([
        'stop',
        'freeze',
      ]),
    )
    .option('--freeze-max <seconds>', 'a frozen server is stopped for real after this long', positiveInt)
    .option('--hostname <name>', 'a custom hostname (repeatable; replaces the list)', collect)
    .option('--no-hostnames', 'remove every custom hostname')
    .option('--waker <player>', 'a player who may wake it (repeatable; replaces the list)', collect)
    .option('--anyone-wakes', 'anyone may wake it')
    .addOption(
      new Option('--proxy-protocol <on|off>', 'send a PROXY v2 header to the game').choices(['on', 'off']),
    )
    .action(
      async (
        ref: string,
        opts: {
          sleep?: string;
          idleAfter?: number;
          mode?: 'stop' | 'freeze';
          freezeMax?: number;
          hostname?: string[];
          hostnames?: boolean;
          waker?: string[];
          anyoneWakes?: boolean;
          proxyProtocol?: string;
        },
        command: Command,
      ) => {
        const body = {
          ...(opts.sleep ? { sleep_enabled: opts.sleep === 'on' } : {}),
          ...(opts.idleAfter !== undefined ? { idle_after_seconds: opts.idleAfter } : {}),
          ...(opts.mode ? { sleep_mode: opts.mode } : {}),
          ...(opts.freezeMax !== undefined ? { freeze_max_seconds: opts.freezeMax } : {}),
          ...(opts.hostname
            ? { hostnames: opts.hostname }
            : opts.hostnames === false
              ? { hostnames: [] }
              : {}),
          ...(opts.waker ? { wakers: opts.waker } : opts.anyoneWakes ? { wakers: [] } : {}),
          ...(opts.proxyProtocol ? { proxy_protocol: opts.proxyProtocol === 'on' } : {}),
        };
        if (Object.keys(body).length === 0)
          throw new UsageError('nothing to change: give at least one option');
        const ctx = await app.context(command);
        const server = await resolveServer(ctx, ref);
        const g = unwrap(
          await ctx.client.PATCH('/api/v1/servers/{id}/gateway', {
            params: { path: { id: server.id } },
            body,
          }),
        );
        ctx.result(g, () => gatewayFields(g, ctx));
      },
    );
  examples(set, [
    'minefleet gateway set survival --sleep on --idle-after 300',
    'minefleet gateway set survival --mode freeze --freeze-max 3600',
    'minefleet gateway set survival --hostname mc.example.com --waker Alex --waker Steve',
  ]);

  examples(show, ['minefleet gateway show survival', 'minefleet gateway show survival -o json']);

  const wakes = leafCommand(
    gateway,
    'wakes <server>',
    'Recent wakes: who joined, from what, how long it took',
  )
    .option('--limit <n>', 'how many (default 20)', positiveInt)
    .action(async (ref: string, opts: { limit?: number }, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const { wakes } = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/wakes', {
          params: { path: { id: server.id }, query: { limit: opts.limit ?? 20 } },
        }),
      );
      ctx.result(wakes, () =>
        wakes.length === 0
          ? 'No wakes yet.\n'
          : renderTable(
              wakes,
              [
                { header: 'AT', value: (w) => w.at },
                { header: 'PLAYER', value: (w) => w.player ?? '-' },
                { header: 'FROM', value: (w) => w.from_status },
                { header: 'OUTCOME', value: (w) => w.outcome },
                { header: 'TOOK', value: (w) => (w.duration_ms !== null ? `${w.duration_ms} ms` : '-') },
                { header: 'MESSAGE', value: (w) => w.message ?? '' },
              ],
              ctx.style,
            ),
      );
    });

  examples(wakes, ['minefleet gateway wakes survival', 'minefleet gateway wakes survival --limit 5']);

  const wake = leafCommand(gateway, 'wake <server>', 'Wake a sleeping or frozen server now').action(
    async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      unwrap(await ctx.client.POST('/api/v1/servers/{id}/wake', { params: { path: { id: server.id } } }));
      ctx.result({ accepted: true }, () => `Waking ${server.name}.\n`);
    },
  );
  examples(wake, ['minefleet gateway wake survival']);

  registerGatewayRunCommand(gateway, app);
}
