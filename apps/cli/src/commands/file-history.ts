import type { Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import { CliError } from '../errors.js';
import { formatBytes } from '../output/bytes.js';
import { renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';
import { resolveServer } from '../resolve-server.js';

type TrashItem = Schemas['TrashItem'];

/** A version number as typed: a positive integer, or a clear error before any request is made. */
function versionNumber(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`"${text}" is not a version number (see "minefleet files versions").`, {
      code: 'VALIDATION_FAILED',
    });
  return n;
}

/**
 * `minefleet files versions|show-version|revert|trash|restore`: what a server's file history keeps (the
 * last 20 saves of each text file, deleted files for 7 days; docs/files.md), from the terminal.
 */
export function registerFileHistoryCommands(files: Command, app: CliApp): void {
  const versions = leafCommand(
    files,
    'versions <server> <path>',
    'Saved versions of a text file (newest first)',
  ).action(async (serverRef: string, file: string, _opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    const server = await resolveServer(ctx, serverRef);
    const res = unwrap(
      await ctx.client.GET('/api/v1/servers/{id}/files/versions', {
        params: { path: { id: server.id }, query: { path: file } },
      }),
    );
    ctx.result(res.versions, () =>
      res.versions.length === 0
        ? `No saved versions of ${file}.\n`
        : renderTable(
            res.versions,
            [
              { header: 'VERSION', value: (v) => String(v.version) },
              { header: 'SIZE', value: (v) => formatBytes(v.size) },
              { header: 'SAVED', value: (v) => formatAge(v.saved_at) },
              { header: 'BY', value: (v) => v.saved_by ?? '(before the first edit)' },
              { header: 'SHA-256', value: (v) => v.sha256.slice(0, 12), style: (t) => ctx.style.dim(t) },
            ],
            ctx.style,
          ),
    );
  });
  examples(versions, ['minefleet files versions survival server.properties']);

  const show = leafCommand(files, 'show-version <server> <path> <version>', 'Print one saved version').action(
    async (serverRef: string, file: string, version: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const n = versionNumber(version);
      const server = await resolveServer(ctx, serverRef);
      const res = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/files/versions/{version}', {
          params: { path: { id: server.id, version: n }, query: { path: file } },
        }),
      );
      if (res.content === null)
        throw new CliError(`Version ${n} of ${file} is not text.`, { code: 'FILE_TYPE_MISMATCH' });
      if (ctx.format === 'table') ctx.print(res.content);
      else ctx.result(res, () => res.content ?? '');
    },
  );
  examples(show, ['minefleet files show-version survival server.properties 3']);

  const revert = leafCommand(
    files,
    'revert <server> <path> <version>',
    'Save a version back as the file’s content (the revert is itself a new version)',
  ).action(async (serverRef: string, file: string, version: string, _opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    const n = versionNumber(version);
    const server = await resolveServer(ctx, serverRef);
    const saved = unwrap(
      await ctx.client.POST('/api/v1/servers/{id}/files/versions/{version}/revert', {
        params: { path: { id: server.id, version: n }, query: { path: file }, header: {} },
      }),
    );
    ctx.result(saved, () => `Reverted ${saved.path} to version ${n}.\n`);
  });
  examples(revert, ['minefleet files revert survival server.properties 3']);

  const trash = leafCommand(files, 'trash <server>', "What the server's trash holds (kept 7 days)").action(
    async (serverRef: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, serverRef);
      const res = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/files/trash', { params: { path: { id: server.id } } }),
      );
      ctx.result(res.items, () =>
        res.items.length === 0
          ? 'The trash is empty.\n'
          : renderTable(
              res.items,
              [
                { header: 'ID', value: (i: TrashItem) => i.id },
                { header: 'PATH', value: (i) => (i.type === 'directory' ? `${i.path}/` : i.path) },
                { header: 'SIZE', value: (i) => formatBytes(i.size) },
                { header: 'DELETED', value: (i) => formatAge(i.deleted_at) },
                { header: 'EXPIRES', value: (i) => i.expires_at, style: (t) => ctx.style.dim(t) },
              ],
              ctx.style,
            ),
      );
    },
  );
  examples(trash, ['minefleet files trash survival']);

  const restore = leafCommand(files, 'restore <server> <item>', 'Put a deleted file or folder back')
    .option('--to <path>', 'where to put it (default: where it was)')
    .action(async (serverRef: string, item: string, opts: { to?: string }, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, serverRef);
      // The item may be named by its id or by the path it was deleted from (the newest such item).
      let id = item;
      if (!/^[0-9a-f-]{36}$/i.test(item)) {
        const listed = unwrap(
          await ctx.client.GET('/api/v1/servers/{id}/files/trash', { params: { path: { id: server.id } } }),
        );
        const match = listed.items.find((i) => i.path === item.replace(/\/+$/, ''));
        if (!match)
          throw new CliError(`Nothing deleted from ${item} is in the trash (see "minefleet files trash").`, {
            code: 'TRASH_ITEM_NOT_FOUND',
          });
        id = match.id;
      }
      const restored = unwrap(
        await ctx.client.POST('/api/v1/servers/{id}/files/trash/{item_id}/restore', {
          params: { path: { id: server.id, item_id: id } },
          body: opts.to ? { path: opts.to } : {},
        }),
      );
      ctx.result(restored, () => `Restored ${restored.path}.\n`);
    });
  examples(restore, [
    'minefleet files restore survival world-notes',
    'minefleet files restore survival 3f0c… --to old',
  ]);
}
