import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { SignedUp } from '@minefleet/testkit/api';
import {
  loopbackEnv,
  spawnControlPlane,
  type ControlPlaneProcess,
} from '@minefleet/testkit/control-plane-process';
import { createTestDatabase, withDatabase, type TestDatabase } from '@minefleet/testkit/databases';
import { freePortRange } from '@minefleet/testkit/ports';
import { endGameProcesses, gameProcesses } from '@minefleet/testkit/processes';
import { BackupDisk } from './backup-disk.js';
import { NatsProcess } from './nats-process.js';
import { ChaosS3 } from './s3-store.js';
import { FaultyTcpProxy } from './tcp-proxy.js';

export interface PlatformOptions {
  /** 1: one control plane, in-process events. 2: two replicas sharing the database and our own NATS. */
  replicas: 1 | 2;
  /** The backup store: a small tmpfs of its own (`disk`), or an S3 server behind a faulty proxy. */
  store: 'disk' | 's3';
  backupDiskMb: number;
  log: (line: string) => void;
  /** A folder each replica's whole output is appended to (`replica-<n>.log`), kept after the run. */
  logDir?: string | undefined;
}

/**
 * Everything the chaos run plays with, all on loopback and all its own: a fresh PostgreSQL database
 * reached through a fault-injecting TCP proxy, a backup store (a tmpfs disk, or S3 behind a proxy of
 * its own), a NATS server (two replicas only),
 * one data folder, and the built control plane as one or two real processes on fixed ports (a killed
 * replica comes back on its port, over the same data).
 */
export class ChaosPlatform {
  readonly replicas: (ControlPlaneProcess | undefined)[] = [];
  user!: SignedUp;
  private env: NodeJS.ProcessEnv[] = [];
  /** Replicas that died without being killed by the run: each one is a finding. */
  readonly unexpectedExits: string[] = [];

  private constructor(
    readonly options: PlatformOptions,
    readonly db: TestDatabase,
    readonly proxy: FaultyTcpProxy,
    /** The local store's disk (store `disk`). */
    readonly disk: BackupDisk | undefined,
    /** The S3 store (store `s3`). */
    readonly s3: ChaosS3 | undefined,
    readonly nats: NatsProcess | undefined,
    readonly dataDir: string,
  ) {}

  static async start(options: PlatformOptions): Promise<ChaosPlatform> {
    const db = await createTestDatabase('postgres');
    const target = new URL(db.url!);
    const proxy = await FaultyTcpProxy.start({
      host: target.hostname || '127.0.0.1',
      port: Number(target.port || 5432),
    });
    const disk = options.store === 'disk' ? await BackupDisk.create(options.backupDiskMb) : undefined;
    const s3 = options.store === 's3' ? await ChaosS3.start() : undefined;
    const nats = options.replicas === 2 ? await NatsProcess.create() : undefined;
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-chaos-'));
    const platform = new ChaosPlatform(options, db, proxy, disk, s3, nats, dataDir);
    try {
      await platform.boot();
    } catch (error) {
      await platform.close();
      throw error;
    }
    return platform;
  }

  /** The database URL the control planes use: through the proxy. */
  get proxiedDatabaseUrl(): string {
    const url = new URL(withDatabase(this.db.url!, new URL(this.db.url!).pathname.slice(1)));
    url.hostname = '127.0.0.1';
    url.port = String(this.proxy.port);
    return url.toString();
  }

  private async boot(): Promise<void> {
    const run = randomBytes(4).toString('hex');
    const api = await freePortRange(this.options.replicas);
    const games = await freePortRange(8);
    for (let i = 0; i < this.options.replicas; i++) {
      this.env.push(
        loopbackEnv({
          port: api.from + i,
          dataDir: this.dataDir,
          portRange: games,
          databaseUrl: this.proxiedDatabaseUrl,
          extra: {
            MINEFLEET_JWT_SECRET: `chaos-secret-${run}-0123456789abcdef0123`,
            ...(this.disk ? { MINEFLEET_BACKUP_DIR: this.disk.storeDir } : this.s3!.env()),
            MINEFLEET_LOGIN_RATE_LIMIT: '1000',
            MINEFLEET_SIGNUP_RATE_LIMIT: '1000',
            MINEFLEET_LEASE_TTL_SECONDS: '2',
            MINEFLEET_BACKUP_SWEEP_SECONDS: '0.5',
            MINEFLEET_BACKUP_SAVE_TIMEOUT_SECONDS: '10',
            MINEFLEET_HEALTH_CACHE_MS: '0',
            MINEFLEET_PLUGIN_SOURCES: 'local',
            MINEFLEET_MOJANG_API_URL: 'http://127.0.0.1:9',
            MINEFLEET_DB_POOL_SIZE: '5',
            // With CHAOS_LOG_DIR, info (each request, each lifecycle step) says what led to a finding.
            ...(this.options.logDir ? { LOG_LEVEL: process.env.CHAOS_LOG_LEVEL ?? 'info' } : {}),
            NATS_URL: this.nats?.url ?? '',
            NATS_STREAM: `MFCHAOS_${run}`,
            NATS_SUBJECT_PREFIX: `mfchaos_${run}`,
          },
        }),
      );
    }
    await Promise.all(this.env.map((_, i) => this.startReplica(i)));
  }

