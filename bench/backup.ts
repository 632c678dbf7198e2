/**
 * `npm run bench:backup` — backup and restore throughput of the archive engine + local store, against
 * GNU tar with gzip(1) / zstd(1) on the same generated world, and this process's memory meanwhile.
 *
 * Worlds: BENCH_SIZES_MB (default "220,440"): two sizes, so that memory that grows with the world
 * would show. Each world is a realistic mix: region files of 1–12 MiB made of 4 KiB sectors (chunk
 * data that is already compressed, NBT-like repetitive data, zero padding), player data and stats.
 * Everything is read from the page cache in both cases (the same folder, generated just before).
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { BACKUP_COMPRESSIONS, type BackupCompression } from '@minefleet/domain/enums';
import { archiveExtension } from '@minefleet/backups/codec';
import { createArchive } from '@minefleet/backups/create-archive';
import { extractArchive } from '@minefleet/backups/extract-archive';
import { LocalBackupStore } from '@minefleet/backups/local-store';

const MiB = 1024 * 1024;
const sizes = (process.env.BENCH_SIZES_MB ?? '220,440').split(',').map((s) => Number(s.trim()));
/** This machine is shared: each figure is the median of a few runs, engine and tools taking turns. */
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? '3'));

interface Row {
  worldMiB: number;
  worldBytes: number;
  compression: BackupCompression;
  who: 'minefleet' | 'tools';
  backupSeconds: number;
  restoreSeconds: number;
  archiveBytes: number;
  peakRssMiB: number | null;
  /** RSS of the engine's process before it starts (Node + tsx + modules). */
  baseRssMiB?: number;
  /**
   * Tools only: `openssl dgst -sha256` of the archive. The engine computes the archive's SHA-256 while it writes
   * and checks it while it restores (a backup must be verifiable); tar does neither, so the table also
   * compares against tar + openssl's SHA-256, the same work done with the command-line tools.
   */
  verifySeconds?: number;
  /**
   * CPU seconds (user + system, every thread) the backup took: the engine's process, or the tools'
   * processes (tar and the compressor together). On 2 cores, wall time cannot go below half of it.
   */
  backupCpuSeconds: number;
  /** Every run's backup time, to show the spread the median hides. */
  backupRuns?: number[];
  /** 1-minute load average when the row's runs ended. */
  loadAverage?: number;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--engine') return engineChild();
  const zstdCli = spawnSync('zstd', ['--version'], { encoding: 'utf8' });
  const hasZstd = zstdCli.status === 0;
  console.log(
    `node ${process.version}, ${spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`,
  );
  console.log(`load average at the start: ${loadAverages()} (${cpus().length} cores)`);
  console.log(
    hasZstd
      ? `zstd: ${zstdCli.stdout.trim()}`
      : 'zstd(1) missing: the tar+zstd comparison is skipped. Install it with `apt-get install -y zstd` (Debian package "zstd").',
  );
  const work = await mkdtemp(path.join(tmpdir(), 'mf-bench-'));
  const rows: Row[] = [];
  try {
    for (const worldMiB of sizes) {
      const world = path.join(work, `world-${worldMiB}`);
      const { bytes, files } = await generateWorld(world, worldMiB * MiB);
      console.log(`\nworld of ${(bytes / MiB).toFixed(0)} MiB in ${files} files`);
      for (const compression of BACKUP_COMPRESSIONS) {
        const withTools = compression !== 'zstd' || hasZstd;
        const ourRuns: Row[] = [];
        const theirRuns: Row[] = [];
        for (let i = 0; i < repeat; i++) {
          ourRuns.push(await engineInChild(world, work, worldMiB, bytes, compression));
          if (withTools) theirRuns.push(await benchTools(world, work, worldMiB, bytes, compression));
        }
        const ours = median(ourRuns);
        const theirs = withTools ? median(theirRuns) : undefined;
        rows.push(ours);
        printRow(ours);
        if (theirs !== undefined) {
          rows.push(theirs);
          printRow(theirs);
        }
      }
      await rm(world, { recursive: true, force: true });
    }
    printTable(rows);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Median backup, restore and verify times of the runs (each sorted on its own); the highest RSS seen. */
function median(runs: Row[]): Row {
  const mid = (pick: (r: Row) => number): number => {
    const sorted = runs.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const first = runs[0]!;
  const rss = runs.map((r) => r.peakRssMiB);
  return {
    ...first,
    backupSeconds: mid((r) => r.backupSeconds),
    backupCpuSeconds: mid((r) => r.backupCpuSeconds),
    restoreSeconds: mid((r) => r.restoreSeconds),
    ...(first.verifySeconds !== undefined ? { verifySeconds: mid((r) => r.verifySeconds!) } : {}),
    peakRssMiB: rss.includes(null) ? null : Math.max(...(rss as number[])),
    backupRuns: runs.map((r) => r.backupSeconds),
    loadAverage: loadavg()[0]!,
  };
}

/** Writes the world file by file with one reused buffer: generating it must not inflate our RSS. */
async function generateWorld(root: string, target: number): Promise<{ bytes: number; files: number }> {
  let bytes = 0;
  let files = 0;
  let seed = 42;
  const next = (): number => (seed = (seed * 1103515245 + 12345) >>> 0);
  const nbt = Buffer.from(
    '\n\u0000\u0004Name\b\u0000\u000fminecraft:stone\u0001\u0000\u0006Count\u0001'.repeat(200),
  );
  const sectorBuffer = Buffer.alloc(MiB);
  const write = async (relative: string, size: number): Promise<void> => {
    await mkdir(path.dirname(path.join(root, relative)), { recursive: true });
    const handle = await open(path.join(root, relative), 'w');
    try {
      for (let written = 0; written < size; written += sectorBuffer.length) {
        for (let sector = 0; sector < sectorBuffer.length; sector += 4096) {
          const roll = next() % 100;
          const slice = sectorBuffer.subarray(sector, sector + 4096);
          if (roll < 55)
            randomFillSync(slice); // chunk data: zlib-compressed already
          else if (roll < 85)
            nbt.copy(slice, 0, next() % 1000, (next() % 1000) + 4096); // NBT-ish
          else slice.fill(0); // sector padding
        }
        await handle.write(sectorBuffer, 0, Math.min(sectorBuffer.length, size - written));
      }
    } finally {
      await handle.close();
    }
    bytes += size;
    files += 1;
  };
  for (let i = 0; bytes < target; i++) {
    const x = (i % 16) - 8;
    const z = Math.floor(i / 16) - 8;
    await write(`world/region/r.${x}.${z}.mca`, (1 + (next() % 12)) * MiB);
    for (let p = 0; p < 8; p++) await write(`world/playerdata/${i}-${p}.dat`, 2048 + (next() % 8192));
    await write(`world/stats/${i}.json`, 512 + (next() % 4096));
  }
  await writeFile(path.join(root, 'server.properties'), 'motd=bench\n');
  return { bytes, files: files + 1 };
}

/** Samples RSS every 10 ms while `run` runs; returns its time and the highest RSS seen. */
async function measured<T>(run: () => Promise<T>): Promise<{ seconds: number; peakRss: number; value: T }> {
  // Start every run with no dirty pages from the previous one, whose writeback would slow this one.
  spawnSync('sync');
  let peakRss = process.memoryUsage.rss();
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 10);
  const start = process.hrtime.bigint();
  try {
    const value = await run();
    return { seconds: Number(process.hrtime.bigint() - start) / 1e9, peakRss, value };
  } finally {
    clearInterval(timer);
  }
}

/**
 * The engine runs in a fresh process per measurement, so that its peak RSS is its own: memory the
 * allocator kept from an earlier run (zstd contexts on the thread pool) would otherwise be counted
 * against the next world.
 */
async function engineInChild(
  world: string,
  work: string,
  worldMiB: number,
  worldBytes: number,
  compression: BackupCompression,
): Promise<Row> {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1]!,
      '--engine',
      world,
      work,
      String(worldMiB),
      String(worldBytes),
      compression,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`engine run exited ${code}`);
  return JSON.parse(output) as Row;
}

