import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleLine, LogQuery } from '@minefleet/domain/ports/runtime-driver';
import { readLogs } from './log-store.js';
import { ReadGate } from './read-gate.js';

const LEVELS = ['info', 'warn', 'error'] as const;

/** A log of `count` lines over three rotated files, as the console host writes it. */
async function writeLog(dir: string, count: number): Promise<ConsoleLine[]> {
  const all: ConsoleLine[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    all.push({
      ts: new Date(t0 + i * 1000),
      level: LEVELS[i % 3]!,
      source: 'stdout',
      message: `line ${i}${i % 7 === 0 ? ' needle' : ''}`,
    });
  }
  const json = (l: ConsoleLine) =>
    JSON.stringify({ ts: l.ts.toISOString(), level: l.level, source: l.source, message: l.message }) + '\n';
  const third = Math.floor(count / 3);
  await writeFile(path.join(dir, 'console.2.jsonl'), all.slice(0, third).map(json).join(''));
  await writeFile(
    path.join(dir, 'console.1.jsonl'),
    all
      .slice(third, 2 * third)
      .map(json)
      .join(''),
  );
  await writeFile(
    path.join(dir, 'console.jsonl'),
    all
      .slice(2 * third)
      .map(json)
      .join(''),
  );
  return all;
}

/** What a page must hold, computed the slow obvious way. */
function expected(all: ConsoleLine[], q: LogQuery): { messages: string[]; total: number } {
  let m = all.filter(
    (l) =>
      (!q.level || LEVELS.indexOf(l.level as never) >= LEVELS.indexOf(q.level as never)) &&
      (!q.q || l.message.includes(q.q)) &&
      (!q.since || l.ts >= q.since) &&
      (!q.until || l.ts <= q.until),
  );
  if (q.tail !== undefined) m = m.slice(Math.max(0, m.length - q.tail));
  const end = m.length - (q.page - 1) * q.perPage;
  const start = Math.max(0, end - q.perPage);
  return { messages: m.slice(Math.max(0, start), Math.max(0, end)).map((l) => l.message), total: m.length };
}

describe('reading the console log', () => {
  let dir: string;
  let all: ConsoleLine[];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-logs-'));
    all = await writeLog(dir, 30_000);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<Partial<LogQuery>>([
    { page: 1, perPage: 100 },
    { page: 3, perPage: 1000 },
    { page: 15, perPage: 1000 },
    { page: 31, perPage: 1000 },
    { page: 2, perPage: 50, tail: 120 },
    { page: 4, perPage: 500, level: 'warn' },
    { page: 2, perPage: 200, q: 'needle' },
    { page: 1, perPage: 100, since: new Date(Date.UTC(2026, 0, 1) + 29_950_000) },
  ])('pages across rotated files like the obvious computation: %o', async (partial) => {
    const q = { page: 1, perPage: 100, ...partial };
    const page = await readLogs(dir, q);
    const want = expected(all, q);
    expect(page.total).toBe(want.total);
    expect(page.lines.map((l) => l.message)).toEqual(want.messages);
  });

  it('refuses a window past the cap', async () => {
    await expect(readLogs(dir, { page: 101, perPage: 1000 })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
  });
});

describe('the log read gate', () => {
  it('runs two at once, queues a bounded number, refuses the rest with RATE_LIMITED', async () => {
    const gate = new ReadGate(2, 1);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const work = () =>
      gate.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
    const runs = [work(), work(), work()];
    await expect(work()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await new Promise((r) => setTimeout(r, 10));
    expect(releases).toHaveLength(2);
    releases.shift()!();
    await new Promise((r) => setTimeout(r, 10));
    expect(releases).toHaveLength(2); // the queued one took the freed slot
    for (const release of releases.splice(0)) release();
    await Promise.all(runs);
    expect(peak).toBe(2);
  });
});