  async startReplica(index: number): Promise<ControlPlaneProcess> {
    // A loaded machine (load average 20–30 on 2 cores here) took over a minute to start one.
    const started = await spawnControlPlane(this.env[index]!, { timeoutMs: 180_000 });
    this.replicas[index] = started;
    if (this.options.logDir) {
      const file = createWriteStream(path.join(this.options.logDir, `replica-${index}.log`), { flags: 'a' });
      file.write(started.output());
      started.proc.stdout?.on('data', (d: Buffer) => file.write(d));
      started.proc.stderr?.on('data', (d: Buffer) => file.write(d));
      started.proc.once('exit', () => file.end());
    }
    started.proc.once('exit', (code, signal) => {
      if (this.replicas[index] !== started) return; // killed by the chaos run itself
      this.replicas[index] = undefined;
      this.unexpectedExits.push(
        `replica ${index} exited by itself (code ${code}, signal ${signal}); its last output:\n${started.output().slice(-3000)}`,
      );
      this.options.log(`chaos: ${this.unexpectedExits.at(-1)}`);
    });
    return started;
  }

  /** SIGKILLs a replica and waits until it is gone. */
  async killReplica(index: number): Promise<void> {
    const replica = this.replicas[index];
    this.replicas[index] = undefined;
    await replica?.stop('SIGKILL');
  }

  /** A live replica's API (the first one that is up). */
  get api() {
    const live = this.replicas.find((r) => r !== undefined);
    if (!live) throw new Error('no control plane is up');
    return live.api;
  }

  liveReplicas(): ControlPlaneProcess[] {
    return this.replicas.filter((r): r is ControlPlaneProcess => r !== undefined);
  }

  /** Control-plane processes on this machine serving this run's data folder. */
  async controlPlanePids(): Promise<number[]> {
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ');
        if (!cmdline.includes('apps/server/dist/main.js')) continue;
        const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
        if (environ.split('\0').includes(`MINEFLEET_DATA_DIR=${this.dataDir}`)) pids.push(Number(entry));
      } catch {
        // ended while we looked
      }
    }
    return pids;
  }

  /** The names (`<backup id>.<extension>`) of the archives the store holds for one server. */
  async storedArchives(serverId: string): Promise<string[]> {
    const tenantId = this.user.tenantId;
    if (this.s3) return this.s3.names(tenantId, serverId);
    return readdir(path.join(this.disk!.storeDir, tenantId, serverId)).catch(() => [] as string[]);
  }

  /** SHA-256 and size of one stored archive, read from the store itself (past any proxy). */
  async hashArchive(serverId: string, name: string): Promise<{ sha256: string; size: number }> {
    const tenantId = this.user.tenantId;
    if (this.s3) return this.s3.hash(tenantId, serverId, name);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(path.join(this.disk!.storeDir, tenantId, serverId, name))) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  /**
   * What the run's database is doing, read past the proxy: every session that is not idle (a statement
   * running or waiting, a transaction left open), with what it waits on and for how long. Printed with a
   * stuck server, where a held connection is the first suspect.
   */
  async databaseActivity(): Promise<string> {
    const client = new pg.Client({ connectionString: this.db.url! });
    try {
      await client.connect();
      const { rows } = await client.query(
        `select pid, application_name, state, wait_event_type, wait_event,
                round(extract(epoch from now() - xact_start))::int as xact_s,
                round(extract(epoch from now() - state_change))::int as state_s,
                left(query, 300) as query
           from pg_stat_activity
          where datname = current_database() and pid <> pg_backend_pid() and state <> 'idle'`,
      );
      if (rows.length === 0) return 'no session of the database is active or in a transaction';
      return rows
        .map(
          (r) =>
            `pid ${r.pid} ${r.state} (${r.state_s} s; transaction ${r.xact_s ?? '-'} s; waits ${r.wait_event_type ?? '-'}/${r.wait_event ?? '-'}): ${r.query}`,
        )
        .join('\n');
    } catch (error) {
      return `could not read pg_stat_activity: ${(error as Error).message}`;
    } finally {
      await client.end().catch(() => {});
    }
  }

  gameProcesses() {
    return gameProcesses(this.dataDir);
  }

  async close(): Promise<void> {
    for (let i = 0; i < this.replicas.length; i++) await this.killReplica(i).catch(() => {});
    await endGameProcesses(this.dataDir).catch(() => {});
    await this.proxy.close().catch(() => {});
    await this.db.close().catch(() => {});
    await this.nats?.destroy().catch(() => {});
    await this.disk?.destroy().catch(() => {});
    await this.s3?.destroy().catch(() => {});
    await rm(this.dataDir, { recursive: true, force: true });
  }
}
