#!/usr/bin/env node
// The in-pod agent of the flying-squid image: what the control plane, outside the pod, needs of the game
// beside it. A connection's first line must prove it knows the server's console password (RCON_PASSWORD,
// from the server's own Secret, which only the control plane and the operator may read) and say what it
// wants: `{"op":"auth","token":"…","then":"console"|"stats"|"logs","query":{…}}`. A wrong password, or no
// such line within 5 s, closes it.
//  - console (the default): answered `{"type":"authenticated"}`, then the console host's protocol
//    (commands, the live console, tick stats, players: packages/runtime-local/launcher/console-host.cjs),
//    relayed byte for byte to the console socket in the data folder and back;
//  - stats: one line `{"type":"stats",cpuPercent,memoryBytes,diskBytes,uptimeSeconds}` of the game
//    process (this process's parent), then the end;
//  - logs: one line `{"type":"logs",lines,total}`, the console log the game writes in the data folder read
//    as the local driver reads it (the query: page, perPage, level, since, until, q, tail), then the end;
//  - files: one call of the files port on the data folder (`"method"`, `"args"`; the local adapter does
//    the work, so paths stay inside the folder the same way), answered `{"type":"files","result":…}`, or
//    `{"type":"error","code",…}` with the port's error code; `read` and `readStream` answer the header
//    then the bytes, `write` and `writeAt` take the bytes after the first line until the caller's end;
//  - archive: the backup archive engine of the control plane (@minefleet/backups) on the server's folder,
//    so archives and their SHA-256 are the ones a local backup makes: `"method":"measure"` answers the
//    bytes a backup would read; `"create"` answers `{"type":"archive"}` then frames (one type byte, a
//    32-bit big-endian length, the payload: `D` archive bytes, `P` progress JSON, then `S` the summary
//    JSON or `E` an error JSON, last); `"restore"` takes the archive bytes after the first line and
//    answers the summary, or the engine's error code (BACKUP_CORRUPT). A restore an agent killed midway
//    left half-done is finished by the entrypoint before the next pod's game or agent starts.
// It acts on nothing the game sends. The entrypoint starts it beside the game and it ends with it; it
// listens on MINEFLEET_AGENT_PORT (25580), which the servers' NetworkPolicy opens to the platform only.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tarArchiveEngine } from '@minefleet/backups/archive-engine';
import { normalizeFilePath } from '@minefleet/domain/file-paths';
import { folderBytes } from '@minefleet/runtime-local/disk-usage';
import { LocalServerFiles } from '@minefleet/runtime-local/local-server-files';
import { MAX_PER_PAGE, readLogs } from '@minefleet/runtime-local/log-store';
import { serverDir, socketPath } from './data-folder.mjs';

const port = Number(process.env.MINEFLEET_AGENT_PORT || 25580);
// Where it listens: every address of the pod, unless the game is told to bind one address (outside a container).
const host = process.env.MINEFLEET_BIND_HOST || '0.0.0.0';
const password = process.env.RCON_PASSWORD || '';
const dataDir = serverDir;
/** The first line (the proof and the query) is small: longer, and the connection is closed. */
const MAX_AUTH_BYTES = 4096;
const AUTH_TIMEOUT_MS = 5_000;
/** Connections at once: the control plane holds one per server; more is not the control plane. */
const MAX_CONNECTIONS = 8;

if (!password) {
  console.error('minefleet-agent: no RCON_PASSWORD, so nobody could prove who they are: not listening');
  process.exit(0);
}
const digest = (text) => createHash('sha256').update(text).digest();
const expected = digest(password);
const proves = (token) => typeof token === 'string' && timingSafeEqual(digest(token), expected);

