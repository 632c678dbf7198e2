import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { DomainError } from '@minefleet/domain/errors';
import {
  LOG_LEVELS,
  type ConsoleLine,
  type LogPage,
  type LogQuery,
} from '@minefleet/domain/ports/runtime-driver';

/**
 * Reads the console log the game process writes (launcher/console-host.cjs): JSON lines in
 * `.minefleet/logs/console.jsonl` (newest) and `console.<n>.jsonl` (older as n grows), bounded by the
 * rotation settings, so a query reads at most maxBytes × maxFiles.
 */

export const MAX_PER_PAGE = 1_000;
/** Lines a single query may have to hold (page × per page): deep pages of a huge log are refused. */
const MAX_WINDOW = 100_000;

async function logFiles(logsDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(logsDir);
  } catch {
    return [];
  }
  const rotated = names
    .map((name) => ({ name, n: /^console\.(\d+)\.jsonl$/.exec(name)?.[1] }))
    .filter((entry): entry is { name: string; n: string } => entry.n !== undefined)
    .sort((a, b) => Number(b.n) - Number(a.n))
    .map((entry) => entry.name);
  if (names.includes('console.jsonl')) rotated.push('console.jsonl');
  return rotated.map((name) => path.join(logsDir, name));
}

function matcher(query: LogQuery): (line: ConsoleLine) => boolean {
  const minLevel = query.level ? LOG_LEVELS.indexOf(query.level) : 0;
  const since = query.since?.getTime();
  const until = query.until?.getTime();
  const needle = query.q?.toLowerCase();
  return (line) => {
    if (LOG_LEVELS.indexOf(line.level) < minLevel) return false;
    const t = line.ts.getTime();
    if (since !== undefined && t < since) return false;
    if (until !== undefined && t > until) return false;
    if (needle && !line.message.toLowerCase().includes(needle)) return false;
    return true;
  };
}

/**
 * Lines matching the query, oldest first. `tail` keeps the last N matches; pages count back from the
 * newest: page 1 is the newest `perPage` lines (in time order), page 2 the ones before them.
 *
 * Without a filter the files are only scanned for line ends (newest file first) and just the lines of
 * the page are parsed, so a deep page of a large log costs one read of the bytes. With a filter every
 * line is parsed once, the newest `page × perPage` matches kept in a fixed ring: O(lines), never
 * O(lines × window).
 */
export async function readLogs(logsDir: string, query: LogQuery): Promise<LogPage> {
  const page = Math.floor(query.page);
  const perPage = Math.floor(query.perPage);
  if (!(page >= 1) || !(perPage >= 1) || perPage > MAX_PER_PAGE) {
    throw new DomainError('VALIDATION_FAILED', `page must be >= 1 and per page 1..${MAX_PER_PAGE}`);
  }
  if (query.tail !== undefined && !(query.tail >= 0))
    throw new DomainError('VALIDATION_FAILED', 'tail must be >= 0');
  const window = page * perPage;
  if (window > MAX_WINDOW)
    throw new DomainError('VALIDATION_FAILED', `page × per page is limited to ${MAX_WINDOW}`);
  const files = await logFiles(logsDir);
  const filtered =
    query.level !== undefined || query.since !== undefined || query.until !== undefined || !!query.q;
  return filtered ? filteredPage(files, query, page, perPage) : unfilteredPage(files, query, page, perPage);
}

