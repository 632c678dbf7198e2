import { Option, type Command } from 'commander';
import { unwrap } from '@minefleet/api-client/client';
import { downloadBackup } from '../backup-download.js';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import { CliError, UsageError } from '../errors.js';
import { collect, positiveInt } from '../option-parsers.js';
import { backupFields, backupTable } from '../output/backup-view.js';
import { formatBytes } from '../output/bytes.js';
import { ask } from '../prompt.js';
import { resolveBackup } from '../resolve-backup.js';
import { resolveServer } from '../resolve-server.js';
import { waitForBackup } from '../wait-for-backup.js';
import { settleServer } from '../wait-for-server.js';

const COMPRESSIONS = ['none', 'gzip', 'zstd'] as const;
const SORTS = ['created_at', '-created_at', 'size_bytes', '-size_bytes'] as const;
const POLL_MS = 250;

interface WaitFlags {
  wait: boolean;
  timeout?: number;
}

function addWait(command: Command, what: string): Command {
  return command
    .option('--no-wait', `return at once instead of waiting until ${what}`)
    .option('--timeout <seconds>', 'how long to wait (default 600)', positiveInt);
}

export function registerBackupCommands(program: Command, app: CliApp): void {
  const backups = program
    .command('backups')
    .alias('backup')
    .description('Back up, download and restore server worlds (backups named by name or id)');
  examples(backups, [
    'minefleet backups create survival --tag before-update',
    'minefleet backups ls survival',
    'minefleet backups restore nightly --server survival',
    'minefleet backups download nightly --server survival -O world.tar.zst',
  ]);

  const ls = leafCommand(
    backups,
    'ls [server]',
    "List a server's backups, or all of the tenant's (deleted servers' too)",
  )
    .alias('list')
    .option('--status <status>', 'only these statuses (pending, running, completed, failed; comma-separated)')
    .option('--tag <tag>', 'only backups with this tag')
    .option('-q, --query <text>', 'only backups whose name contains the text')
    .addOption(new Option('--sort <order>', 'order (default -created_at: newest first)').choices(SORTS))
    .option('--orphaned', 'only backups of deleted servers (with no server given)')
    .option('--page <n>', 'page number', positiveInt)
    .option('--per-page <n>', 'backups per page (up to 100)', positiveInt)
    .action(
      async (
        ref: string | undefined,
        opts: {
          status?: string;
          tag?: string;
          query?: string;
          sort?: (typeof SORTS)[number];
          orphaned?: boolean;
          page?: number;
          perPage?: number;
        },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        ctx.requireToken();
        const query = {
          page: opts.page ?? 1,
          per_page: opts.perPage ?? 100,
          ...(opts.status ? { status: opts.status } : {}),
          ...(opts.tag ? { tag: opts.tag } : {}),
          ...(opts.query ? { q: opts.query } : {}),
          ...(opts.sort ? { sort: opts.sort } : {}),
        };
        const page =
          ref !== undefined
            ? unwrap(
                await ctx.client.GET('/api/v1/servers/{id}/backups', {
                  params: { path: { id: (await resolveServer(ctx, ref)).id }, query },
                }),
              )
            : unwrap(
                await ctx.client.GET('/api/v1/backups', {
                  params: { query: { ...query, ...(opts.orphaned ? { orphaned: true } : {}) } },
                }),
              );
        ctx.result(page.backups, () =>
          page.backups.length === 0 ? 'No backups.\n' : backupTable(page.backups, ctx),
        );
        ctx.note(
          `Backup storage: ${formatBytes(page.quota.used_bytes)} of ${formatBytes(page.quota.limit_bytes)}.`,
        );
        const { page: n, per_page: size, total } = page.pagination;
        if (n * size < total) ctx.note(`Showing ${page.backups.length} of ${total}; next: --page ${n + 1}`);
      },
    );
  examples(ls, [
    'minefleet backups ls survival',
    'minefleet backups ls --orphaned',
    'minefleet backups ls -o json',
  ]);

  const create = addWait(
    leafCommand(backups, 'create <server>', 'Back up a server (hot if it runs); waits until it is stored')
      .option('--name <name>', 'name (default: manual-YYYYMMDD-HHMMSS)')
      .addOption(new Option('--compression <kind>', 'compression (default: zstd)').choices(COMPRESSIONS))
      .option('--tag <tag>', 'a tag (repeatable)', collect)
      .option('--description <text>', 'a note kept with the backup')
      .option('--retain-days <days>', 'remove it automatically after this many days', positiveInt),
    'it is completed',
  ).action(
    async (
      ref: string,
      opts: WaitFlags & {
        name?: string;
        compression?: (typeof COMPRESSIONS)[number];
        tag?: string[];
        description?: string;
        retainDays?: number;
      },
      command: Command,
    ) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, ref);
      const created = unwrap(
        await ctx.client.POST('/api/v1/servers/{id}/backups', {
          params: { path: { id: server.id } },
          body: {
            ...(opts.name !== undefined ? { name: opts.name } : {}),
            ...(opts.compression ? { compression: opts.compression } : {}),
            ...(opts.tag ? { tags: opts.tag } : {}),
            ...(opts.description !== undefined ? { description: opts.description } : {}),
            ...(opts.retainDays !== undefined ? { retain_days: opts.retainDays } : {}),
          },
        }),
      );
      const result = opts.wait ? await waitForBackup(ctx, created, opts.timeout ?? 600) : created;
      ctx.result(result, () => backupFields(result, ctx));
    },
  );
  examples(create, [
    'minefleet backups create survival',
    'minefleet backups create survival --name before-1.21 --tag update --retain-days 30',
    'minefleet backups create survival --no-wait -o json | jq -r .id',
  ]);

  const serverOption = (command: Command) =>
    command.option('--server <server>', 'the server whose backup this is (when names are shared)');

  const get = serverOption(leafCommand(backups, 'get <backup>', 'Show one backup')).action(
    async (ref: string, opts: { server?: string }, command: Command) => {
      const ctx = await app.context(command);
      const backup = await resolveBackup(ctx, ref, opts.server);
      ctx.result(backup, () => backupFields(backup, ctx));
    },
  );
  examples(get, [
    'minefleet backups get nightly --server survival',
    'minefleet backups get 5f0c…-uuid -o yaml',
  ]);

  const download = serverOption(
    leafCommand(backups, 'download <backup>', 'Download the archive (checked against its SHA-256)').option(
      '-O, --output <file>',
      'where to write it ("-" for stdout; default: its file name, here)',
    ),
  ).action(async (ref: string, opts: { server?: string; output?: string }, command: Command) => {
    const ctx = await app.context(command);
    const backup = await resolveBackup(ctx, ref, opts.server);
    await downloadBackup(ctx, backup, opts.output);
  });
  examples(download, [
    'minefleet backups download nightly --server survival',
    'minefleet backups download 5f0c…-uuid -O - | tar --zstd -tf -',
  ]);

  const rm_ = serverOption(
    leafCommand(backups, 'rm <backup>', 'Delete a backup (archive and record; admins)')
      .alias('delete')
      .option('-y, --yes', 'do not ask for confirmation (required without a terminal)'),
  ).action(async (ref: string, opts: { server?: string; yes?: boolean }, command: Command) => {
    const ctx = await app.context(command);
    const backup = await resolveBackup(ctx, ref, opts.server);
    if (!opts.yes) {
      const answer = await ask(
        ctx.io,
        `Delete backup ${backup.name} of ${backup.server_name}? Type its name to confirm: `,
        {
          flag: '--yes',
        },
      );
      if (answer !== backup.name) throw new UsageError('not confirmed; nothing was deleted');
    }
    unwrap(
      await ctx.client.DELETE('/api/v1/backups/{backup_id}', { params: { path: { backup_id: backup.id } } }),
    );
    ctx.result(
      { id: backup.id, name: backup.name, deleted: true },
      () => `Deleted backup ${backup.name} (${backup.id}).\n`,
    );
  });
  examples(rm_, ['minefleet backups rm old --server survival --yes']);

  for (const [name, locked] of [
    ['lock', true],
    ['unlock', false],
  ] as const) {
    const cmd = serverOption(
      leafCommand(
        backups,
        `${name} <backup>`,
        locked
          ? 'Lock a backup: retention and rm leave it alone'
          : 'Unlock a backup (retention applies again)',
      ),
    ).action(async (ref: string, opts: { server?: string }, command: Command) => {
      const ctx = await app.context(command);
      const backup = await resolveBackup(ctx, ref, opts.server);
      const changed = unwrap(
        await ctx.client.PATCH('/api/v1/backups/{backup_id}', {
          params: { path: { backup_id: backup.id } },
          body: { locked },
        }),
      );
      ctx.result(changed, () => `${locked ? 'Locked' : 'Unlocked'} backup ${changed.name}.\n`);
    });
    examples(cmd, [`minefleet backups ${name} nightly --server survival`]);
  }

  const restore = serverOption(
    leafCommand(
      backups,
      'restore <backup>',
      'Restore a backup into its server (or --to another); waits for it',
    )
      .option(
        '--to <server>',
        "restore into this server instead (same distribution and version; e.g. a deleted server's backup)",
      )
      .option('--no-pre-backup', 'skip the pre-restore backup of the current world')
      .option('--start', 'start the server afterwards (default: if it was running)')
      .option('--post-command <command>', 'console command once it runs again (repeatable)', collect)
      .option('--no-wait', 'return once the server is restoring')
      .option('--timeout <seconds>', 'how long to wait (default 600)', positiveInt),
  ).action(
    async (
      ref: string,
      opts: WaitFlags & {
        server?: string;
        to?: string;
        preBackup: boolean;
        start?: boolean;
        postCommand?: string[];
      },
      command: Command,
    ) => {
      const ctx = await app.context(command);
      const backup = await resolveBackup(ctx, ref, opts.server);
      const target = opts.to !== undefined ? (await resolveServer(ctx, opts.to)).id : backup.server_id;
      const restoring = unwrap(
        await ctx.client.POST('/api/v1/backups/{backup_id}/restore', {
          params: { path: { backup_id: backup.id } },
          body: {
            server_id: target,
            ...(opts.preBackup === false ? { pre_restore_backup: false } : {}),
            ...(opts.start ? { start_after: true } : {}),
            ...(opts.postCommand ? { post_restore_commands: opts.postCommand } : {}),
          },
        }),
      );
      ctx.note(`Restoring ${backup.name} into ${restoring.name}…`);
      if (!opts.wait) {
        ctx.result(restoring, () => `${restoring.name}: ${restoring.status}\n`);
        return;
      }
      // The server leaves `restoring` when the restore is over, whatever its outcome.
      const deadline = Date.now() + (opts.timeout ?? 600) * 1000;
      let server = restoring;
      while (server.status === 'restoring') {
        if (Date.now() > deadline) throw new CliError(`${server.name} still restoring`, { code: 'TIMEOUT' });
        await new Promise((r) => setTimeout(r, POLL_MS));
        server = unwrap(await ctx.client.GET('/api/v1/servers/{id}', { params: { path: { id: target } } }));
      }
      const after = unwrap(
        await ctx.client.GET('/api/v1/backups/{backup_id}', { params: { path: { backup_id: backup.id } } }),
      );
      if (after.error) throw new CliError(`restore failed: ${after.error}`, { code: 'RESTORE_FAILED' });
      if (server.status === 'starting' || server.desired_state === 'running')
        await settleServer(ctx, server, 'running', { wait: true, timeout: opts.timeout ?? 300 });
      else ctx.result(server, () => `Restored ${backup.name} into ${server.name} (${server.status}).\n`);
    },
  );
  examples(restore, [
    'minefleet backups restore nightly --server survival',
    'minefleet backups restore final --server old-world --to new-world --start',
  ]);
}
