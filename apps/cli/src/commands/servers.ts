import type { Command } from 'commander';
import { unwrap, type Server } from '@minefleet/api-client/client';
import { DISTRIBUTIONS } from '@minefleet/domain/distributions';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { sortVersions } from '../minecraft-versions.js';
import { collect, positiveInt } from '../option-parsers.js';
import { serverFields, serverTable } from '../output/server-view.js';
import { ask } from '../prompt.js';
import { resolveServer } from '../resolve-server.js';
import { parseAssignments } from '../settings-assignments.js';
import { addWaitOptions, settleServer, type WaitFlags } from '../wait-for-server.js';
import { registerServerConfigCommands } from './server-config.js';
import { registerServerLogCommands } from './server-logs.js';
import { registerServerPowerCommands } from './server-power.js';

interface ListOptions {
  status?: string;
  query?: string;
  page?: number;
  perPage?: number;
}

interface CreateOptions extends WaitFlags {
  sku?: string;
  minecraftVersion?: string;
  distribution?: string;
  property?: string[];
  maxPlayers?: number;
  start?: boolean;
  region?: string;
}

/** The cheapest available plan, when --sku is not given. */
async function defaultSku(ctx: Context): Promise<string> {
  const { skus } = unwrap(await ctx.client.GET('/api/v1/skus'));
  const sku = skus
    .filter((s) => s.available)
    .sort((a, b) => a.monthly_price_cents - b.monthly_price_cents)[0];
  if (!sku) throw new UsageError('no plan is available on this host; see "minefleet skus ls"');
  ctx.note(`Using plan ${sku.id} (choose with --sku).`);
  return sku.id;
}

/** The newest version the distribution offers, when --minecraft-version is not given. */
async function defaultVersion(ctx: Context, distribution: string): Promise<string> {
  const { distributions } = unwrap(await ctx.client.GET('/api/v1/distributions'));
  const entry = distributions.find((d) => d.distribution === distribution);
  const newest = entry ? sortVersions(entry.versions)[0] : undefined;
  if (!entry || !newest)
    throw new UsageError(`${distribution} offers no version here; see "minefleet distributions ls"`);
  ctx.note(`Using Minecraft ${newest} (choose with --minecraft-version).`);
  return newest;
}