async function readIfThere(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    // A file rotated away while being read: what was read stands.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Offsets just past each line end of a buffer (a last line without its newline counts too). */
function lineEnds(buffer: Buffer): number[] {
  const ends: number[] = [];
  let from = 0;
  for (;;) {
    const nl = buffer.indexOf(10, from);
    if (nl < 0) break;
    ends.push(nl + 1);
    from = nl + 1;
  }
  if (from < buffer.length) ends.push(buffer.length);
  return ends;
}

async function unfilteredPage(
  files: string[],
  query: LogQuery,
  page: number,
  perPage: number,
): Promise<LogPage> {
  // Newest file first: positions count back from the newest line.
  const newestFirst = [...files].reverse();
  const buffers: { buffer: Buffer; ends: number[] }[] = [];
  let total = 0;
  for (const file of newestFirst) {
    const buffer = await readIfThere(file);
    if (!buffer) continue;
    const ends = lineEnds(buffer);
    total += ends.length;
    buffers.push({ buffer, ends });
  }
  const considered = query.tail === undefined ? total : Math.min(total, query.tail);
  const startFromNewest = Math.min(considered, (page - 1) * perPage);
  const endFromNewest = Math.min(considered, page * perPage);
  const lines: ConsoleLine[] = [];
  // Walk positions from the newest back, collecting [startFromNewest, endFromNewest).
  let position = 0;
  for (const { buffer, ends } of buffers) {
    if (position >= endFromNewest) break;
    for (let i = ends.length - 1; i >= 0 && position < endFromNewest; i--, position++) {
      if (position < startFromNewest) continue;
      const begin = i === 0 ? 0 : ends[i - 1]!;
      const line = parseRecord(buffer.toString('utf8', begin, ends[i]).replace(/\r?\n$/, ''));
      if (line) lines.push(line);
    }
  }
  return { lines: lines.reverse(), total: considered };
}

async function filteredPage(
  files: string[],
  query: LogQuery,
  page: number,
  perPage: number,
): Promise<LogPage> {
  const window = page * perPage;
  const matches = matcher(query);
  // Cheap pre-check on the raw line: a message holding the needle holds it in the JSON text too, unless
  // escaped (then the line is parsed and decided properly).
  const needle = query.q ? JSON.stringify(query.q.toLowerCase()).slice(1, -1) : undefined;
  // The newest `window` matches in a fixed ring: one pass, bounded memory, O(1) per line.
  const ring = new Array<ConsoleLine | undefined>(window);
  let total = 0;
  for (const file of files) {
    const buffer = await readIfThere(file);
    if (!buffer) continue;
    for (const text of buffer.toString('utf8').split('\n')) {
      if (needle !== undefined && !text.toLowerCase().includes(needle) && !text.includes('\\')) continue;
      const line = parseRecord(text.endsWith('\r') ? text.slice(0, -1) : text);
      if (!line || !matches(line)) continue;
      ring[total % window] = line;
      total++;
    }
    // Let other requests run between files.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const considered = query.tail === undefined ? total : Math.min(total, query.tail);
  // Positions counted from the newest match: page p covers [(p-1)·perPage, p·perPage).
  const fromNewestEnd = Math.min(considered, window);
  const fromNewestStart = Math.min(considered, (page - 1) * perPage);
  const lines: ConsoleLine[] = [];
  for (let k = fromNewestEnd - 1; k >= fromNewestStart; k--) lines.push(ring[(total - 1 - k) % window]!);
  return { lines, total: considered };
}

function parseRecord(text: string): ConsoleLine | null {
  if (text === '') return null;
  try {
    const raw = JSON.parse(text) as {
      ts: string;
      level: ConsoleLine['level'];
      source: ConsoleLine['source'];
      message: string;
    };
    const ts = new Date(raw.ts);
    if (Number.isNaN(ts.getTime()) || !LOG_LEVELS.includes(raw.level)) return null;
    return { ts, level: raw.level, source: raw.source, message: String(raw.message) };
  } catch {
    return null; // a torn last line of a killed process
  }
}

/**
 * Appends a line to the console log while no game process is alive to write it (the process is the
 * writer while it runs). O_APPEND keeps even a racing write whole.
 */
export async function appendLogLine(logsDir: string, line: ConsoleLine): Promise<void> {
  await mkdir(logsDir, { recursive: true, mode: 0o700 });
  const record = { ts: line.ts.toISOString(), level: line.level, source: line.source, message: line.message };
  await appendFile(path.join(logsDir, 'console.jsonl'), JSON.stringify(record) + '\n', { mode: 0o600 });
}
