import { existsSync } from 'node:fs';
import path from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
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
  LivePlayer,
  ProcessStats,
  RuntimeDriver,
  RuntimeEvent,
  ServerSpec,
  StartOptions,
  StopOptions,
  WorkspacePaths,
} from '@minefleet/domain/ports/runtime-driver';
import { StorageUsage } from './disk-usage.js';
import type { DistributionRuntime, LogRotation } from './distribution-runtime.js';
import { DriverEvents, exitLine } from './driver-events.js';
import { appendLogLine, readLogs } from './log-store.js';
import { ReadGate } from './read-gate.js';
import { Sandbox, type Isolation } from './sandbox.js';
import type { ResourceLimits } from './cgroups.js';
import { ManagedProcess } from './managed-process.js';
import { pingServer } from './ping.js';
import { isAlive } from './proc.js';
import { aliveOnDisk, isOurLauncher, readProcessFile, safeGroupOf } from './process-files.js';
import { ProcessSampler } from './process-stats.js';
import { ProcessTable } from './process-table.js';
import { launchInGroup, releaseGroup } from './resource-group.js';
import { BACKUP_EXCLUDES, serverFolder, type ServerFolder } from './server-folder.js';
import { SpecStore } from './spec-store.js';
import { spawnGame } from './spawn-game.js';

export interface LocalDriverOptions {
  /** Servers live in `<dataDir>/servers/<id>`, downloads in `<dataDir>/cache`. */
  dataDir: string;
  /** How each distribution is run (see createLocalDriver for the defaults). */
  runtimes: DistributionRuntime[];
  /** How long start() waits for the new process's console socket. */
  consoleTimeoutMs?: number;
  /** Contains each game process (see sandbox.ts); none when omitted. */
  sandbox?: Sandbox;
  /** Enforces each plan's CPU and memory with a control group per server (see cgroups.ts); none when omitted. */
  limits?: ResourceLimits;
  /** How long a measurement of a server folder's size is reused (default STORAGE_TTL_MS, disk-usage.ts). */
  storageTtlMs?: number;
}

export const DEFAULT_LOG_ROTATION: LogRotation = { maxBytes: 4 * 1024 * 1024, maxFiles: 5 };

/**
 * The local runtime driver: each server is a process on this machine in its own folder. Processes are
 * spawned detached (own session and process group, no pipes to us) and serve their console on a unix
 * socket in their folder, so they outlive the control plane and a new one adopts them (docs/runtime.md).
 */
export class LocalDriver implements RuntimeDriver {
  readonly name = 'local';
  private readonly events = new DriverEvents();
  private readonly specs = new SpecStore((serverId) => this.folder(serverId));
  private readonly processes: ProcessTable;
  private readonly starting = new Set<string>();
  private readonly sampler = new ProcessSampler();
  private readonly storage: StorageUsage;
  /** Log reads hold file buffers and event-loop time: two at once, sixteen waiting, the rest refused. */
  private readonly logReads = new ReadGate(2, 16);
  private readonly sandbox: Sandbox;

  constructor(private readonly options: LocalDriverOptions) {
    this.sandbox =
      options.sandbox ??
      new Sandbox({ level: 'none', reason: 'no sandbox configured' }, { dataDir: options.dataDir });
    this.storage = new StorageUsage((serverId) => this.folder(serverId).root, {
      ...(options.storageTtlMs !== undefined ? { ttlMs: options.storageTtlMs } : {}),
    });
    this.processes = new ProcessTable({
      folderOf: (serverId) => this.folder(serverId),
      emit: (event) => this.events.emit(event),
      beforeExit: (serverId, exit) => this.recordExit(serverId, exit),
      loadSpec: (serverId) => this.specs.load(serverId),
      platformLine: (folder, serverId, level, message) => this.platformLine(folder, serverId, level, message),
      closed: () => this.events.closed,
    });
  }

  /** How the plans' CPU and memory are enforced on this host (reported by /health). */
  get limits(): ResourceLimits {
    return this.options.limits ?? { level: 'none', reason: 'no control groups configured' };
  }

