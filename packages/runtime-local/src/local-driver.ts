import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { DomainError } from '@minefleet/domain/errors';
import type { Distribution } from '@minefleet/domain/distributions';
import type {
  AdoptOptions,
  ConsoleLine,
  DistributionInfo,
  ExitInfo,
  LogPage,
  LogQuery,
  PingResult,
  ProcessInfo,
  ProcessObservation,
  ProcessStats,
  RuntimeDriver,
  RuntimeEvent,
  ServerSpec,
  StartOptions,
  StopOptions,
  WorkspacePaths,
} from '@minefleet/domain/ports/runtime-driver';
import { writeJsonAtomic } from './atomic-file.js';
import { DiskUsageCache } from './disk-usage.js';
import type { DistributionRuntime, LogRotation } from './distribution-runtime.js';
import { appendLogLine, readLogs } from './log-store.js';
import { ManagedProcess } from './managed-process.js';
import { pingServer } from './ping.js';
import { commandLine, cpuPercent, isAlive, processGroups, sampleUsage, type UsageSample } from './proc.js';
import { BACKUP_EXCLUDES, serverFolder, type ServerFolder } from './server-folder.js';

export interface LocalDriverOptions {
  /** Servers live in `<dataDir>/servers/<id>`, downloads in `<dataDir>/cache`. */
  dataDir: string;
  /** How each distribution is run (see createLocalDriver for the defaults). */
  runtimes: DistributionRuntime[];
  /** How long start() waits for the new process's console socket. */
  consoleTimeoutMs?: number;
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 4 * 1024 * 1024, maxFiles: 5 };

interface ProcessFile {
  pid: number;
  generation: number;
  serverId: string;
  startedAt: string;
}

const CPU_SAMPLE_MS = 250;
/** One scan of /proc serves every server's stats for this long (a collector asks for all at once). */
const GROUP_SCAN_TTL_MS = 1_000;
/** How long an on-demand attachment waits for a console that may still be loading. */
const ON_DEMAND_ATTACH_MS = 10_000;

/**
 * The local runtime driver: each server is a process on this machine in its own folder. Processes are
 * spawned detached (own session and process group, no pipes to us) and serve their console on a unix
 * socket in their folder, so they outlive the control plane and a new one adopts them (docs/runtime.md).
 */
export class LocalDriver implements RuntimeDriver {
  readonly name = 'local';
  private readonly processes = new Map<string, ManagedProcess>();
  private readonly specs = new Map<string, ServerSpec>();
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private readonly starting = new Set<string>();
  private readonly cpuSamples = new Map<string, UsageSample & { pid: number }>();
  private readonly disk = new DiskUsageCache();
  private groupScan: { at: number; groups: Promise<Map<number, number[]>> } | undefined;
  private closed = false;

  constructor(private readonly options: LocalDriverOptions) {}

  async catalogue(): Promise<DistributionInfo[]> {
    const lists = await Promise.all(this.options.runtimes.map((runtime) => runtime.catalogue()));
    return lists.flat();
  }

  async deploy(spec: ServerSpec, signal?: AbortSignal): Promise<void> {
    const folder = this.folder(spec.serverId);
    const runtime = this.runtime(spec.distribution);
    await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
    await runtime.deploy(spec, folder, signal);
    await this.configure(spec);
  }

  async configure(spec: ServerSpec): Promise<void> {
    const folder = this.folder(spec.serverId);
    await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
    await this.runtime(spec.distribution).configure(spec, folder);
    await this.saveSpec(spec);
  }

