import { Option, type Command } from 'commander';
import { unwrap, type Schemas, type Server } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { collect, positiveInt } from '../option-parsers.js';
import { renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';
import { resolveServer } from '../resolve-server.js';

type PluginSummary = Schemas['PluginSummary'];
type Installation = Schemas['PluginInstallation'];
type InstallResult = Schemas['PluginInstallResult'];
type Distribution = Schemas['Server']['distribution'];

const DISTRIBUTIONS: readonly Distribution[] = ['flying-squid', 'paper', 'vanilla', 'purpur', 'fabric'];
const DEFAULT_WAIT_SECONDS = 120;
const POLL_MS = 250;

interface SearchOptions {
  category?: string;
  minecraftVersion?: string;
  distribution?: Distribution;
  for?: string;
  pending?: boolean;
  page?: number;
  perPage?: number;
}

interface InstallOptions {
  version?: string;
  config?: string[];
  dryRun?: boolean;
  wait?: boolean;
  timeout?: number;
}

/** `key=value` pairs for a plugin's configuration: values that read as JSON are JSON, others text. */
export function parseConfigAssignments(assignments: readonly string[]): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const eq = assignment.indexOf('=');
    if (eq <= 0) throw new UsageError(`--config takes key=value (got "${assignment}")`);
    const key = assignment.slice(0, eq).trim();
    const raw = assignment.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      // Plain text: `greeting=Hi {player}` needs no quotes.
    }
    config[key] = value;
  }
  return config;
}

/** `hello@1.2.0` → plugin `hello`, version `1.2.0` (a `--version` option wins). */
function splitVersion(ref: string, version: string | undefined): { plugin: string; version?: string } {
  const at = ref.lastIndexOf('@');
  if (at > 0 && version === undefined) return { plugin: ref.slice(0, at), version: ref.slice(at + 1) };
  return { plugin: ref, ...(version !== undefined && { version }) };
}

/** A catalogue id: `local:hello` as given; a bare `hello` is looked up (unique match by source id). */
async function resolvePluginId(ctx: Context, ref: string): Promise<string> {
  if (ref.includes(':')) return ref;
  const found = unwrap(
    await ctx.client.GET('/api/v1/plugins', {
      params: { query: { q: ref, per_page: 100, approval: 'any' } },
    }),
  ).plugins.filter((p) => p.source_id === ref);
  if (found.length === 1) return found[0]!.id;
  if (found.length > 1) {
    throw new UsageError(
      `"${ref}" is in several sources (${found.map((p) => p.id).join(', ')}); use the full id`,
    );
  }
  throw new CliError(`No plugin "${ref}" in the catalogue (see "minefleet plugins search").`, {
    code: 'PLUGIN_NOT_FOUND',
  });
}

async function installationsOf(ctx: Context, server: Server): Promise<Installation[]> {
  return unwrap(
    await ctx.client.GET('/api/v1/servers/{id}/plugins', {
      params: { path: { id: server.id }, query: { per_page: 100 } },
    }),
  ).plugins;
}

/** An installation on the server named by plugin id, bare slug, or installation id. */
async function resolveInstallation(ctx: Context, server: Server, ref: string): Promise<Installation> {
  const list = await installationsOf(ctx, server);
  const match =
    list.find((i) => i.id === ref || i.plugin_id === ref) ??
    list.find((i) => i.plugin_id.slice(i.plugin_id.indexOf(':') + 1) === ref);
  if (!match) {
    throw new CliError(
      `${server.name} has no plugin "${ref}"${list.length > 0 ? ` (it has ${list.map((i) => i.plugin_id).join(', ')})` : ''}.`,
      { code: 'INSTALLATION_NOT_FOUND' },
    );
  }
  return match;
}