/** The game process's CPU time and memory, from /proc (clock ticks: 100 a second on Linux). */
const TICKS = 100;
function sample(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  const startTicks = Number(fields[19]);
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return {
    at: Date.now(),
    cpuSeconds: cpuTicks / TICKS,
    memoryBytes: rss ? Number(rss[1]) * 1024 : 0,
    uptimeSeconds: Math.max(0, uptime - startTicks / TICKS),
  };
}
let previous;
let disk = { at: 0, bytes: 0 };
async function stats() {
  const now = sample(process.ppid);
  // CPU since the last answer (the control plane asks every few seconds); the first, since the start.
  const cpuPercent = previous
    ? ((now.cpuSeconds - previous.cpuSeconds) / Math.max(0.001, (now.at - previous.at) / 1000)) * 100
    : (now.cpuSeconds / Math.max(0.001, now.uptimeSeconds)) * 100;
  previous = now;
  if (Date.now() - disk.at > 10_000) disk = { at: Date.now(), bytes: await folderBytes(dataDir) };
  return {
    type: 'stats',
    cpuPercent: Math.max(0, Math.round(cpuPercent * 10) / 10),
    memoryBytes: now.memoryBytes,
    diskBytes: disk.bytes,
    uptimeSeconds: Math.round(now.uptimeSeconds),
  };
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
/** The query as the local driver takes it, from JSON; anything out of bounds is refused. */
function logQuery(raw) {
  const q = raw && typeof raw === 'object' ? raw : {};
  const int = (v, min, max) => (Number.isInteger(v) && v >= min && v <= max ? v : undefined);
  const date = (v) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? new Date(v) : undefined);
  const query = { page: int(q.page, 1, 100_000), perPage: int(q.perPage, 1, MAX_PER_PAGE) };
  if (query.page === undefined || query.perPage === undefined) throw new Error('page and perPage are required');
  if (LEVELS.includes(q.level)) query.level = q.level;
  if (date(q.since)) query.since = date(q.since);
  if (date(q.until)) query.until = date(q.until);
  if (typeof q.q === 'string' && q.q.length <= 200) query.q = q.q;
  if (int(q.tail, 1, 100_000)) query.tail = q.tail;
  return query;
}
async function logs(raw) {
  const page = await readLogs(path.join(dataDir, '.minefleet', 'logs'), logQuery(raw));
  return { type: 'logs', lines: page.lines.map((l) => ({ ...l, ts: l.ts.toISOString() })), total: page.total };
}

const files = new LocalServerFiles(() => dataDir);
// Paths as the files API takes them: normalised, or refused with INVALID_PATH (not a string included).
const text = normalizeFilePath;
const count = (v) => (Number.isSafeInteger(v) && v >= 0 ? v : undefined);
/** The port's calls, each from its JSON arguments (checked here: this is where the caller is met). */
const CALLS = {
  stat: ([rel]) => files.stat('', text(rel)),
  list: ([rel]) => files.list('', text(rel)),
  listNames: ([rel]) => files.listNames('', text(rel)),
  statEntries: ([rel, names]) =>
    files.statEntries('', text(rel), Array.isArray(names) ? names.filter((n) => typeof n === 'string') : []),
  mkdir: ([rel]) => files.mkdir('', text(rel)),
  rename: ([from, to, overwrite]) => files.rename('', text(from), text(to), overwrite === true),
  copy: ([from, to]) => files.copy('', text(from), text(to)),
  remove: ([rel]) => files.remove('', text(rel)),
  chmod: ([rel, mode]) => files.chmod('', text(rel), Number(mode) & 0o777),
};
/** Until `client` takes more bytes; fails when it closes first (a caller gone mid-stream), so nothing waits forever. */
function drained(client) {
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error('the caller went away'));
    client.once('close', onClose);
    client.once('drain', () => {
      client.off('close', onClose);
      resolve();
    });
  });
}
/** Answers one files call on `client`; `body` is what the caller sends after its first line. */
async function filesCall(client, request, body) {
  const args = Array.isArray(request.args) ? request.args : [];
  const method = request.method;
  if (method === 'read') {
    const bytes = await files.read('', text(args[0]), count(args[1]) ?? 0);
    client.write(JSON.stringify({ type: 'files', bytes: bytes.length }) + '\n');
    client.end(Buffer.from(bytes));
    return;
  }
  if (method === 'readStream') {
    const stream = files.readStream('', text(args[0]), count(args[1]), count(args[2]));
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next(); // a missing file fails here, before the header
    client.write(JSON.stringify({ type: 'files' }) + '\n');
    try {
      for (let step = first; !step.done; step = await iterator.next())
        if (!client.write(step.value)) await drained(client);
    } finally {
      await iterator.return?.(); // the file is closed when the caller goes away mid-read too
    }
    client.end();
    return;
  }
  let result;
  if (method === 'write') {
    const options = args[1] && typeof args[1] === 'object' ? args[1] : {};
    result = await files.write('', text(args[0]), body, {
      ...(count(options.mode) !== undefined ? { mode: options.mode & 0o777 } : {}),
      ...(count(options.maxBytes) !== undefined ? { maxBytes: options.maxBytes } : {}),
      ...(options.exclusive === true ? { exclusive: true } : {}),
    });
  } else if (method === 'writeAt') {
    result = await files.writeAt('', text(args[0]), count(args[1]) ?? 0, body, count(args[2]) ?? 0);
  } else if (Object.hasOwn(CALLS, method)) result = await CALLS[method](args);
  else throw Object.assign(new Error(`no files call ${String(method)}`), { code: 'VALIDATION_FAILED' });
  client.end(JSON.stringify({ type: 'files', result: result ?? null }) + '\n');
}
/** The bytes after the first line, then the rest of the connection, as the files port reads a body. */
async function* bodyOf(client, rest) {
  if (rest.length > 0) yield rest;
  client.resume();
  // Not destroyed at the end of the body: the answer goes back on the same connection.
  for await (const chunk of client.iterator({ destroyOnReturn: false })) yield chunk;
}