  async start(spec: ServerSpec, options: StartOptions): Promise<ProcessInfo> {
    this.assertOpen();
    const folder = this.folder(spec.serverId);
    const runtime = this.runtime(spec.distribution);
    if (this.starting.has(spec.serverId) || this.processes.get(spec.serverId)?.alive) {
      throw new DomainError('INVALID_TRANSITION', 'A process for this server is already running', {
        serverId: spec.serverId,
      });
    }
    this.starting.add(spec.serverId);
    try {
      if (await this.aliveOnDisk(folder)) {
        throw new DomainError('INVALID_TRANSITION', 'A process for this server is running: adopt it first', {
          serverId: spec.serverId,
        });
      }
      await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
      const plan = await runtime.launch(spec, folder, options);
      await this.saveSpec(spec);
      await this.platformLine(
        folder,
        spec.serverId,
        'info',
        `Starting ${spec.distribution} ${spec.minecraftVersion} (generation ${options.generation})`,
      );

      // Raw stdio goes to a file, not to us: a pipe would tie the process's life to ours.
      const stdio = openSync(folder.stdioFile, 'w', 0o600);
      let child;
      try {
        child = spawn(plan.command, plan.args, {
          cwd: folder.root,
          env: plan.env,
          detached: true,
          stdio: ['ignore', stdio, stdio],
        });
      } finally {
        closeSync(stdio);
      }
      const pid = await new Promise<number>((resolve, reject) => {
        child.once('spawn', () => resolve(child.pid!));
        child.once('error', (error) => reject(error));
      }).catch((error: Error) => {
        throw new DomainError('RUNTIME_UNAVAILABLE', `Cannot launch ${plan.command}: ${error.message}`);
      });
      child.unref();
      const proc = new ManagedProcess(
        spec.serverId,
        folder,
        options.generation,
        pid,
        new Date(),
        (e) => this.emit(e),
        child,
      );
      proc.beforeExit = (exit) => this.recordExit(spec.serverId, exit);
      this.processes.set(spec.serverId, proc);
      // The console socket opens within milliseconds, but the launcher then loads the server
      // synchronously and answers only after that: attach in the background so start() returns at
      // once; commands and stops wait for the attachment.
      proc.attachment = Promise.race([
        proc.attach(this.options.consoleTimeoutMs ?? 15_000, true),
        proc.exited.then(() => false),
      ]).then(async (attached) => {
        if (!attached && proc.alive) {
          await this.platformLine(
            folder,
            spec.serverId,
            'error',
            'The game process did not open its console: killing it',
          );
          proc.signal('SIGKILL');
        }
        return attached;
      });
      return { pid, startedAt: proc.startedAt, generation: options.generation };
    } finally {
      this.starting.delete(spec.serverId);
    }
  }

  async sendCommand(serverId: string, command: string): Promise<void> {
    if (/[\r\n]/.test(command) || command.length > 32_767) {
      throw new DomainError('VALIDATION_FAILED', 'A console command is one line of at most 32767 characters');
    }
    const proc = await this.attached(serverId);
    if (!proc?.alive) throw new DomainError('SERVER_NOT_RUNNING', undefined, { serverId });
    await proc.attachment;
    const console = proc.console;
    if (!console)
      throw new DomainError('RUNTIME_UNAVAILABLE', 'The console of this server is not reachable now', {
        serverId,
      });
    try {
      await console.command(command);
    } catch (error) {
      if (!proc.alive) throw new DomainError('SERVER_NOT_RUNNING', undefined, { serverId });
      throw new DomainError('RUNTIME_UNAVAILABLE', `Console command failed: ${(error as Error).message}`, {
        serverId,
      });
    }
  }

  async stop(serverId: string, options: StopOptions): Promise<ExitInfo | null> {
    const proc = await this.attached(serverId);
    if (!proc?.alive) return this.killUnattached(serverId, 'SIGTERM', options.timeoutMs);
    await proc.attachment;
    const console = proc.console;
    try {
      if (!console) throw new Error('no console');
      for (const command of options.beforeStop ?? []) await console.command(command);
      await console.command('stop');
    } catch {
      // No console: SIGTERM asks the same of every launcher (flush, then exit 0).
      proc.signal('SIGTERM');
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      proc.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.timeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      await this.platformLine(
        proc.folder,
        serverId,
        'warn',
        `Did not stop within ${options.timeoutMs} ms: killing it`,
      );
      return this.kill(serverId);
    }
    return proc.exited;
  }

  async kill(serverId: string): Promise<ExitInfo | null> {
    const proc = this.processes.get(serverId) ?? (await this.attached(serverId, 1_500));
    if (!proc?.alive) return this.killUnattached(serverId, 'SIGKILL', 5_000);
    proc.signal('SIGKILL');
    return proc.exited;
  }