/** Polls until none of the server's plugins is `installing`; fails if the watched one failed. */
async function waitForInstall(
  ctx: Context,
  server: Server,
  installationId: string,
  timeoutSeconds: number,
): Promise<Installation> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    const list = await installationsOf(ctx, server);
    const mine = list.find((i) => i.id === installationId);
    if (!mine)
      throw new CliError('The installation disappeared while waiting.', { code: 'INSTALLATION_NOT_FOUND' });
    if (!list.some((i) => i.status === 'installing')) {
      if (mine.status === 'failed') {
        throw new CliError(`${mine.plugin_id} was not installed: ${mine.error?.message ?? 'unknown error'}`, {
          code: mine.error?.code ?? 'INTERNAL',
        });
      }
      return mine;
    }
    if (Date.now() > deadline) {
      throw new CliError(
        `${mine.plugin_id} is still installing after ${timeoutSeconds}s (see "minefleet plugins ls ${server.name}").`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function planLines(ctx: Context, result: InstallResult): string[] {
  return result.resolved.map((r) => {
    const change =
      r.action === 'install' ? r.version : `${r.previous_version ?? '?'} → ${r.version} (${r.action})`;
    const why = r.as_dependency ? ctx.style.dim(` dependency of ${r.required_by.join(', ')}`) : '';
    return `  ${r.plugin_id} ${change}${why}`;
  });
}

function appliedNote(serverName: string, applied: InstallResult['applied']): string {
  return applied === 'live'
    ? 'Applied live.'
    : `Takes effect on the next start (run "minefleet servers restart ${serverName}").`;
}

function searchTable(ctx: Context, plugins: readonly PluginSummary[]): string {
  return renderTable(
    plugins,
    [
      { header: 'ID', value: (p) => p.id },
      { header: 'NAME', value: (p) => p.name },
      { header: 'LATEST', value: (p) => p.latest_version },
      { header: 'CATEGORY', value: (p) => p.category },
      { header: 'FOR', value: (p) => p.distributions.join(',') },
      {
        header: 'DESCRIPTION',
        value: (p) => (p.description.length > 60 ? `${p.description.slice(0, 59)}…` : p.description),
      },
    ],
    ctx.style,
  );
}

function installationTable(ctx: Context, list: readonly Installation[]): string {
  const status = (i: Installation) =>
    i.status === 'installed'
      ? ctx.style.green(i.status)
      : i.status === 'failed'
        ? ctx.style.red(i.status)
        : ctx.style.yellow(i.status);
  return renderTable(
    list,
    [
      { header: 'PLUGIN', value: (i) => i.plugin_id },
      { header: 'VERSION', value: (i) => i.version },
      { header: 'STATUS', value: (i) => i.status, style: (text, i) => text.replace(i.status, status(i)) },
      {
        header: 'REQUIRED BY',
        value: (i) => (i.as_dependency || i.required_by.length > 0 ? i.required_by.join(',') || '-' : '-'),
      },
      { header: 'UPDATED', value: (i) => `${formatAge(i.updated_at)} ago` },
      { header: 'ERROR', value: (i) => (i.error ? `${i.error.code}: ${i.error.message}` : '') },
    ],
    ctx.style,
  );
}

export function registerPluginCommands(program: Command, app: CliApp): void {
  const plugins = program
    .command('plugins')
    .alias('plugin')
    .description('The plugin catalogue and the plugins of a server (servers by name or id)');
  examples(plugins, [
    'minefleet plugins search --for survival',
    'minefleet plugins install survival local:hello -c greeting="Hi {player}"',
    'minefleet plugins ls survival',
    'minefleet plugins disable survival hello',
  ]);

  const search = leafCommand(
    plugins,
    'search [text]',
    'Search the catalogue (approved, installable versions)',
  )
    .option('--category <category>', 'only this category (chat, world, library, …)')
    .option('-m, --minecraft-version <version>', 'only plugins with a version for this Minecraft version')
    .addOption(
      new Option('-d, --distribution <distribution>', 'only plugins for this server software').choices(
        DISTRIBUTIONS,
      ),
    )
    .option('--for <server>', "only plugins that fit this server's Minecraft version and distribution")
    .option('--pending', 'versions waiting for review instead (platform administrators)')
    .option('--page <n>', 'page number', positiveInt)
    .option('--per-page <n>', 'plugins per page (up to 100)', positiveInt)
    .action(async (text: string | undefined, opts: SearchOptions, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      let { minecraftVersion, distribution } = opts;
      if (opts.for) {
        const server = await resolveServer(ctx, opts.for);
        minecraftVersion ??= server.minecraft_version;
        distribution ??= server.distribution;
      }
      const result = unwrap(
        await ctx.client.GET('/api/v1/plugins', {
          params: {
            query: {
              ...(text && { q: text }),
              ...(opts.category && { category: opts.category }),
              ...(minecraftVersion && { minecraft_version: minecraftVersion }),
              ...(distribution && { distribution }),
              ...(opts.pending && { approval: 'pending' as const }),
              page: opts.page ?? 1,
              per_page: opts.perPage ?? 20,
            },
          },
        }),
      );
      ctx.result(result, () => {
        if (result.plugins.length === 0) return 'No plugins match.\n';
        const { page, per_page, total } = result.pagination;
        const more =
          page * per_page < total
            ? ctx.style.dim(
                `Page ${page} of ${Math.ceil(total / per_page)} (${total} plugins): --page ${page + 1} for more.\n`,
              )
            : '';
        return searchTable(ctx, result.plugins) + more;
      });
    });
  examples(search, [
    'minefleet plugins search hello',
    'minefleet plugins search --category chat -m 1.20.2',
    'minefleet plugins search --for survival',
  ]);

  const info = leafCommand(
    plugins,
    'info <plugin>',
    'A plugin with its versions, compatibility, dependencies and approval',
  ).action(async (ref: string, _opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    ctx.requireToken();
    const id = await resolvePluginId(ctx, ref);
    const plugin = unwrap(await ctx.client.GET('/api/v1/plugins/{id}', { params: { path: { id } } }));
    ctx.result(plugin, () => {
      const head = [
        `${ctx.style.bold(plugin.name)} (${plugin.id}) by ${plugin.author}, ${plugin.category}`,
        plugin.description,
        ...(plugin.homepage ? [plugin.homepage] : []),
        '',
      ].join('\n');
      const table = renderTable(
        plugin.versions,
        [
          { header: 'VERSION', value: (v) => v.version },
          { header: 'APPROVAL', value: (v) => v.approval },
          { header: 'MINECRAFT', value: (v) => v.minecraft_versions.join(',') },
          { header: 'FOR', value: (v) => v.distributions.join(',') },
          { header: 'SIZE', value: (v) => `${v.size_bytes} B`, align: 'right' },
          {
            header: 'DEPENDS ON',
            value: (v) =>
              v.dependencies
                .map((d) => `${d.plugin_id} ${d.version_range}${d.optional ? ' (optional)' : ''}`)
                .join(', ') || '-',
          },
        ],
        ctx.style,
      );
      return `${head}\n${table}`;
    });
  });
  examples(info, ['minefleet plugins info local:hello', 'minefleet plugins info hello --format json']);

  const ls = leafCommand(plugins, 'ls <server>', "The server's plugins: version, status, what requires them")
    .alias('list')
    .action(async (serverRef: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, serverRef);
      const list = await installationsOf(ctx, server);
      ctx.result(list, () =>
        list.length === 0 ? `${server.name} has no plugins.\n` : installationTable(ctx, list),
      );
    });
  examples(ls, ['minefleet plugins ls survival']);

  const install = leafCommand(
    plugins,
    'install <server> <plugin>',
    'Install a plugin and its dependencies (plugin: id or slug, optionally @version)',
  )
    .option('--version <version>', 'an exact catalogue version (default: the newest that fits)')
    .option('-c, --config <key=value>', "set a value in the plugin's configuration (repeatable)", collect)
    .option('--dry-run', 'show what would be installed, change nothing')
    .option('--no-wait', 'return once the install is accepted instead of when it is done')
    .option(
      '--timeout <seconds>',
      `how long to wait for the install (default ${DEFAULT_WAIT_SECONDS})`,
      positiveInt,
    )
    .action(async (serverRef: string, pluginRef: string, opts: InstallOptions, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, serverRef);
      const wanted = splitVersion(pluginRef, opts.version);
      const pluginId = await resolvePluginId(ctx, wanted.plugin);
      const result = unwrap(
        await ctx.client.POST('/api/v1/servers/{id}/plugins', {
          params: { path: { id: server.id } },
          body: {
            plugin_id: pluginId,
            ...(wanted.version !== undefined && { version: wanted.version }),
            ...(opts.config && { config_overrides: parseConfigAssignments(opts.config) }),
            ...(opts.dryRun && { dry_run: true }),
          },
        }),
      );
      if (opts.dryRun) {
        ctx.result(result, () =>
          [
            `Would install on ${server.name}:`,
            ...planLines(ctx, result),
            appliedNote(server.name, result.applied),
            '',
          ].join('\n'),
        );
        return;
      }
      ctx.note([`Installing on ${server.name}:`, ...planLines(ctx, result)].join('\n'));
      const installation =
        opts.wait === false || !result.installation
          ? result.installation
          : await waitForInstall(ctx, server, result.installation.id, opts.timeout ?? DEFAULT_WAIT_SECONDS);
      ctx.result({ ...result, installation }, () =>
        opts.wait === false
          ? `Accepted; follow with "minefleet plugins ls ${server.name}".\n`
          : `Installed ${installation?.plugin_id} ${installation?.version}. ${appliedNote(server.name, result.applied)}\n`,
      );
    });
  examples(install, [
    'minefleet plugins install survival local:hello',
    'minefleet plugins install survival hello@1.0.0 -c greeting="Howdy {player}"',
    'minefleet plugins install survival spawn --dry-run',
  ]);

  for (const [name, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    const toggle = leafCommand(
      plugins,
      `${name} <server> <plugin>`,
      enabled
        ? 'Enable a plugin (and the dependencies it needs); applies on the next start'
        : 'Disable a plugin without removing it (refused while an enabled plugin requires it)',
    ).action(async (serverRef: string, pluginRef: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, serverRef);
      const current = await resolveInstallation(ctx, server, pluginRef);
      const result = unwrap(
        await ctx.client.PATCH('/api/v1/servers/{id}/plugins/{installation_id}', {
          params: { path: { id: server.id, installation_id: current.id } },
          body: { enabled },
        }),
      );
      ctx.result(
        result,
        () =>
          `${current.plugin_id} ${enabled ? 'enabled' : 'disabled'} on ${server.name}. ${appliedNote(server.name, result.applied)}\n`,
      );
    });
    examples(toggle, [`minefleet plugins ${name} survival hello`]);
  }

  const upgrade = leafCommand(
    plugins,
    'upgrade <server> <plugin>',
    'Move a plugin to the newest version that fits (or --version), with its dependencies',
  )
    .option('--version <version>', 'an exact catalogue version (also to downgrade)')
    .option('--no-wait', 'return once the upgrade is accepted')
    .option('--timeout <seconds>', `how long to wait (default ${DEFAULT_WAIT_SECONDS})`, positiveInt)
    .action(
      async (
        serverRef: string,
        pluginRef: string,
        opts: Omit<InstallOptions, 'config' | 'dryRun'>,
        command: Command,
      ) => {
        const ctx = await app.context(command);
        const server = await resolveServer(ctx, serverRef);
        const current = await resolveInstallation(ctx, server, pluginRef);
        const result = unwrap(
          await ctx.client.PATCH('/api/v1/servers/{id}/plugins/{installation_id}', {
            params: { path: { id: server.id, installation_id: current.id } },
            body: { version: opts.version ?? 'latest' },
          }),
        );
        if (result.resolved.length === 0) {
          ctx.result(
            result,
            () => `${current.plugin_id} ${current.version} is already the version that fits.\n`,
          );
          return;
        }
        ctx.note([`Upgrading on ${server.name}:`, ...planLines(ctx, result)].join('\n'));
        const installation =
          opts.wait === false
            ? result.installation
            : await waitForInstall(ctx, server, current.id, opts.timeout ?? DEFAULT_WAIT_SECONDS);
        ctx.result({ ...result, installation }, () =>
          opts.wait === false
            ? `Accepted; follow with "minefleet plugins ls ${server.name}".\n`
            : `${current.plugin_id} is now ${installation?.version}. ${appliedNote(server.name, result.applied)}\n`,
        );
      },
    );
  examples(upgrade, [
    'minefleet plugins upgrade survival hello',
    'minefleet plugins upgrade survival hello --version 1.0.0',
  ]);

  const rm = leafCommand(
    plugins,
    'rm <server> <plugin>',
    'Remove a plugin (refused while another installed plugin requires it)',
  )
    .alias('remove')
    .option('--with-dependencies', 'also remove dependencies nothing else needs any more')
    .action(
      async (
        serverRef: string,
        pluginRef: string,
        opts: { withDependencies?: boolean },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        const server = await resolveServer(ctx, serverRef);
        const current = await resolveInstallation(ctx, server, pluginRef);
        const result = unwrap(
          await ctx.client.DELETE('/api/v1/servers/{id}/plugins/{installation_id}', {
            params: {
              path: { id: server.id, installation_id: current.id },
              query: { remove_orphans: opts.withDependencies === true },
            },
          }),
        );
        ctx.result(result, () => {
          const lines = [
            `Removed ${result.removed.map((r) => r.plugin_id).join(', ')} from ${server.name}. ${appliedNote(server.name, result.applied)}`,
          ];
          if (result.orphans.length > 0) {
            lines.push(
              ctx.style.dim(
                `No longer needed: ${result.orphans.join(', ')} (remove with "minefleet plugins rm ${server.name} <plugin>", or use --with-dependencies).`,
              ),
            );
          }
          return `${lines.join('\n')}\n`;
        });
      },
    );
  examples(rm, [
    'minefleet plugins rm survival hello',
    'minefleet plugins rm survival hello --with-dependencies',
  ]);

  const approve = leafCommand(
    plugins,
    'approve <plugin> <version>',
    'Approve a plugin version for installs (platform administrators)',
  )
    .option('--reject', 'reject it instead')
    .option('--pending', 'send it back to review')
    .action(
      async (
        ref: string,
        version: string,
        opts: { reject?: boolean; pending?: boolean },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        ctx.requireToken();
        if (opts.reject && opts.pending) throw new UsageError('--reject and --pending exclude each other');
        const id = await resolvePluginId(ctx, ref);
        const approval = opts.reject ? 'rejected' : opts.pending ? 'pending' : 'approved';
        const result = unwrap(
          await ctx.client.POST('/api/v1/plugins/{id}/versions/{version}/approval', {
            params: { path: { id, version } },
            body: { approval },
          }),
        );
        ctx.result(result, () => `${id} ${result.version} is ${result.approval}.\n`);
      },
    );
  examples(approve, [
    'minefleet plugins approve modrinth:AANobbMI 5.4.102',
    'minefleet plugins approve local:hello 1.0.0 --reject',
  ]);

  const sync = leafCommand(
    plugins,
    'sync [plugins...]',
    'Sync the catalogue from the plugin sources now (platform administrators)',
  )
    .option('--source <source>', 'only this source (local, modrinth, hangar; repeatable)', collect)
    .option('-q, --query <text>', "read the sources' search results for this text")
    .action(async (ids: string[], opts: { source?: string[]; query?: string }, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const result = unwrap(
        await ctx.client.POST('/api/v1/plugins/sync', {
          body: {
            ...(ids.length > 0 && { plugin_ids: ids }),
            ...(opts.source && { sources: opts.source }),
            ...(opts.query && { q: opts.query }),
          },
        }),
      );
      ctx.result(result, () =>
        renderTable(
          result.sources,
          [
            { header: 'SOURCE', value: (s) => s.source },
            { header: 'PLUGINS', value: (s) => String(s.plugins), align: 'right' },
            { header: 'NEW VERSIONS', value: (s) => String(s.versions_added), align: 'right' },
            { header: 'UPDATED', value: (s) => String(s.versions_updated), align: 'right' },
            { header: 'BACK TO REVIEW', value: (s) => String(s.versions_reset_to_pending), align: 'right' },
            {
              header: 'ERRORS',
              value: (s) => s.errors.map((e) => `${e.plugin_id ?? ''} ${e.code}`.trim()).join(', ') || '-',
            },
          ],
          ctx.style,
        ),
      );
    });
  examples(sync, [
    'minefleet plugins sync',
    'minefleet plugins sync modrinth:luckperms',
    'minefleet plugins sync --source modrinth -q economy',
  ]);
}
