import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { unwrap, type Schemas } from '@minefleet/api-client/client';
import { examples, leafCommand, type CliApp } from '../cli-app.js';
import type { Context } from '../context.js';
import { CliError, failureOf } from '../errors.js';
import { formatBytes } from '../output/bytes.js';
import { renderTable } from '../output/table.js';
import { formatAge } from '../output/time.js';
import { resolveServer } from '../resolve-server.js';
import { registerFileHistoryCommands } from './file-history.js';

type FileEntry = Schemas['FileEntry'];

/** Chunk size of `files put`: well under the API's 50 MB bound, big enough to keep the disk busy. */
const CHUNK_BYTES = 16 * 1024 * 1024;

function entryTable(ctx: Context, entries: readonly FileEntry[]): string {
  return renderTable(
    entries,
    [
      { header: 'NAME', value: (e) => (e.type === 'directory' ? `${e.name}/` : e.name) },
      { header: 'TYPE', value: (e) => e.type },
      { header: 'SIZE', value: (e) => (e.type === 'directory' ? '-' : formatBytes(e.size)) },
      { header: 'MODE', value: (e) => e.mode },
      { header: 'MODIFIED', value: (e) => formatAge(e.mtime) },
      { header: '', value: (e) => (e.protection ? e.protection : ''), style: (t) => ctx.style.dim(t) },
    ],
    ctx.style,
  );
}

/** Runs the user's editor on `file` and waits for it. */
function runEditor(ctx: Context, file: string): Promise<void> {
  const editor = ctx.env.VISUAL || ctx.env.EDITOR || 'vi';
  // The editor may carry arguments (`code --wait`); split on blanks, no shell.
  const [command, ...args] = editor.split(/\s+/).filter(Boolean);
  return new Promise((resolve, reject) => {
    const child = spawn(command!, [...args, file], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new CliError(`${editor} exited with ${code}; nothing was saved.`)),
    );
  });
}

