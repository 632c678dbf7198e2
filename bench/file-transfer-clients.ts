/**
 * The clients and the bare reference server of bench/files.ts.
 *
 * Two clients move the same bytes: `curl` (one process per request, what a user runs from a shell, and
 * close to what a browser does: native code writing what the socket gives) and Node's `fetch` (undici,
 * web streams bridged to Node streams), which costs CPU of its own on a machine of two cores.
 *
 * The reference: a bare `node:http` server in its own process, no Minefleet code, serving the same file
 * with `fs.createReadStream(…).pipe(res)` and taking chunks with `req.pipe(fs.createWriteStream(…))`
 * at the offset, then an fsync (as the upload API does for every chunk), so each row of the report can
 * be set beside what Node's HTTP stack alone gives on this machine at this moment.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export type ClientName = 'curl' | 'node';

/** One PATCH of a resumable upload: `chunkFile` holds exactly the bytes [offset, end) of `source`. */
export interface Chunk {
  offset: number;
  end: number;
  chunkFile: string;
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (status) =>
      status === 0 ? resolve() : reject(new Error(`${cmd} exited ${status}: ${stderr}`)),
    );
  });
}

/** GET `url` into the file `dest`. */
export async function download(
  client: ClientName,
  url: string,
  headers: Record<string, string>,
  dest: string,
): Promise<void> {
  if (client === 'curl') {
    const h = Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    return run('curl', ['-sSf', '-o', dest, ...h, url]);
  }
  const res = await fetch(url, { headers });
  if (!res.ok || !res.body) throw new Error(await res.text());
  await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), createWriteStream(dest));
}

/**
 * PATCH one chunk. curl sends the chunk's own file (`-T` streams it; `--data-binary @file` would read
 * it whole into memory first), split from the source before the clock starts, and no `Expect:
 * 100-continue` (browsers do not send it, and it would cost a round trip). Node streams the range of
 * the source.
 */
export async function patchChunk(
  client: ClientName,
  url: string,
  headers: Record<string, string>,
  source: string,
  chunk: Chunk,
): Promise<void> {
  const all = {
    ...headers,
    'content-type': 'application/offset+octet-stream',
    'upload-offset': String(chunk.offset),
  };
  if (client === 'curl') {
    const h = Object.entries(all).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    return run('curl', [
      '-sSf',
      '-o',
      '/dev/null',
      '-X',
      'PATCH',
      '-T',
      chunk.chunkFile,
      '-H',
      'Expect:',
      ...h,
      url,
    ]);
  }
  const res = await fetch(url, {
    method: 'PATCH',
    headers: { ...all, 'content-length': String(chunk.end - chunk.offset) },
    body: Readable.toWeb(
      createReadStream(source, { start: chunk.offset, end: chunk.end - 1, highWaterMark: 1024 * 1024 }),
    ) as ReadableStream,
    duplex: 'half',
  });
  if (!res.ok) throw new Error(await res.text());
  await res.arrayBuffer();
}

const REFERENCE = `import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
const file = process.env.REF_FILE;
const dir = process.env.REF_DIR;
http.createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
    return;
  }
  const offset = Number(req.headers['upload-offset']);
  const fd = fs.openSync(path.join(dir, path.basename(url.searchParams.get('name'))), offset === 0 ? 'w' : 'r+');
  const out = fs.createWriteStream('', { fd, start: offset, autoClose: false });
  req.pipe(out).on('finish', () =>
    fs.fsync(fd, () => fs.close(fd, () => res.end(JSON.stringify({ offset: offset + out.bytesWritten })))),
  );
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
`;

/** The bare reference server, in its own process: GET gives `file`, PATCH ?name= writes into `dir`. */
export async function startReference(
  work: string,
  port: number,
  file: string,
  dir: string,
): Promise<{ url: string; stop(): Promise<void> }> {
  const script = path.join(work, 'reference.mjs');
  await writeFile(script, REFERENCE);
  const child: ChildProcess = spawn(process.execPath, [script], {
    env: { ...process.env, PORT: String(port), REF_FILE: file, REF_DIR: dir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (status) => reject(new Error(`reference server exited ${status}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
}
