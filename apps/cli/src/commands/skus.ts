import type { Command } from 'commander';
import { unwrap } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import { renderTable } from '../output/table.js';

function price(cents: number, currency: string): string {
  return `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}/mo`;
}

export function registerSkuCommands(program: Command, app: CliApp): void {
  const skus = program.command('skus').description('Plans a server can be created from');
  examples(skus, ['minefleet skus ls']);
  const ls = leafCommand(skus, 'ls', 'List plans')
    .alias('list')
    .action(async (_opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      ctx.requireToken();
      const { skus: list } = unwrap(await ctx.client.GET('/api/v1/skus'));
      ctx.result(list, () =>
        renderTable(
          list,
          [
            { header: 'ID', value: (s) => s.id },
            { header: 'NAME', value: (s) => s.name },
            { header: 'CPU', value: (s) => `${s.cpu_millicores / 1000}`, align: 'right' },
            { header: 'MEMORY', value: (s) => `${s.memory_mb} MB`, align: 'right' },
            { header: 'STORAGE', value: (s) => `${Math.round(s.storage_mb / 1024)} GB`, align: 'right' },
            { header: 'PLAYERS', value: (s) => String(s.max_players), align: 'right' },
            { header: 'PRICE', value: (s) => price(s.monthly_price_cents, s.currency), align: 'right' },
            { header: 'AVAILABLE', value: (s) => (s.available ? 'yes' : 'no') },
          ],
          ctx.style,
        ),
      );
    });
  examples(ls, ['minefleet skus ls', 'minefleet skus ls --format yaml']);
}
