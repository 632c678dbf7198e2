import type {
  AdoptOptions,
  ExitInfo,
  ProcessObservation,
  RuntimeEvent,
} from '@minefleet/domain/ports/runtime-driver';
import { writeJsonAtomic } from './atomic-file.js';
import { ManagedProcess } from './managed-process.js';
import {
  aliveOnDisk,
  isOurLauncher,
  readExitFile,
  readProcessFile,
  safeGroupOf,
  type ProcessFile,
} from './process-files.js';
import { isAlive } from './proc.js';
import type { ServerFolder } from './server-folder.js';

/** How long an on-demand attachment waits for a console that may still be loading. */
const ON_DEMAND_ATTACH_MS = 10_000;

export interface ProcessTableDeps {
  folderOf(serverId: string): ServerFolder;
  /** Console lines and exits of attached processes. */
  emit(event: RuntimeEvent): void;
  /** Runs before a process's exit is reported (the driver records it in the console log). */
  beforeExit(serverId: string, exit: ExitInfo): Promise<void>;
  /** Reads the server's spec once its process is attached (pings need it). */
  loadSpec(serverId: string): Promise<unknown>;
  /** A line from Minefleet into the server's console log. */
  platformLine(folder: ServerFolder, serverId: string, level: 'warn', message: string): Promise<void>;
  closed(): boolean;
}

/**
 * The game processes this driver is attached to, and how it finds the others: by the process file in
 * each server's folder, attaching to their console on demand (another replica's, or one that outlived a
 * control plane) or when adopting them after a restart.
 */
export class ProcessTable {
  private readonly processes = new Map<string, ManagedProcess>();

  constructor(private readonly deps: ProcessTableDeps) {}

  get(serverId: string): ManagedProcess | undefined {
    return this.processes.get(serverId);
  }

  set(serverId: string, proc: ManagedProcess): void {
    this.processes.set(serverId, proc);
  }

  delete(serverId: string): void {
    this.processes.delete(serverId);
  }

  /** Detaches from every process without stopping it. */
  detachAll(): void {
    for (const proc of this.processes.values()) proc.detach();
    this.processes.clear();
  }

  /** A handle on a game process found by its process file (not started by this driver), not yet attached. */
  processOf(serverId: string, folder: ServerFolder, file: ProcessFile): ManagedProcess {
    const proc = new ManagedProcess(
      serverId,
      folder,
      file.generation,
      file.pid,
      new Date(file.startedAt),
      (e) => this.deps.emit(e),
    );
    proc.group = safeGroupOf(file.pid);
    proc.beforeExit = (exit) => this.deps.beforeExit(serverId, exit);
    return proc;
  }

  /**
   * The attached process of a server, attaching on demand to one this driver did not start (another
   * replica's, or one that outlived a control plane): its console may still be loading, so this waits for
   * it and never kills. Undefined when no process of the server is alive or it did not answer.
   */
  async attached(serverId: string, timeoutMs = ON_DEMAND_ATTACH_MS): Promise<ManagedProcess | undefined> {
    const current = this.processes.get(serverId);
    if (current?.alive || this.deps.closed()) return current;
    const folder = this.deps.folderOf(serverId);
    const file = await aliveOnDisk(folder);
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
    await this.deps.loadSpec(serverId);
    return proc;
  }

  /**
   * Ends a live process of the server whose console cannot be reached (not answering, or another
   * replica's and still loading) by signalling its process group, after checking the pid still runs this
   * server's launcher. SIGTERM makes every launcher flush and exit; SIGKILL follows after `timeoutMs`.
   */
  async killUnattached(
    serverId: string,
    signal: NodeJS.Signals,
    timeoutMs: number,
  ): Promise<ExitInfo | null> {
    const folder = this.deps.folderOf(serverId);
    const file = await aliveOnDisk(folder);
    if (!file) return null;
    const send = (s: NodeJS.Signals) => {
      try {
        process.kill(-safeGroupOf(file.pid), s);
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
    const folder = this.deps.folderOf(serverId);
    const onDisk = await aliveOnDisk(folder);
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

  async adopt(serverIds: readonly string[], options: AdoptOptions): Promise<Map<string, ProcessObservation>> {
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
    const folder = this.deps.folderOf(serverId);
    const file = await readProcessFile(folder);
    if (file && isAlive(file.pid)) {
      const proc = this.processOf(serverId, folder, file);
      if (await proc.attach(1_500)) {
        this.processes.set(serverId, proc);
        await this.deps.loadSpec(serverId);
        return { state: 'alive', pid: proc.pid, startedAt: proc.startedAt, generation: proc.generation };
      }
      proc.detach();
      // Alive but not answering. Another replica may have started it a moment ago (still loading): then
      // it is alive, just not ours to watch yet.
      if (!reap && isAlive(file.pid) && (await isOurLauncher(folder, file.pid))) {
        return {
          state: 'alive',
          pid: file.pid,
          startedAt: new Date(file.startedAt),
          generation: file.generation,
        };
      }
      // Not answering as this server. If it is still our launcher (same command line), it is a
      // process nobody can control any more: end it rather than leave an orphan holding the port.
      if (await isOurLauncher(folder, file.pid)) {
        try {
          process.kill(-safeGroupOf(file.pid), 'SIGKILL');
        } catch {
          // gone meanwhile
        }
        await this.deps.platformLine(
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
}
