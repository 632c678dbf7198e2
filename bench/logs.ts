/**
 * Log query speed: a 200,000-line console log over three rotated files (as the console host writes
 * it), read through the same function the API uses. Prints the median of several runs of a deep page
 * (page 100 × 1000 per page, the request that took 21 s before), of the newest page, and of a filtered
 * deep page (text search, every line parsed).
 *
 * Run: npm run bench:logs
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LogQuery } from '@minefleet/domain/ports/runtime-driver';
import { readLogs } from '../packages/runtime-local/src/log-store.js';

const LINES = 200_000;
const RUNS = 7;

const dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-bench-logs-'));
try {
  const t0 = Date.UTC(2026, 0, 1);
  const record = (i: number) =>
    JSON.stringify({
      ts: new Date(t0 + i * 100).toISOString(),
      level: i % 50 === 0 ? 'warn' : 'info',
      source: 'stdout',
      message: `[Server thread/INFO]: Player${i % 97} moved too quickly! ${i}${i % 13 === 0 ? ' lagging' : ''}`,
    }) + '\n';
  const third = Math.floor(LINES / 3);
  const chunk = (from: number, to: number) => {
    const parts: string[] = [];
    for (let i = from; i < to; i++) parts.push(record(i));
    return parts.join('');
  };
  await writeFile(path.join(dir, 'console.2.jsonl'), chunk(0, third));
  await writeFile(path.join(dir, 'console.1.jsonl'), chunk(third, 2 * third));
  await writeFile(path.join(dir, 'console.jsonl'), chunk(2 * third, LINES));

  const cases: [string, LogQuery][] = [
    ['deep page (page 100 × 1000)', { page: 100, perPage: 1000 }],
    ['newest page (page 1 × 100)', { page: 1, perPage: 100 }],
    ['filtered deep page (q=lagging, page 10 × 1000)', { page: 10, perPage: 1000, q: 'lagging' }],
  ];
  console.log(`log of ${LINES} lines; median of ${RUNS} runs (after one warm-up)`);
  for (const [name, query] of cases) {
    await readLogs(dir, query);
    const times: number[] = [];
    let lines = 0;
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      const page = await readLogs(dir, query);
      times.push(performance.now() - start);
      lines = page.lines.length;
    }
    times.sort((a, b) => a - b);
    console.log(
      `${name.padEnd(48)} median ${times[Math.floor(RUNS / 2)]!.toFixed(1)} ms  (min ${times[0]!.toFixed(1)}, max ${times[RUNS - 1]!.toFixed(1)}; ${lines} lines)`,
    );
  }
  console.log(
    `load average: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