export function registerServerCommands(program: Command, app: CliApp): void {
  const servers = program
    .command('servers')
    .alias('server')
    .description('Create, run, configure and watch Minecraft servers (named by name or id)');
  examples(servers, [
    'minefleet servers create survival -m 1.20.2 --start',
    'minefleet servers ls',
    'minefleet servers logs survival -f',
    'minefleet servers config set survival difficulty=hard',
  ]);

  const ls = leafCommand(servers, 'ls', "List the tenant's servers")
    .alias('list')
    .option('--status <status>', 'only servers in this status (running, stopped, failed, …)')
    .option('-q, --query <text>', 'only servers whose name contains the text')
    .option('--page <n>', 'page number', positiveInt)
    .option('--per-page <n>', 'servers per page (up to 100)', positiveInt)
    .action(async (opts: ListOptions, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const page = unwrap(
        await ctx.client.GET('/api/v1/servers', {
          params: {
            query: {
              page: opts.page ?? 1,
              per_page: opts.perPage ?? 100,
              ...(opts.status ? { status: opts.status } : {}),
              ...(opts.query ? { q: opts.query } : {}),
            },
          },
        }),
      );
      ctx.result(page.servers, () =>
        page.servers.length === 0 ? 'No servers.\n' : serverTable(page.servers, ctx.style),
      );
      const { page: n, per_page: size, total } = page.pagination;
      if (n * size < total) ctx.note(`Showing ${page.servers.length} of ${total}; next: --page ${n + 1}`);
    });
  examples(ls, [
    'minefleet servers ls',
    'minefleet servers ls --status running',
    "minefleet servers ls --format json | jq -r '.[].name'",
  ]);

  const create = addWaitOptions(
    leafCommand(servers, 'create <name>', 'Create a server from a plan (and start it with --start)')
      .option('--sku <id>', 'plan (see "minefleet skus ls"; default: the cheapest available)')
      .option('-m, --minecraft-version <version>', 'Minecraft version (default: the newest offered)')
      .option('-d, --distribution <name>', `server software: ${DISTRIBUTIONS.join(', ')}`, 'flying-squid')
      .option('-p, --property <key=value>', 'a server.properties setting (repeatable)', collect)
      .option('--max-players <n>', 'player limit (default: the plan’s)', positiveInt)
      .option('--region <region>', 'where it runs (default: the installation’s, MINEFLEET_REGION or local)')
      .option('--start', 'start it once deployed'),
    'running (with --start) or deployed',
  ).action(async (name: string, opts: CreateOptions, command: Command) => {
    const ctx = await app.context(command);
    ctx.requireToken();
    const settings = parseAssignments(opts.property ?? []);
    if (settings.name !== undefined || settings.max_players !== undefined)
      throw new UsageError('give the name as the argument and the player limit with --max-players');
    const distribution = opts.distribution ?? 'flying-squid';
    const sku = opts.sku ?? (await defaultSku(ctx));
    const version = opts.minecraftVersion ?? (await defaultVersion(ctx, distribution));
    const server = unwrap(
      await ctx.client.POST('/api/v1/servers', {
        body: {
          name,
          sku_id: sku,
          minecraft_version: version,
          distribution: distribution as Server['distribution'],
          ...(settings.server_properties ? { server_properties: settings.server_properties } : {}),
          ...(opts.maxPlayers !== undefined ? { max_players: opts.maxPlayers } : {}),
          ...(opts.start ? { start: true } : {}),
          ...(opts.region !== undefined ? { region: opts.region } : {}),
        },
      }),
    );
    ctx.note(`Created ${server.name} (${server.id}).`);
    await settleServer(ctx, server, opts.start ? 'running' : 'stopped', opts);
  });
  examples(create, [
    'minefleet servers create survival --sku starter -m 1.20.2 --start',
    'minefleet servers create creative -p gamemode=creative -p motd="Build here" --max-players 10',
    'minefleet servers create paper-1 -d paper -m 1.21.4 --no-wait',
  ]);

  const get = leafCommand(servers, 'get <server>', 'Show one server').action(
    async (ref: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      ctx.result(server, () => serverFields(server, ctx.style));
    },
  );
  examples(get, ['minefleet servers get survival', 'minefleet servers get 5f0c…-uuid --format yaml']);

  const rm = addWaitOptions(
    leafCommand(servers, 'rm <server>', 'Delete a server: warn players, save, stop, remove its files')
      .alias('delete')
      .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
      .option('--force', 'kill at once instead of stopping gracefully')
      .option('--keep-backups', 'keep its backups (they stay restorable until they expire)'),
    'gone',
  ).action(
    async (
      ref: string,
      opts: WaitFlags & { yes?: boolean; force?: boolean; keepBackups?: boolean },
      command: Command,
    ) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      if (!opts.yes) {
        if (!ctx.io.stdin.isTTY)
          throw new UsageError(`deleting ${server.name} needs --yes when not run in a terminal`);
        const answer = await ask(ctx.io, `Delete ${server.name} and its world? Type its name to confirm: `, {
          flag: '--yes',
        });
        if (answer !== server.name) throw new UsageError('not confirmed; nothing was deleted');
      }
      const deleting = unwrap(
        await ctx.client.DELETE('/api/v1/servers/{id}', {
          params: {
            path: { id: server.id },
            query: {
              ...(opts.force ? { force: true } : {}),
              ...(opts.keepBackups ? { keep_backups: true } : {}),
            },
          },
        }),
      );
      await settleServer(ctx, deleting, 'deleted', opts);
    },
  );
  examples(rm, ['minefleet servers rm old-world', 'minefleet servers rm old-world --yes --force']);

  registerServerPowerCommands(servers, app);
  registerServerLogCommands(servers, app);
  registerServerConfigCommands(servers, app);
}