  /** How game processes are contained on this host (reported by /health). */
  get isolation(): Isolation {
    return this.sandbox.isolation;
  }

  async catalogue(): Promise<DistributionInfo[]> {
    const lists = await Promise.all(this.options.runtimes.map((runtime) => runtime.catalogue()));
    return lists.flat();
  }

  async deploy(spec: ServerSpec, signal?: AbortSignal): Promise<void> {
    const folder = this.folder(spec.serverId);
    const runtime = this.runtime(spec.distribution);
    await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
    try {
      await runtime.deploy(spec, folder, signal);
      await this.configure(spec);
    } finally {
      // Server software just landed in the folder.
      this.storage.forget(spec.serverId);
    }
  }

  async configure(spec: ServerSpec): Promise<void> {
    const folder = this.folder(spec.serverId);
    await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
    await this.runtime(spec.distribution).configure(spec, folder);
    await this.specs.save(spec);
  }

  async start(spec: ServerSpec, options: StartOptions): Promise<ProcessInfo> {
    this.assertOpen();
    const folder = this.folder(spec.serverId);
    const runtime = this.runtime(spec.distribution);
    // An adopted process killed a moment ago (another replica saw it crash) is not "already running".
    await this.processes.get(spec.serverId)?.settleIfGone();
    if (this.starting.has(spec.serverId) || this.processes.get(spec.serverId)?.alive) {
      throw new DomainError('INVALID_TRANSITION', 'A process for this server is already running', {
        serverId: spec.serverId,
      });
    }
    this.starting.add(spec.serverId);
    try {
      if (await aliveOnDisk(folder)) {
        throw new DomainError('INVALID_TRANSITION', 'A process for this server is running: adopt it first', {
          serverId: spec.serverId,
        });
      }
      await mkdir(folder.stateDir, { recursive: true, mode: 0o700 });
      const plan = await launchInGroup(
        this.limits,
        spec,
        options.generation,
        await this.sandbox.wrap(await runtime.launch(spec, folder, options), folder),
      );
      await this.specs.save(spec);
      await this.platformLine(
        folder,
        spec.serverId,
        'info',
        `Starting ${spec.distribution} ${spec.minecraftVersion} (generation ${options.generation})`,
      );

      await this.sandbox.handOver(folder);
      const { child, groupPid, pid } = await spawnGame(plan, folder);
      const proc = new ManagedProcess(
        spec.serverId,
        folder,
        options.generation,
        pid,
        new Date(),
        (e) => this.events.emit(e),
        child,
      );
      proc.group = groupPid;
      proc.wrapped = plan.infoFd === true;
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
    const proc = await this.processes.attached(serverId);
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
    const proc = await this.processes.attached(serverId);
    if (!proc?.alive) return this.processes.killUnattached(serverId, 'SIGTERM', options.timeoutMs);
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
    const proc = this.processes.get(serverId) ?? (await this.processes.attached(serverId, 1_500));
    if (!proc?.alive) return this.processes.killUnattached(serverId, 'SIGKILL', 5_000);
    proc.signal('SIGKILL');
    return proc.exited;
  }

  /** SIGSTOP / SIGCONT to the process group (the launcher and anything it started). */
  async pause(serverId: string, paused: boolean): Promise<void> {
    const seen = await this.inspect(serverId);
    if (seen.state !== 'alive')
      throw new DomainError('SERVER_NOT_RUNNING', 'The server has no live process.', { serverId });
    try {
      // The whole group: in a sandbox the bubblewrap wrapper leads it and the game is not its leader.
      process.kill(-safeGroupOf(seen.pid), paused ? 'SIGSTOP' : 'SIGCONT');
    } catch {
      throw new DomainError('SERVER_NOT_RUNNING', 'The server has no live process.', { serverId });
    }
  }

  inspect(serverId: string): Promise<ProcessObservation> {
    return this.processes.inspect(serverId);
  }

  async adopt(
    serverIds: readonly string[],
    options: AdoptOptions = {},
  ): Promise<Map<string, ProcessObservation>> {
    this.assertOpen();
    return this.processes.adopt(serverIds, options);
  }

  async ping(serverId: string, timeoutMs = 5_000): Promise<PingResult> {
    const spec = await this.specs.load(serverId);
    if (!spec) throw new DomainError('SERVER_NOT_FOUND', undefined, { serverId });
    return pingServer(spec, timeoutMs);
  }

  /** The launcher or supervisor says so on its console (flying-squid after its plugins, Java at `Done`). */
  async ready(serverId: string): Promise<boolean> {
    const proc = await this.processes.attached(serverId);
    if (!proc?.alive) return false;
    await proc.attachment.catch(() => false); // a process this driver spawned attaches in the background
    const console = proc.console;
    if (!console) return false;
    return console.ready().catch(() => false);
  }

  async players(serverId: string): Promise<LivePlayer[] | null> {
    const proc = this.processes.get(serverId);
    if (!proc?.alive || !proc.console) return null;
    return proc.console.players().catch(() => null);
  }

  async stats(serverId: string): Promise<ProcessStats | null> {
    const proc = this.processes.get(serverId);
    if (!proc?.alive) return null;
    return this.sampler.stats(proc, () => this.storage.used(serverId));
  }

  storageUsed(serverId: string, options: { fresh?: boolean } = {}): Promise<number> {
    return this.storage.used(serverId, options.fresh ?? false);
  }

  storageChanged(serverId: string): void {
    this.storage.forget(serverId);
  }

  onEvent(listener: (event: RuntimeEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  readLogs(serverId: string, query: LogQuery): Promise<LogPage> {
    return this.logReads.run(() => readLogs(this.folder(serverId).logsDir, query));
  }

  workspace(serverId: string): WorkspacePaths {
    const folder = this.folder(serverId);
    // Fabric loads mods from mods/; every other distribution (flying-squid included) uses plugins/.
    const pluginsDir =
      this.specs.distribution(serverId) === 'fabric' ? path.join(folder.root, 'mods') : folder.pluginsDir;
    return { root: folder.root, pluginsDir, backupExcludes: [...BACKUP_EXCLUDES] };
  }

  async remove(serverId: string): Promise<void> {
    const folder = this.folder(serverId);
    const proc = this.processes.get(serverId);
    if (proc?.alive) await this.kill(serverId);
    else {
      const file = await readProcessFile(folder);
      if (file && isAlive(file.pid) && (await isOurLauncher(folder, file.pid))) {
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
    this.specs.forget(serverId);
    this.sampler.forget(serverId);
    await rm(folder.root, { recursive: true, force: true });
    // After the folder is gone: a measurement taken meanwhile must not outlive the server.
    this.storage.forget(serverId);
  }

  close(): Promise<void> {
    this.events.close();
    this.processes.detachAll();
    return Promise.resolve();
  }

  /** Puts a process's end into its console log (and the console stream) before the exit is reported. */
  private async recordExit(serverId: string, exit: ExitInfo): Promise<void> {
    if (this.events.closed) return;
    await releaseGroup(this.limits, serverId, exit, (id) => this.specs.load(id)).catch(() => {});
    const line = exitLine(exit);
    const folder = this.folder(serverId);
    if (existsSync(folder.stateDir)) await appendLogLine(folder.logsDir, line).catch(() => {});
    this.events.deliver({ type: 'console', serverId, line });
  }

  /** A line from Minefleet itself into the server's console log (through the process while it runs). */
  private platformLine(
    folder: ServerFolder,
    serverId: string,
    level: ConsoleLine['level'],
    message: string,
  ): Promise<void> {
    return this.events.platformLine(folder, serverId, this.processes.get(serverId)?.console, level, message);
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
    if (this.events.closed) throw new DomainError('SHUTTING_DOWN', 'This driver was closed');
  }
}
