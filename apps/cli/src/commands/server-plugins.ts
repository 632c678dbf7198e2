import type { Command } from 'commander';
import { unwrap, type Schemas, type Server } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { collect, positiveInt } from '../option-parsers.js';
import { renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';
import {
  installationsOf,
  resolveInstallation,
  resolvePluginId,
  type Installation,
} from '../resolve-plugin.js';
import { resolveServer } from '../resolve-server.js';

type InstallResult = Schemas['PluginInstallResult'];

const DEFAULT_WAIT_SECONDS = 120;
const POLL_MS = 250;

interface InstallOptions {
  version?: string;
  config?: string[];
  dryRun?: boolean;
  wait?: boolean;
  timeout?: number;
}

/** The context, the server and the installation a `<server> <plugin>` subcommand acts on. */
async function installationTarget(app: CliApp, command: Command, serverRef: string, pluginRef: string) {
  const ctx = await app.context(command);
  const server = await resolveServer(ctx, serverRef);
  const current = await resolveInstallation(ctx, server, pluginRef);
  return { ctx, server, current };
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

/** A server's plugins: `plugins ls`, `install`, `enable`, `disable`, `upgrade` and `rm`. */
export function registerServerPluginCommands(plugins: Command, app: CliApp): void {
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
      const { ctx, server, current } = await installationTarget(app, command, serverRef, pluginRef);
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
        const { ctx, server, current } = await installationTarget(app, command, serverRef, pluginRef);
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
        const { ctx, server, current } = await installationTarget(app, command, serverRef, pluginRef);
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
}