  /**
   * The attached process of a server, attaching on demand to one this driver did not start (another
   * replica's, or one that outlived a control plane): its console may still be loading, so this waits for
   * it and never kills. Undefined when no process of the server is alive or it did not answer.
   */
  private async attached(
    serverId: string,
    timeoutMs = ON_DEMAND_ATTACH_MS,
  ): Promise<ManagedProcess | undefined> {
    const current = this.processes.get(serverId);
    if (current?.alive || this.closed) return current;
    const folder = this.folder(serverId);
    const file = await this.aliveOnDisk(folder);
    if (!file) return current;
    const again = this.processes.get(serverId);
    if (again?.alive) return again; // attached meanwhile by a concurrent call
    const proc = this.processOf(serverId, folder, file);
    if (!(await proc.attach(timeoutMs))) {
      proc.detach();
      return current;
    }
    const raced = this.processes.get(serverId);
    if (raced?.alive) {
      proc.detach();
      return raced;
    }
    this.processes.set(serverId, proc);
    await this.loadSpec(serverId);
    return proc;
  }

  /**
   * Ends a live process of the server whose console cannot be reached (not answering, or another
   * replica's and still loading) by signalling its process group, after checking the pid still runs this
   * server's launcher. SIGTERM makes every launcher flush and exit; SIGKILL follows after `timeoutMs`.
   */
  private async killUnattached(
    serverId: string,
    signal: NodeJS.Signals,
    timeoutMs: number,
  ): Promise<ExitInfo | null> {
    const folder = this.folder(serverId);
    const file = await this.aliveOnDisk(folder);
    if (!file) return null;
    const send = (s: NodeJS.Signals) => {
      try {
        process.kill(-file.pid, s);
      } catch {
        // gone meanwhile
      }
    };
    send(signal);
    const deadline = Date.now() + timeoutMs;
    while (isAlive(file.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (isAlive(file.pid)) {
      send('SIGKILL');
      for (let i = 0; i < 250 && isAlive(file.pid); i++) await new Promise((r) => setTimeout(r, 20));
    }
    const written = await readExitFile(folder);
    if (written && written.generation === file.generation) return written;
    const exit: ExitInfo = {
      code: null,
      signal: signal === 'SIGKILL' ? 'SIGKILL' : null,
      at: new Date(),
      generation: file.generation,
    };
    await writeJsonAtomic(
      folder.exitFile,
      { ...exit, at: exit.at.toISOString(), pid: file.pid },
      0o600,
    ).catch(() => {});
    return exit;
  }

  async inspect(serverId: string): Promise<ProcessObservation> {
    const proc = this.processes.get(serverId);
    if (proc) {
      if (proc.exit) return { state: 'exited', exit: proc.exit };
      return { state: 'alive', pid: proc.pid, startedAt: proc.startedAt, generation: proc.generation };
    }
    // Not attached: say what the folder says, without attaching (that is adopt's job).
    const folder = this.folder(serverId);
    const onDisk = await this.aliveOnDisk(folder);
    if (onDisk)
      return {
        state: 'alive',
        pid: onDisk.pid,
        startedAt: new Date(onDisk.startedAt),
        generation: onDisk.generation,
      };
    const exit = await readExitFile(folder);
    if (exit) return { state: 'exited', exit };
    return { state: 'absent' };
  }

  async adopt(
    serverIds: readonly string[],
    options: AdoptOptions = {},
  ): Promise<Map<string, ProcessObservation>> {
    this.assertOpen();
    const reap = options.reapUnresponsive ?? true;
    const found = new Map<string, ProcessObservation>();
    await Promise.all(
      serverIds.map(async (serverId) => found.set(serverId, await this.adoptOne(serverId, reap))),
    );
    return found;
  }

  private async adoptOne(serverId: string, reap: boolean): Promise<ProcessObservation> {
    const current = this.processes.get(serverId);
    if (current?.alive)
      return {
        state: 'alive',
        pid: current.pid,
        startedAt: current.startedAt,
        generation: current.generation,
      };
    const folder = this.folder(serverId);
    const file = await readProcessFile(folder);
    if (file && isAlive(file.pid)) {
      const proc = this.processOf(serverId, folder, file);
      if (await proc.attach(1_500)) {
        this.processes.set(serverId, proc);
        await this.loadSpec(serverId);
        return { state: 'alive', pid: proc.pid, startedAt: proc.startedAt, generation: proc.generation };
      }
      proc.detach();
      // Alive but not answering. Another replica may have started it a moment ago (still loading): then
      // it is alive, just not ours to watch yet.
      if (!reap && isAlive(file.pid) && (await this.isOurLauncher(folder, file.pid))) {
        return {
          state: 'alive',
          pid: file.pid,
          startedAt: new Date(file.startedAt),
          generation: file.generation,
        };
      }
      // Not answering as this server. If it is still our launcher (same command line), it is a
      // process nobody can control any more: end it rather than leave an orphan holding the port.
      if (await this.isOurLauncher(folder, file.pid)) {
        try {
          process.kill(-file.pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        await this.platformLine(
          folder,
          serverId,
          'warn',
          `Process ${file.pid} did not answer on its console: killed it`,
        );
      }
    }
    const exit = await readExitFile(folder);
    if (exit) return { state: 'exited', exit };
    if (file)
      return {
        state: 'exited',
        exit: { code: null, signal: null, at: new Date(), generation: file.generation },
      };
    return { state: 'absent' };
  }

  async ping(serverId: string, timeoutMs = 5_000): Promise<PingResult> {
    const spec = await this.loadSpec(serverId);
    if (!spec) throw new DomainError('SERVER_NOT_FOUND', undefined, { serverId });
    return pingServer(spec, timeoutMs);
  }

  async stats(serverId: string): Promise<ProcessStats | null> {
    const proc = this.processes.get(serverId);
    if (!proc?.alive) return null;
    const pids = [...((await this.groups()).get(proc.pid) ?? [])];
    if (!pids.includes(proc.pid)) pids.push(proc.pid);
    let before = this.cpuSamples.get(serverId);
    if (!before || before.pid !== proc.pid || Date.now() - before.at > 60_000) {
      before = { ...(await sampleUsage(pids)), pid: proc.pid };
      await new Promise((resolve) => setTimeout(resolve, CPU_SAMPLE_MS));
    }
    const after = await sampleUsage(pids);
    this.cpuSamples.set(serverId, { ...after, pid: proc.pid });
    const [diskBytes, ticks] = await Promise.all([
      this.disk.bytes(proc.folder.root),
      proc.console?.stats().catch(() => ({})) ?? Promise.resolve({}),
    ]);
    return {
      cpuPercent: cpuPercent(before, after),
      memoryBytes: after.rssBytes,
      diskBytes,
      uptimeSeconds: Math.max(0, Math.round((Date.now() - proc.startedAt.getTime()) / 1000)),
      ...ticks,
    };
  }

  /** Process groups from one shared scan of /proc: fifty servers' stats cost one scan, not fifty. */
  private groups(): Promise<Map<number, number[]>> {
    const now = Date.now();
    if (!this.groupScan || now - this.groupScan.at > GROUP_SCAN_TTL_MS) {
      const groups = processGroups();
      this.groupScan = { at: now, groups };
      groups.catch(() => (this.groupScan = undefined));
    }
    return this.groupScan.groups;
  }

  onEvent(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readLogs(serverId: string, query: LogQuery): Promise<LogPage> {
    return readLogs(this.folder(serverId).logsDir, query);
  }

  workspace(serverId: string): WorkspacePaths {
    const folder = this.folder(serverId);
    // Fabric loads mods from mods/; every other distribution (flying-squid included) uses plugins/.
    const pluginsDir =
      this.knownDistribution(serverId) === 'fabric' ? path.join(folder.root, 'mods') : folder.pluginsDir;
    return { root: folder.root, pluginsDir, backupExcludes: [...BACKUP_EXCLUDES] };
  }

  async remove(serverId: string): Promise<void> {
    const folder = this.folder(serverId);
    const proc = this.processes.get(serverId);
    if (proc?.alive) await this.kill(serverId);
    else {
      const file = await readProcessFile(folder);
      if (file && isAlive(file.pid) && (await this.isOurLauncher(folder, file.pid))) {
        try {
          process.kill(-file.pid, 'SIGKILL');
        } catch {
          // gone
        }
        for (let i = 0; i < 100 && isAlive(file.pid); i++) await new Promise((r) => setTimeout(r, 20));
      }
    }
    proc?.detach();
    this.processes.delete(serverId);
    this.specs.delete(serverId);
    this.cpuSamples.delete(serverId);
    this.disk.forget(folder.root);
    await rm(folder.root, { recursive: true, force: true });
  }

  close(): Promise<void> {
    this.closed = true;
    for (const proc of this.processes.values()) proc.detach();
    this.processes.clear();
    this.listeners.clear();
    return Promise.resolve();
  }

  private emit(event: RuntimeEvent): void {
    if (!this.closed) this.deliver(event);
  }

  /** Puts a process's end into its console log (and the console stream) before the exit is reported. */
  /** A handle on a game process found by its process file (not started by this driver), not yet attached. */
  private processOf(serverId: string, folder: ServerFolder, file: ProcessFile): ManagedProcess {
    const proc = new ManagedProcess(
      serverId,
      folder,
      file.generation,
      file.pid,
      new Date(file.startedAt),
      (e) => this.emit(e),
    );
    proc.beforeExit = (exit) => this.recordExit(serverId, exit);
    return proc;
  }

  private async recordExit(serverId: string, exit: ExitInfo): Promise<void> {
    if (this.closed) return;
    const { code, signal } = exit;
    const how = signal
      ? `killed by ${signal}`
      : code === null
        ? 'ended (exit code unknown)'
        : `exited with code ${code}`;
    const line: ConsoleLine = {
      ts: new Date(),
      level: code === 0 ? 'info' : 'warn',
      source: 'platform',
      message: `Process ${how} (generation ${exit.generation})`,
    };
    const folder = this.folder(serverId);
    if (existsSync(folder.stateDir)) await appendLogLine(folder.logsDir, line).catch(() => {});
    this.deliver({ type: 'console', serverId, line });
  }

  private deliver(event: RuntimeEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing subscriber must not stop the others or the producer.
      }
    }
  }

  /** A line from Minefleet itself into the server's console log (through the process while it runs). */
  private async platformLine(
    folder: ServerFolder,
    serverId: string,
    level: ConsoleLine['level'],
    message: string,
  ): Promise<void> {
    const console = this.processes.get(serverId)?.console;
    if (console) {
      await console.log(level, message).catch(() => {});
      return;
    }
    const line: ConsoleLine = { ts: new Date(), level, source: 'platform', message };
    await appendLogLine(folder.logsDir, line);
    this.deliver({ type: 'console', serverId, line });
  }

  private async aliveOnDisk(folder: ServerFolder): Promise<ProcessFile | null> {
    const file = await readProcessFile(folder);
    if (!file || !isAlive(file.pid)) return null;
    return (await this.isOurLauncher(folder, file.pid)) ? file : null;
  }

  /** Whether a pid runs this server's launch file (guards against a reused pid). */
  private async isOurLauncher(folder: ServerFolder, pid: number): Promise<boolean> {
    const argv = await commandLine(pid);
    return argv !== null && argv.includes(folder.launchFile);
  }

  private async saveSpec(spec: ServerSpec): Promise<void> {
    this.specs.set(spec.serverId, spec);
    await writeJsonAtomic(this.folder(spec.serverId).specFile, spec, 0o600);
  }

  private async loadSpec(serverId: string): Promise<ServerSpec | null> {
    const known = this.specs.get(serverId);
    if (known) return known;
    try {
      const spec = JSON.parse(await readFile(this.folder(serverId).specFile, 'utf8')) as ServerSpec;
      this.specs.set(serverId, spec);
      return spec;
    } catch {
      return null;
    }
  }

  private knownDistribution(serverId: string): Distribution | undefined {
    const known = this.specs.get(serverId);
    if (known) return known.distribution;
    try {
      return (JSON.parse(readFileSync(this.folder(serverId).specFile, 'utf8')) as ServerSpec).distribution;
    } catch {
      return undefined;
    }
  }

  private folder(serverId: string): ServerFolder {
    return serverFolder(this.options.dataDir, serverId);
  }

  private runtime(distribution: Distribution): DistributionRuntime {
    const runtime = this.options.runtimes.find((r) => r.distributions.includes(distribution));
    if (!runtime)
      throw new DomainError('UNSUPPORTED_DISTRIBUTION', `Distribution ${distribution} is not enabled here`);
    return runtime;
  }

  private assertOpen(): void {
    if (this.closed) throw new DomainError('SHUTTING_DOWN', 'This driver was closed');
  }
}

async function readProcessFile(folder: ServerFolder): Promise<ProcessFile | null> {
  try {
    const file = JSON.parse(await readFile(folder.processFile, 'utf8')) as ProcessFile;
    return Number.isInteger(file.pid) && file.pid > 0 ? file : null;
  } catch {
    return null;
  }
}

async function readExitFile(folder: ServerFolder): Promise<ExitInfo | null> {
  try {
    const raw = JSON.parse(await readFile(folder.exitFile, 'utf8')) as {
      code: number | null;
      signal: string | null;
      at: string;
      generation: number;
    };
    return { code: raw.code, signal: raw.signal, at: new Date(raw.at), generation: raw.generation };
  } catch {
    return null;
  }
}