async function engineChild(): Promise<void> {
  const [world, work, worldMiB, worldBytes, compression] = process.argv.slice(3) as [
    string,
    string,
    string,
    string,
    BackupCompression,
  ];
  const store = new LocalBackupStore(path.join(work, 'store'));
  const row = await benchEngine(store, world, work, Number(worldMiB), Number(worldBytes), compression);
  process.stdout.write(JSON.stringify(row));
}

async function benchEngine(
  store: LocalBackupStore,
  world: string,
  work: string,
  worldMiB: number,
  worldBytes: number,
  compression: BackupCompression,
): Promise<Row> {
  const key = `bench/${worldMiB}${archiveExtension(compression)}`;
  const baseRssMiB = process.memoryUsage.rss() / MiB;
  const cpuBefore = process.cpuUsage();
  const backup = await measured(async () => {
    const archive = createArchive(world, { compression, exclude: [] });
    // As the backup runner does: the store hands each written chunk back for the next read.
    await store.put(key, archive.stream, { onWritten: (chunk) => archive.release(chunk) });
    return archive.summary;
  });
  const cpu = process.cpuUsage(cpuBefore);
  const target = path.join(work, 'restored');
  const restore = await measured(async () =>
    extractArchive(await store.get(key), target, { compression, expectedSha256: backup.value.sha256 }),
  );
  await rm(target, { recursive: true, force: true });
  await store.delete(key);
  return {
    worldMiB,
    worldBytes,
    compression,
    who: 'minefleet',
    backupSeconds: backup.seconds,
    backupCpuSeconds: (cpu.user + cpu.system) / 1e6,
    restoreSeconds: restore.seconds,
    archiveBytes: backup.value.sizeBytes,
    peakRssMiB: Math.max(backup.peakRss, restore.peakRss) / MiB,
    baseRssMiB,
  };
}

