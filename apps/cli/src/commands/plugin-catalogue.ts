import { Option, type Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { DISTRIBUTIONS, type Distribution } from '@minefleet/domain/distributions';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { collect, positiveInt } from '../option-parsers.js';
import { renderTable } from '../output/table.js';
import { resolvePluginId } from '../resolve-plugin.js';
import { resolveServer } from '../resolve-server.js';

type PluginSummary = Schemas['PluginSummary'];

interface SearchOptions {
  category?: string;
  minecraftVersion?: string;
  distribution?: Distribution;
  for?: string;
  pending?: boolean;
  page?: number;
  perPage?: number;
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

/** Browsing the catalogue: `plugins search` and `plugins info`. */
export function registerCatalogueBrowsing(plugins: Command, app: CliApp): void {
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
}

/** The platform administrators' catalogue commands: `plugins approve` and `plugins sync`. */
export function registerCatalogueAdministration(plugins: Command, app: CliApp): void {
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
