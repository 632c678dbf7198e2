import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { unwrap } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError, failureOf, UsageError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { saveArchive } from '../platform-backup-download.js';

const MIB = 1024 * 1024;

/** Writes a stored platform backup to `output` (0600, `.partial` until complete; never overwrites). */
async function fetchStored(ctx: Context, name: string, output: string): Promise<number> {
  const target = path.resolve(output);
  if (existsSync(target)) throw new CliError(`${target} exists already.`, { code: 'FILE_EXISTS' });
  const response = await ctx.fetch(
    new Request(`${ctx.url}/api/v1/admin/platform-backups/${encodeURIComponent(name)}`, {
      headers: { authorization: `Bearer ${ctx.requireToken()}` },
    }),
    { timeoutMs: null },
  );
  if (!response.ok || !response.body) throw await failureOf(response);
  return saveArchive(response, target);
}

/**
 * `minefleet admin backups`: the platform backups the control plane keeps in the backup store
 * (MINEFLEET_PLATFORM_BACKUP_HOURS), one taken now, or one fetched for `admin restore`.
 */
export function registerAdminBackupsCommand(admin: Command, app: CliApp): void {
  const backups = leafCommand(
    admin,
    'backups',
    'Platform backups kept in the backup store: list, take one now, or fetch one',
  )
    .option('--now', 'take a platform backup into the store now')
    .option('--get <name>', 'download a stored platform backup')
    .option('-o, --output <file>', 'with --get: the file to write (default: its name)')
    .action(async (opts: { now?: boolean; get?: string; output?: string }, command: Command) => {
      if (opts.now && opts.get) throw new UsageError('--now and --get do not go together');
      if (opts.output && !opts.get) throw new UsageError('--output goes with --get');
      const ctx = await app.context(command);
      ctx.requireToken();
      if (opts.get) {
        const output = opts.output ?? opts.get;
        const bytes = await fetchStored(ctx, opts.get, output);
        ctx.result({ name: opts.get, output, bytes }, () => `Wrote ${output} (${bytes} bytes).\n`);
        return;
      }
      if (opts.now) {
        const stored = unwrap(await ctx.client.POST('/api/v1/admin/platform-backups'));
        ctx.result(stored, () => `Stored ${stored.name} (${stored.size_bytes} bytes).\n`);
        return;
      }
      const list = unwrap(await ctx.client.GET('/api/v1/admin/platform-backups'));
      const { interval_hours: hours, keep } = list.schedule;
      ctx.result(list, () => {
        const head =
          hours > 0
            ? `Scheduled every ${hours} h, the newest ${keep} kept.\n`
            : 'Not scheduled (MINEFLEET_PLATFORM_BACKUP_HOURS=0).\n';
        if (list.backups.length === 0) return `${head}No platform backups in the store.\n`;
        return (
          head +
          renderTable(
            list.backups,
            [
              { header: 'TAKEN', value: (b) => b.created_at },
              { header: 'SIZE', value: (b) => `${(b.size_bytes / MIB).toFixed(1)} MiB` },
              { header: 'NAME', value: (b) => b.name },
            ],
            ctx.style,
          )
        );
      });
    });
  examples(backups, [
    'minefleet admin backups',
    'minefleet admin backups --now',
    'minefleet admin backups --get minefleet-platform-2026-12-03T03-00-00-000Z.tar.gz -o platform.tar.gz',
  ]);
}
