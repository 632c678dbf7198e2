/**
 * `npm run bench:files` — the files API against `cp` on the same disk:
 * - download MB/s (GET /files/download to a file) vs `cp` of the same file (target ≥ 0.7×);
 * - chunked upload MB/s (POST /files/uploads + PATCH chunks of BENCH_CHUNK_MB) vs `cp` (target ≥ 0.5×);
 * - listing a folder of 10,000 files (target < 200 ms): GET /files sorted by name with the dashboard's page
 *   of 100 and with pages of 1,000 (names sorted, only the page stat'ed), and sorted by time (-mtime,
 *   every entry stat'ed).
 * Each transfer is made by two clients (BENCH_CLIENTS, default "curl,node": curl, and Node's fetch) and
 * also against a bare node:http server in its own process (bench/file-transfer-clients.ts), so the report
 * sets each figure beside `cp` and beside what Node's HTTP stack alone gives in the same run. Every
 * copy is checked byte for byte (SHA-256) outside the timing.
 * BENCH_PARTS=list (or transfers) runs one part only. BENCH_SERVER_NODE_ARGS passes Node flags to the
 * control plane (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"; summarise with bench/cpu-profile-top.ts).
 * A control plane is spawned (the build, as in production; DATABASE_URL if set, else the embedded
 * database). Each figure is the median of BENCH_REPEAT runs (default 3); the load average is printed,
 * as the machine may be shared.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { loopbackEnv, spawnControlPlane } from '@minefleet/testkit/control-plane-process';
import { freePort, freePortRange } from '@minefleet/testkit/ports';
import {
  download,
  patchChunk,
  startReference,
  type Chunk,
  type ClientName,
} from './file-transfer-clients.js';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.BENCH_FILE_MB ?? '256');
const chunkMiB = Number(process.env.BENCH_CHUNK_MB ?? '16');
const repeat = Number(process.env.BENCH_REPEAT ?? '3');
const parts = (process.env.BENCH_PARTS ?? 'transfers,list').split(',');
const clients = (process.env.BENCH_CLIENTS ?? 'curl,node').split(',') as ClientName[];
const size = sizeMiB * MiB;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

/** The copy has the source's bytes (a fast transfer of the wrong bytes would prove nothing). */
async function assertSame(a: string, b: string): Promise<void> {
  const digest = async (file: string) => {
    const hash = createHash('sha256');
    await pipeline(createReadStream(file, { highWaterMark: 4 * MiB }), hash);
    return hash.digest('hex');
  };
  if ((await digest(a)) !== (await digest(b))) throw new Error(`${b} differs from ${a}`);
}

