/**
 * `npm run bench:files` — the files API against `cp` on the same disk:
 * - download MB/s (GET /files/download to a file) vs `cp` of the same file (target ≥ 0.7×);
 * - chunked upload MB/s (POST /files/uploads + PATCH chunks of BENCH_CHUNK_MB) vs `cp` (target ≥ 0.5×);
 * - listing a folder of 10,000 files (target < 200 ms): GET /files sorted by name with the dashboard's page
 *   of 100 and with pages of 1,000 (names sorted, only the page stat'ed), and sorted by time (-mtime,
 *   every entry stat'ed).
 * BENCH_PARTS=list (or transfers) runs one part only.
 * A control plane is spawned (the build, as in production; DATABASE_URL if set, else the embedded
 * database). Each figure is the median of BENCH_REPEAT runs (default 3); the load average is printed,
 * as the machine may be shared.
 */
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { loopbackEnv, spawnControlPlane } from '@minefleet/testkit/control-plane-process';
import { freePort, freePortRange } from '@minefleet/testkit/ports';

const MiB = 1024 * 1024;
const sizeMiB = Number(process.env.BENCH_FILE_MB ?? '256');
const chunkMiB = Number(process.env.BENCH_CHUNK_MB ?? '16');
const repeat = Number(process.env.BENCH_REPEAT ?? '3');
const parts = (process.env.BENCH_PARTS ?? 'transfers,list').split(',');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

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
    { timeoutMs: 300_000 },
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

    const cpSeconds: number[] = [];
    const uploadSeconds: number[] = [];
    const downloadSeconds: number[] = [];
    for (let run = 0; parts.includes('transfers') && run < repeat; run++) {
      const copyTarget = path.join(work, `cp-${run}.bin`);
      let t = performance.now();
      const copied = spawnSync('cp', [source, copyTarget]);
      if (copied.status !== 0) throw new Error(`cp failed: ${copied.stderr.toString()}`);
      cpSeconds.push((performance.now() - t) / 1000);
      await rm(copyTarget);

      const remote = `bench/upload-${run}.bin`;
      t = performance.now();
      const upload = await cp.api.post(
        `/servers/${id}/files/uploads`,
        { path: remote, size: sizeMiB * MiB },
        user.token,
      );
      if (upload.status !== 201) throw new Error(JSON.stringify(upload.body));
      for (let offset = 0; offset < sizeMiB * MiB; offset += chunkMiB * MiB) {
        const end = Math.min(sizeMiB * MiB, offset + chunkMiB * MiB);
        const res = await fetch(`${cp.url}/api/v1/servers/${id}/files/uploads/${upload.body.id}`, {
          method: 'PATCH',
          headers: {
            ...auth,
            'content-type': 'application/offset+octet-stream',
            'upload-offset': String(offset),
            'content-length': String(end - offset),
          },
          body: Readable.toWeb(
            createReadStream(source, { start: offset, end: end - 1, highWaterMark: MiB }),
          ) as ReadableStream,
          duplex: 'half',
        });
        if (!res.ok) throw new Error(await res.text());
        await res.arrayBuffer();
      }
      uploadSeconds.push((performance.now() - t) / 1000);

      const downloaded = path.join(work, `download-${run}.bin`);
      t = performance.now();
      const res = await fetch(
        `${cp.url}/api/v1/servers/${id}/files/download?path=${encodeURIComponent(remote)}`,
        { headers: auth },
      );
      if (!res.ok || !res.body) throw new Error(await res.text());
      await pipeline(
        Readable.fromWeb(res.body as WebReadableStream<Uint8Array>),
        createWriteStream(downloaded),
      );
      downloadSeconds.push((performance.now() - t) / 1000);
      await rm(downloaded);
      await rm(path.join(folder, remote));
    }

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

    const mbps = (s: number) => (sizeMiB * MiB) / 1e6 / s;
    if (parts.includes('transfers')) {
      const cpRate = mbps(median(cpSeconds));
      const up = mbps(median(uploadSeconds));
      const down = mbps(median(downloadSeconds));
      console.log(
        `files bench: ${sizeMiB} MiB of random bytes, chunks of ${chunkMiB} MiB, median of ${repeat} (load average ${load()})`,
      );
      console.log(
        `  cp                 ${cpRate.toFixed(0)} MB/s   runs ${cpSeconds.map((s) => s.toFixed(2)).join(' ')} s`,
      );
      console.log(
        `  download           ${down.toFixed(0)} MB/s   ${(down / cpRate).toFixed(2)}× cp (target ≥ 0.7×)   runs ${downloadSeconds.map((s) => s.toFixed(2)).join(' ')} s`,
      );
      console.log(
        `  chunked upload     ${up.toFixed(0)} MB/s   ${(up / cpRate).toFixed(2)}× cp (target ≥ 0.5×)   runs ${uploadSeconds.map((s) => s.toFixed(2)).join(' ')} s`,
      );
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