/** How the tools make each archive: `tar`, `tar -z` (gzip -6), `tar | zstd` (-3); and read it back. */
const TOOLS: Record<BackupCompression, { label: string; create: string; extract: string }> = {
  none: { label: 'tar', create: 'tar -cf "$OUT" -C "$WORLD" .', extract: 'tar -xf "$OUT" -C "$TARGET"' },
  gzip: {
    label: 'tar -z',
    create: 'tar -czf "$OUT" -C "$WORLD" .',
    extract: 'tar -xzf "$OUT" -C "$TARGET"',
  },
  zstd: {
    label: 'tar | zstd',
    create: 'tar -cf - -C "$WORLD" . | zstd -3 -q -o "$OUT"',
    extract: 'zstd -dcq "$OUT" | tar -xf - -C "$TARGET"',
  },
};

/** GNU tar (+ gzip -6 / zstd -3, their defaults), output fsynced as our store does. */
async function benchTools(
  world: string,
  work: string,
  worldMiB: number,
  worldBytes: number,
  compression: BackupCompression,
): Promise<Row> {
  const file = path.join(work, `tools${archiveExtension(compression)}`);
  const target = path.join(work, 'tools-restored');
  const env = { ...process.env, OUT: file, WORLD: world, TARGET: target };
  let cpuSeconds = 0;
  const backup = await measured(async () => {
    // The shell's `times` prints its children's CPU (user, then system) on its second line.
    const times = await run('sh', ['-c', `set -e; ${TOOLS[compression].create}; times`], env);
    const children = times.trim().split('\n').at(-1) ?? '';
    for (const [, minutes, seconds] of children.matchAll(/(\d+)m([\d.]+)s/g))
      cpuSeconds += Number(minutes) * 60 + Number(seconds);
    const handle = await open(file, 'r');
    await handle.sync();
    await handle.close();
  });
  await mkdir(target);
  const restore = await measured(() => run('sh', ['-c', `set -e; ${TOOLS[compression].extract}`], env));
  const archiveBytes = (await stat(file)).size;
  // OpenSSL's SHA-256 (hardware-accelerated, ~3× coreutils' sha256sum here), as Node's crypto is.
  const verify = await measured(() => run('openssl', ['dgst', '-sha256', file]));
  await rm(target, { recursive: true, force: true });
  await rm(file, { force: true });
  return {
    worldMiB,
    worldBytes,
    compression,
    who: 'tools',
    backupSeconds: backup.seconds,
    backupCpuSeconds: cpuSeconds,
    restoreSeconds: restore.seconds,
    archiveBytes,
    peakRssMiB: null,
    verifySeconds: verify.seconds,
  };
}

