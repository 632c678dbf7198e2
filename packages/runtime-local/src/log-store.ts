import { createReadStream } from 'node:fs';
import { appendFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
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

  const matches = matcher(query);
  // The newest `window` matches, in a ring: one pass, bounded memory.
  const ring: ConsoleLine[] = [];
  let total = 0;
  for (const file of await logFiles(logsDir)) {
    const lines = createInterface({
      input: createReadStream(file, { encoding: 'utf8' }),
      crlfDelay: Infinity,
    });
    try {
      for await (const text of lines) {
        const line = parseRecord(text);
        if (!line || !matches(line)) continue;
        total++;
        ring.push(line);
        if (ring.length > window) ring.shift();
      }
    } catch (error) {
      // A file rotated away while being read: what was read stands.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const considered = query.tail === undefined ? total : Math.min(total, query.tail);
  // Positions counted from the newest match: page p covers [(p-1)·perPage, p·perPage).
  const fromNewestEnd = Math.min(considered, window);
  const fromNewestStart = Math.min(considered, (page - 1) * perPage);
  const lines = ring.slice(ring.length - fromNewestEnd, ring.length - fromNewestStart);
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