const COMPRESSIONS = ['none', 'gzip', 'zstd'];
/** Globs as the caller gives them (excludes, preserved paths): a bounded list of short strings. */
function globs(value) {
  if (!Array.isArray(value) || value.length > 100) throw invalid('at most 100 globs');
  if (!value.every((g) => typeof g === 'string' && g.length > 0 && g.length <= 200))
    throw invalid('each glob is a string of 1 to 200 characters');
  return value;
}
function compression(value) {
  if (!COMPRESSIONS.includes(value)) throw invalid(`compression is one of ${COMPRESSIONS.join(', ')}`);
  return value;
}
const invalid = (message) => Object.assign(new Error(message), { code: 'VALIDATION_FAILED' });
const positive = (v) => Number.isSafeInteger(v) && v > 0;
/** One frame of a `create` answer: a type byte, the payload's length (32 bits, big endian), the payload. */
function frame(type, payload) {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(payload.length, 1);
  return [head, payload];
}
async function writeFrame(client, type, payload) {
  for (const part of frame(type, payload))
    if (!client.write(part)) await drained(client);
}
const PROGRESS_EVERY_MS = 500;
/** Answers one archive call on `client`; `body` is what the caller sends after its first line. */
async function archiveCall(client, request, body) {
  const method = request.method;
  if (method === 'measure') {
    const total = await tarArchiveEngine.measure(dataDir, globs(request.exclude ?? []));
    client.end(JSON.stringify({ type: 'archive', result: total }) + '\n');
    return;
  }
  if (method === 'restore') {
    const limits = request.limits ?? {};
    if (!positive(limits.maxBytes) || !positive(limits.maxEntries))
      throw invalid('limits.maxBytes and limits.maxEntries are required');
    const expected = request.expectedSha256;
    if (expected !== undefined && !(typeof expected === 'string' && /^[0-9a-f]{64}$/.test(expected)))
      throw invalid('expectedSha256 is 64 hex digits');
    const summary = await tarArchiveEngine.restore(dataDir, body, {
      compression: compression(request.compression),
      preserve: globs(request.preserve ?? []),
      limits: { maxBytes: limits.maxBytes, maxEntries: limits.maxEntries },
      ...(expected ? { expectedSha256: expected } : {}),
    });
    client.end(JSON.stringify({ type: 'archive', result: summary }) + '\n');
    return;
  }
  if (method !== 'create') throw invalid(`no archive call ${String(method)}`);
  const options = { compression: compression(request.compression), exclude: globs(request.exclude ?? []) };
  // A caller that goes away stops the archive (its files are not read for nobody).
  const abort = new AbortController();
  client.once('close', () => abort.abort(new Error('the caller went away')));
  let last = 0;
  let progress;
  const archive = tarArchiveEngine.archive(dataDir, {
    ...options,
    signal: abort.signal,
    onProgress: (p) => {
      progress = p;
    },
  });
  client.write(JSON.stringify({ type: 'archive' }) + '\n');
  try {
    for await (const chunk of archive.stream) {
      await writeFrame(client, 'D', Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      if (progress && Date.now() - last >= PROGRESS_EVERY_MS) {
        last = Date.now();
        await writeFrame(client, 'P', Buffer.from(JSON.stringify(progress)));
      }
    }
    const summary = await archive.summary;
    await writeFrame(client, 'S', Buffer.from(JSON.stringify(summary)));
  } catch (error) {
    archive.summary.catch(() => {});
    if (client.destroyed) return;
    await writeFrame(client, 'E', Buffer.from(JSON.stringify(errorAnswer(error))));
  }
  client.end();
}
/** An error as the agent answers it: the port's or engine's code when it has one. */
const errorAnswer = (error) => ({
  type: 'error',
  code: error?.code ?? 'INTERNAL',
  message: String(error?.message ?? error),
  ...(error?.details ? { details: error.details } : {}),
});

let open = 0;
// Half-open: a files caller ends its side after the bytes it sends and still reads the answer.
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  if (open >= MAX_CONNECTIONS) {
    client.destroy();
    return;
  }
  open++;
  client.once('close', () => open--);
  client.on('error', () => {});
  let buffered = Buffer.alloc(0);
  const timer = setTimeout(() => client.destroy(), AUTH_TIMEOUT_MS);
  const refuse = (message) => {
    clearTimeout(timer);
    client.end(JSON.stringify({ type: 'error', message }) + '\n');
    setTimeout(() => client.destroy(), 1_000).unref();
  };
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf(10);
    if (end < 0) {
      if (buffered.length > MAX_AUTH_BYTES) refuse('the first line must be the proof, at most 4 KiB');
      return;
    }
    client.off('data', onData);
    client.pause();
    let request;
    try {
      request = JSON.parse(buffered.subarray(0, end).toString('utf8'));
    } catch {
      request = undefined;
    }
    if (request?.op !== 'auth' || !proves(request.token)) {
      refuse('unauthorized');
      return;
    }
    if (request.then === 'files' || request.then === 'archive') {
      clearTimeout(timer);
      const call = request.then === 'files' ? filesCall : archiveCall;
      call(client, request, bodyOf(client, buffered.subarray(end + 1))).catch((error) => {
        if (client.destroyed) return;
        if (client.writableEnded) client.destroy();
        else client.end(JSON.stringify(errorAnswer(error)) + '\n');
      });
      return;
    }
    if (request.then === 'stats' || request.then === 'logs') {
      clearTimeout(timer);
      const answer = request.then === 'stats' ? stats() : logs(request.query);
      answer.then(
        (reply) => client.end(JSON.stringify(reply) + '\n'),
        (error) => refuse(String(error?.message ?? error)),
      );
      return;
    }
    const rest = buffered.subarray(end + 1);
    const game = net.connect(socketPath);
    game.on('error', () => {
      clearTimeout(timer);
      if (!client.destroyed) refuse('the console is not there (the game is not running)');
    });
    game.once('connect', () => {
      clearTimeout(timer);
      client.write(JSON.stringify({ type: 'authenticated' }) + '\n');
      if (rest.length > 0) game.write(rest);
      client.pipe(game);
      game.pipe(client);
      client.resume();
      game.once('close', () => client.destroy());
      client.once('close', () => game.destroy());
    });
  };
  client.on('data', onData);
});
// The port may still be held for a moment by the agent of a container that just ended: try again.
let attempts = 0;
server.on('error', (error) => {
  if (error.code !== 'EADDRINUSE' || ++attempts > 20) throw error;
  setTimeout(() => server.listen(port, host), 500);
});
server.listen(port, host);
// It ends with the game: when its parent (the entrypoint) is gone, so is it.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 1_000);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