/** Runs a command; resolves with what it printed. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}`)),
    );
  });
}

/** Backup speed the engine must reach, as a share of the tools' in the same run. */
const TARGET: Record<BackupCompression, number> = { none: 0.8, gzip: 1, zstd: 0.8 };

function printRow(row: Row): void {
  const mbps = (seconds: number): string => (row.worldBytes / MiB / seconds).toFixed(0);
  const who = row.who === 'minefleet' ? 'minefleet' : TOOLS[row.compression].label;
  console.log(
    `  ${row.compression.padEnd(5)} ${who.padEnd(10)} backup ${mbps(row.backupSeconds).padStart(5)} MiB/s` +
      ` (runs ${row.backupRuns?.map(mbps).join(', ')})` +
      `  CPU ${row.backupCpuSeconds.toFixed(2)} s` +
      `  restore ${mbps(row.restoreSeconds).padStart(5)} MiB/s  archive ${(row.archiveBytes / MiB).toFixed(0)} MiB` +
      (row.peakRssMiB !== null
        ? `  peak RSS ${row.peakRssMiB.toFixed(0)} MiB (idle ${row.baseRssMiB?.toFixed(0)})`
        : '') +
      `  load ${row.loadAverage?.toFixed(1)}`,
  );
}

function printTable(rows: Row[]): void {
  console.log(
    `\nMedian of ${repeat} runs. Tools: tar, tar -z (gzip -6), tar | zstd (-3).\n` +
      '\n| world | compression | backup MiB/s (Minefleet / tools = ratio, target) | restore MiB/s (Minefleet / tools = ratio) | vs tools + SHA-256: backup / restore | backup CPU s (Minefleet / tools) | archive MiB (Minefleet / tools) | peak RSS MiB (idle) | load avg |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const ours of rows.filter((r) => r.who === 'minefleet')) {
    const theirs = rows.find(
      (r) => r.who === 'tools' && r.worldMiB === ours.worldMiB && r.compression === ours.compression,
    );
    const rate = (r: Row | undefined, pick: 'backupSeconds' | 'restoreSeconds'): number | null =>
      r === undefined ? null : r.worldBytes / MiB / r[pick];
    const cell = (pick: 'backupSeconds' | 'restoreSeconds'): string => {
      const a = rate(ours, pick)!;
      const b = rate(theirs, pick);
      if (b === null) return `${a.toFixed(0)} / n/a`;
      const ratio = a / b;
      const target =
        pick === 'backupSeconds'
          ? ` (≥ ${TARGET[ours.compression].toFixed(1)}: ${ratio >= TARGET[ours.compression] ? 'met' : 'missed'})`
          : '';
      return `${a.toFixed(0)} / ${b.toFixed(0)} = ${ratio.toFixed(2)}×${target}`;
    };
    const verified = (pick: 'backupSeconds' | 'restoreSeconds'): string =>
      theirs?.verifySeconds === undefined
        ? 'n/a'
        : `${((theirs[pick] + theirs.verifySeconds) / ours[pick]).toFixed(2)}×`;
    console.log(
      `| ${(ours.worldBytes / MiB).toFixed(0)} MiB | ${ours.compression} | ${cell('backupSeconds')} | ${cell('restoreSeconds')} | ` +
        `${verified('backupSeconds')} / ${verified('restoreSeconds')} | ` +
        `${ours.backupCpuSeconds.toFixed(2)} / ${theirs ? theirs.backupCpuSeconds.toFixed(2) : 'n/a'} | ` +
        `${(ours.archiveBytes / MiB).toFixed(0)} / ${theirs ? (theirs.archiveBytes / MiB).toFixed(0) : 'n/a'} | ` +
        `${ours.peakRssMiB!.toFixed(0)} (${ours.baseRssMiB?.toFixed(0)}) | ${ours.loadAverage?.toFixed(1)} |`,
    );
  }
  console.log(
    `\nload average at the end: ${loadAverages()} (${cpus().length} cores, shared with other work)`,
  );
}

function loadAverages(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
}

await main();