async function main() {
  const work = await mkdtemp(path.join(tmpdir(), 'minefleet-bench-files-'));
  // The control plane creates its data folder itself, private (it refuses one other users can enter).
  const dataDir = path.join(work, 'data');
  const source = path.join(work, 'source.bin');
  // Random bytes: nothing on the way can compress them.
  const out = createWriteStream(source);
  const block = Buffer.alloc(MiB);
  for (let i = 0; parts.includes('transfers') && i < sizeMiB; i++) {
    randomFillSync(block);
    if (!out.write(Buffer.from(block))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));

  const cp = await spawnControlPlane(
    loopbackEnv({
      port: await freePort(),
      dataDir,
      portRange: await freePortRange(2),
      databaseUrl: process.env.DATABASE_URL,
      extra: { MINEFLEET_PLUGIN_SOURCES: 'local' },
    }),
    {
      timeoutMs: 300_000,
      nodeArgs: process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    },
  );
  try {
    const user = await cp.api.signup('bench-files');
    const auth = { authorization: `Bearer ${user.token}` };
    const created = await cp.api.post(
      '/servers',
      { name: 'bench', sku_id: 'starter', minecraft_version: '1.20.2' },
      user.token,
    );
    const id = created.body.id as string;
    await cp.api.waitForStatus(id, user.token, 'stopped', 120_000);
    const folder = path.join(dataDir, 'servers', id);

    // Each chunk of the upload as a file of its own, for curl's `-T` (split before any clock starts).
    const chunks: Chunk[] = [];
    for (let offset = 0; parts.includes('transfers') && offset < size; offset += chunkMiB * MiB) {
      const end = Math.min(size, offset + chunkMiB * MiB);
      const chunkFile = path.join(work, `chunk-${chunks.length}.bin`);
      await pipeline(createReadStream(source, { start: offset, end: end - 1 }), createWriteStream(chunkFile));
      chunks.push({ offset, end, chunkFile });
    }
    const refDir = path.join(work, 'reference');
    await mkdir(refDir);
    const reference = await startReference(work, await freePort(), source, refDir);

    const rows = new Map<string, number[]>();
    const time = async (row: string, work: () => Promise<void>) => {
      const t = performance.now();
      await work();
      const seconds = (performance.now() - t) / 1000;
      rows.set(row, [...(rows.get(row) ?? []), seconds]);
    };
    const loads: string[] = [];
    for (let run = 0; parts.includes('transfers') && run < repeat; run++) {
      loads.push(load());
      const copyTarget = path.join(work, `cp-${run}.bin`);
      await time('cp', async () => {
        const copied = spawnSync('cp', [source, copyTarget]);
        if (copied.status !== 0) throw new Error(`cp failed: ${copied.stderr.toString()}`);
      });
      await rm(copyTarget);
      // What an upload must also do: its bytes are on the disk (fsync) before it answers.
      await time('cp + sync', async () => {
        for (const [cmd, args] of [
          ['cp', [source, copyTarget]],
          ['sync', [copyTarget]],
        ] as const) {
          const done = spawnSync(cmd, args);
          if (done.status !== 0) throw new Error(`${cmd} failed: ${done.stderr.toString()}`);
        }
      });
      await rm(copyTarget);
      for (const client of clients) {
        const remote = `bench/upload-${client}-${run}.bin`;
        await time(`upload minefleet ${client}`, async () => {
          const upload = await cp.api.post(
            `/servers/${id}/files/uploads`,
            { path: remote, size },
            user.token,
          );
          if (upload.status !== 201) throw new Error(JSON.stringify(upload.body));
          const url = `${cp.url}/api/v1/servers/${id}/files/uploads/${upload.body.id}`;
          for (const chunk of chunks) await patchChunk(client, url, auth, source, chunk);
        });
        const downloaded = path.join(work, `download-${run}.bin`);
        await time(`download minefleet ${client}`, () =>
          download(
            client,
            `${cp.url}/api/v1/servers/${id}/files/download?path=${encodeURIComponent(remote)}`,
            auth,
            downloaded,
          ),
        );
        await assertSame(source, downloaded);
        await rm(downloaded);
        await assertSame(source, path.join(folder, remote));
        await rm(path.join(folder, remote));

        const name = `ref-${client}-${run}.bin`;
        await time(`upload bare ${client}`, async () => {
          for (const chunk of chunks)
            await patchChunk(client, `${reference.url}/?name=${name}`, {}, source, chunk);
        });
        await rm(path.join(refDir, name));
        await time(`download bare ${client}`, () => download(client, `${reference.url}/`, {}, downloaded));
        await rm(downloaded);
      }
    }
    await reference.stop();

    const big = path.join(folder, 'big');
    await mkdir(big);
    for (let i = 0; i < 10_000; i++)
      await writeFile(path.join(big, `r.${i % 100}.${Math.floor(i / 100)}.mca`), 'x');
    const listings = [
      { label: 'by name, page of 100  ', query: 'sort=name&per_page=100' },
      { label: 'by name, page of 1,000', query: 'sort=name&per_page=1000' },
      { label: 'by time, page of 1,000', query: 'sort=-mtime&per_page=1000' },
    ].map((l) => ({ ...l, ms: [] as number[] }));
    for (let run = 0; parts.includes('list') && run < Math.max(repeat, 5); run++) {
      for (const listing of listings) {
        const t = performance.now();
        const res = await cp.api.get(`/servers/${id}/files?path=big&${listing.query}`, user.token);
        listing.ms.push(performance.now() - t);
        if (res.status !== 200 || res.body.pagination.total !== 10_000)
          throw new Error(JSON.stringify(res.body).slice(0, 300));
      }
    }

    const mbps = (s: number) => size / 1e6 / s;
    const runs = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    if (parts.includes('transfers')) {
      const rate = (row: string) => mbps(median(rows.get(row)!));
      const cpRate = rate('cp');
      console.log(
        `files bench: ${sizeMiB} MiB of random bytes, chunks of ${chunkMiB} MiB, median of ${repeat} ` +
          `(load average before each run: ${loads.join(' | ')}; after: ${load()})`,
      );
      console.log(
        `  ${'cp'.padEnd(30)} ${cpRate.toFixed(0).padStart(5)} MB/s   runs ${runs(rows.get('cp')!)} s`,
      );
      const synced = rate('cp + sync');
      console.log(
        `  ${'cp + sync'.padEnd(30)} ${synced.toFixed(0).padStart(5)} MB/s   ${`${(synced / cpRate).toFixed(2)}× cp`.padEnd(42)} runs ${runs(rows.get('cp + sync')!)} s`,
      );
      for (const [direction, target] of [
        ['download', 0.7],
        ['upload', 0.5],
      ] as const) {
        for (const client of clients) {
          const bare = rate(`${direction} bare ${client}`);
          for (const server of ['minefleet', 'bare'] as const) {
            const row = `${direction} ${server} ${client}`;
            const r = rate(row);
            const versus =
              server === 'minefleet'
                ? `${(r / cpRate).toFixed(2)}× cp (target ≥ ${target}×), ${(r / bare).toFixed(2)}× bare`
                : `${(r / cpRate).toFixed(2)}× cp`;
            console.log(
              `  ${row.padEnd(30)} ${r.toFixed(0).padStart(5)} MB/s   ${versus.padEnd(42)} runs ${runs(rows.get(row)!)} s`,
            );
          }
        }
      }
    }
    if (parts.includes('list')) {
      console.log(
        `list 10,000 files, median of ${listings[0]!.ms.length} (load average ${load()}; target < 200 ms)`,
      );
      for (const l of listings) {
        console.log(
          `  ${l.label}  ${median(l.ms).toFixed(0)} ms   runs ${l.ms.map((m) => m.toFixed(0)).join(' ')} ms`,
        );
      }
    }
  } finally {
    await cp.stop('SIGTERM');
    await rm(work, { recursive: true, force: true });
  }
}

await main();