/** `minefleet files …`: a server's files through the files API (docs/files.md). */
export function registerFileCommands(program: Command, app: CliApp): void {
  const files = program
    .command('files')
    .alias('file')
    .description(
      "A server's files: list, read, edit, upload, download, delete (to the trash), move, versions, restore",
    );
  examples(files, [
    'minefleet files ls survival plugins',
    'minefleet files cat survival server.properties',
    'minefleet files edit survival plugins/Essentials/config.yml',
    'minefleet files put survival world.zip uploads/world.zip',
    'minefleet files get survival world -O world.tar.gz',
  ]);

  const ls = leafCommand(files, 'ls <server> [path]', 'List a folder (folders first)')
    .alias('list')
    .option('--sort <order>', 'name, size, mtime or type; a leading - reverses', 'name')
    .action(async (serverRef: string, dir: string | undefined, opts: { sort: string }, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, serverRef);
      const entries: FileEntry[] = [];
      for (let page = 1; ; page++) {
        const res = unwrap(
          await ctx.client.GET('/api/v1/servers/{id}/files', {
            params: {
              path: { id: server.id },
              query: { path: dir ?? '', sort: opts.sort as never, page, per_page: 1000 },
            },
          }),
        );
        entries.push(...res.entries);
        if (entries.length >= res.pagination.total || res.entries.length === 0) break;
      }
      ctx.result(entries, () => (entries.length === 0 ? 'Empty folder.\n' : entryTable(ctx, entries)));
    });
  examples(ls, ['minefleet files ls survival', 'minefleet files ls survival world --sort -size']);

  const cat = leafCommand(files, 'cat <server> <path>', 'Print a text file').action(
    async (serverRef: string, file: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, serverRef);
      const res = unwrap(
        await ctx.client.GET('/api/v1/servers/{id}/files/content', {
          params: { path: { id: server.id }, query: { path: file } },
        }),
      );
      if (res.content === null)
        throw new CliError(`${file} is not text; download it with "minefleet files get".`, {
          code: 'FILE_TYPE_MISMATCH',
        });
      if (ctx.format === 'table') ctx.print(res.content);
      else ctx.result(res, () => res.content ?? '');
    },
  );
  examples(cat, ['minefleet files cat survival server.properties']);

  const edit = leafCommand(
    files,
    'edit <server> <path>',
    'Edit a text file in $VISUAL / $EDITOR; saved only if nobody changed it meanwhile',
  ).action(async (serverRef: string, file: string, _opts: unknown, command: Command) => {
    const ctx = await app.context(command);
    const server = await resolveServer(ctx, serverRef);
    const read = await ctx.client.GET('/api/v1/servers/{id}/files/content', {
      params: { path: { id: server.id }, query: { path: file } },
    });
    const missing = read.error?.error.code === 'FILE_NOT_FOUND';
    const current = missing ? { content: '', etag: undefined, encoding: null } : unwrap(read);
    if (current.content === null) throw new CliError(`${file} is not text.`, { code: 'FILE_TYPE_MISMATCH' });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-edit-'));
    try {
      const local = path.join(dir, path.basename(file) || 'file');
      await writeFile(local, current.content, { mode: 0o600 });
      await runEditor(ctx, local);
      const content = await readFile(local, 'utf8');
      if (content === current.content && !missing) {
        ctx.note('No change; nothing saved.');
        return;
      }
      const saved = unwrap(
        await ctx.client.PUT('/api/v1/servers/{id}/files/content', {
          params: {
            path: { id: server.id },
            query: { path: file },
            header: current.etag ? { 'if-match': current.etag } : { 'if-none-match': '*' },
          },
          body: { content },
        }),
      );
      ctx.result(saved, () => `Saved ${file} (${formatBytes(saved.size)}).\n`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  examples(edit, ['EDITOR=nano minefleet files edit survival server.properties']);

  const put = leafCommand(
    files,
    'put <server> <local> [path]',
    'Upload a file in resumable chunks (default path: its name, in the folder itself)',
  )
    .option('-f, --force', 'replace the file if it exists')
    .action(
      async (
        serverRef: string,
        local: string,
        remote: string | undefined,
        opts: { force?: boolean },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        const server = await resolveServer(ctx, serverRef);
        const size = (await stat(local)).size;
        const target = remote ?? path.basename(local);
        const upload = unwrap(
          await ctx.client.POST('/api/v1/servers/{id}/files/uploads', {
            params: { path: { id: server.id } },
            body: { path: target, size, overwrite: opts.force ?? false },
          }),
        );
        const url = `${ctx.url}/api/v1/servers/${server.id}/files/uploads/${upload.id}`;
        let offset = 0;
        const started = Date.now();
        let done = size === 0;
        if (done) {
          // An empty file completes with one empty chunk.
          const res = await ctx.fetch(
            new Request(url, {
              method: 'PATCH',
              headers: {
                authorization: `Bearer ${ctx.requireToken()}`,
                'content-type': 'application/offset+octet-stream',
                'upload-offset': '0',
              },
              body: new Uint8Array(0),
            }),
          );
          if (!res.ok) throw await failureOf(res);
        }
        while (!done) {
          const end = Math.min(size, offset + CHUNK_BYTES);
          const body = Readable.toWeb(createReadStream(local, { start: offset, end: end - 1 }));
          const res = await ctx.fetch(
            new Request(url, {
              method: 'PATCH',
              headers: {
                authorization: `Bearer ${ctx.requireToken()}`,
                'content-type': 'application/offset+octet-stream',
                'upload-offset': String(offset),
                'content-length': String(end - offset),
              },
              body: body as ReadableStream,
              duplex: 'half',
            }),
            { timeoutMs: null },
          );
          if (!res.ok) throw await failureOf(res);
          const state = (await res.json()) as { offset: number; complete: boolean };
          offset = state.offset;
          done = state.complete;
          ctx.note(
            `${target}: ${formatBytes(offset)} of ${formatBytes(size)} (${Math.round((offset / Math.max(size, 1)) * 100)}%)`,
          );
        }
        const seconds = (Date.now() - started) / 1000;
        ctx.result(
          { path: target, size_bytes: size, upload_id: upload.id },
          () => `Uploaded ${target} (${formatBytes(size)} in ${seconds.toFixed(1)}s).\n`,
        );
      },
    );
  examples(put, [
    'minefleet files put survival ./world.zip uploads/world.zip',
    'minefleet files put survival plugin.jar plugins/plugin.jar -f',
  ]);

  const get = leafCommand(files, 'get <server> <path>', 'Download a file, or a folder as tar.gz or zip')
    .option('-O, --output <file>', 'where to write it ("-" for stdout; default: its name, here)')
    .option('--zip', 'a folder as zip instead of tar.gz')
    .action(
      async (
        serverRef: string,
        remote: string,
        opts: { output?: string; zip?: boolean },
        command: Command,
      ) => {
        const ctx = await app.context(command);
        const server = await resolveServer(ctx, serverRef);
        const query = new URLSearchParams({ path: remote, ...(opts.zip ? { format: 'zip' } : {}) });
        const response = await ctx.fetch(
          new Request(`${ctx.url}/api/v1/servers/${server.id}/files/download?${query.toString()}`, {
            headers: { authorization: `Bearer ${ctx.requireToken()}` },
          }),
          { timeoutMs: null },
        );
        if (!response.ok || !response.body) throw await failureOf(response);
        const disposition = /filename\*=UTF-8''([^;]+)/.exec(
          response.headers.get('content-disposition') ?? '',
        );
        const target =
          opts.output ?? (disposition ? decodeURIComponent(disposition[1]!) : path.basename(remote));
        const source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
        if (target === '-') {
          await pipeline(source, ctx.io.stdout, { end: false });
          return;
        }
        const partial = `${target}.part`;
        try {
          await pipeline(source, createWriteStream(partial));
        } catch (error) {
          await rm(partial, { force: true });
          throw error;
        }
        await rename(partial, target);
        const size = (await stat(target)).size;
        ctx.result(
          { file: path.resolve(target), size_bytes: size },
          () => `Saved ${target} (${formatBytes(size)}).\n`,
        );
      },
    );
  examples(get, [
    'minefleet files get survival server.properties',
    'minefleet files get survival world -O world.tar.gz',
  ]);

  const rmCommand = leafCommand(
    files,
    'rm <server> <path>',
    "Delete a file or folder (to the server's trash, 7 days)",
  )
    .alias('delete')
    .action(async (serverRef: string, file: string, _opts: unknown, command: Command) => {
      const ctx = await app.context(command);
      const server = await resolveServer(ctx, serverRef);
      const item = unwrap(
        await ctx.client.DELETE('/api/v1/servers/{id}/files', {
          params: { path: { id: server.id }, query: { path: file } },
        }),
      );
      ctx.result(item, () => `Moved ${item.path} to the trash (restorable until ${item.expires_at}).\n`);
    });
  examples(rmCommand, ['minefleet files rm survival logs/old.log']);

  const mv = leafCommand(files, 'mv <server> <from> <to>', 'Rename or move a file or folder')
    .option('-f, --force', 'replace what is at the destination')
    .action(
      async (serverRef: string, from: string, to: string, opts: { force?: boolean }, command: Command) => {
        const ctx = await app.context(command);
        const server = await resolveServer(ctx, serverRef);
        const entry = unwrap(
          await ctx.client.POST('/api/v1/servers/{id}/files/move', {
            params: { path: { id: server.id } },
            body: { from, to, overwrite: opts.force ?? false },
          }),
        );
        ctx.result(entry, () => `Moved ${from} to ${entry.path}.\n`);
      },
    );
  examples(mv, ['minefleet files mv survival world world-old']);

  registerFileHistoryCommands(files, app);
}
