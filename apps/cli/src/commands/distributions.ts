import type { Command } from 'commander';
import { unwrap } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import { sortVersions } from '../minecraft-versions.js';
import { renderTable } from '../output/table.js';

/** Up to `max` versions, newest first, then how many more there are. */
function versionSummary(versions: readonly string[], max = 6): string {
  if (versions.length === 0) return '-';
  const shown = sortVersions(versions).slice(0, max).join(', ');
  return versions.length > max ? `${shown} (+${versions.length - max} more)` : shown;
}

export function registerDistributionCommands(program: Command, app: CliApp): void {
  const distributions = program
    .command('distributions')
    .description('Server software and Minecraft versions this host can run');
  examples(distributions, ['minefleet distributions ls']);
  const ls = leafCommand(distributions, 'ls', 'List distributions and their versions')
    .alias('list')
    .option('--all-versions', 'list every version instead of the newest few')
    .action(async (opts: { allVersions?: boolean }, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const { distributions: list } = unwrap(await ctx.client.GET('/api/v1/distributions'));
      ctx.result(list, () =>
        renderTable(
          list,
          [
            { header: 'DISTRIBUTION', value: (d) => d.distribution },
            {
              header: 'AVAILABLE',
              value: (d) => (d.available ? 'yes' : 'no'),
              style: (t, d) => (d.available ? ctx.style.green(t) : ctx.style.red(t)),
            },
            {
              header: 'VERSIONS',
              value: (d) =>
                opts.allVersions ? sortVersions(d.versions).join(', ') : versionSummary(d.versions),
            },
            { header: 'NOTE', value: (d) => d.reason ?? '' },
          ],
          ctx.style,
        ),
      );
    });
  examples(ls, ['minefleet distributions ls', 'minefleet distributions ls --all-versions']);
}
