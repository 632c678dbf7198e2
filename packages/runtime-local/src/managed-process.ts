import os from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ConsoleLine, ExitInfo, RuntimeEvent } from '@minefleet/domain/ports/runtime-driver';
import { ConsoleConnection, socketAddress } from './console-connection.js';
import { isAlive } from './proc.js';
import type { ServerFolder } from './server-folder.js';
import { writeJsonAtomic } from './atomic-file.js';

const DEATH_POLL_MS = 100;
const RECONNECT_MS = 500;

/**
 * One game process as this driver sees it: either spawned by it (a ChildProcess, whose exit code the
 * kernel reports to us) or adopted from an earlier control plane (not our child: its end is seen as its
 * console socket closing and its pid disappearing, and its exit code comes from the exit.json it wrote).
 */
export class ManagedProcess {
  exit: ExitInfo | null = null;
  /** Runs before the exit is reported (the driver records the exit in the console log first). */
  beforeExit: ((exit: ExitInfo) => Promise<void>) | undefined;
  /** Settles once the console is attached (true) or given up on (false). */
  attachment: Promise<boolean> = Promise.resolve(false);
  readonly exited: Promise<ExitInfo>;
  private resolveExit!: (exit: ExitInfo) => void;
  private connection: ConsoleConnection | null = null;
  private detached = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly serverId: string,
    readonly folder: ServerFolder,
    readonly generation: number,
    readonly pid: number,
    readonly startedAt: Date,
    private readonly emit: (event: RuntimeEvent) => void,
    private readonly child?: ChildProcess,
  ) {
    this.group = pid;
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    child?.once('exit', (code, signal) => {
      // A sandbox wrapper reports its child's death by signal n as exit code 128 + n.
      const name =
        this.wrapped && signal === null && code !== null && code > 128
          ? (Object.entries(os.constants.signals).find(([, n]) => n === code - 128)?.[0] as
              NodeJS.Signals | undefined)
          : undefined;
      void (name ? this.finish(null, name) : this.finish(code, signal));
    });
  }

  get alive(): boolean {
    return this.exit === null;
  }

  /**
   * An adopted process's end is otherwise seen at the next poll of its pid: when its pid is gone now,
   * its exit is recorded (and reported) at once. A child's end comes from the kernel and is left to it.
   */
  async settleIfGone(): Promise<void> {
    if (this.exit === null && !this.child && !isAlive(this.pid)) await this.finish(null, null);
  }

  get console(): ConsoleConnection | null {
    return this.connection && !this.connection.isClosed ? this.connection : null;
  }

  /** Connects to the console socket, checks it is this process, and streams its lines as events. */
  async attach(timeoutMs: number, replay = false): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const address = socketAddress(this.folder.socket, this.folder.root, this.pid);
    while (!this.detached && this.exit === null) {
      try {
        const conn = await ConsoleConnection.connect(address, Math.max(100, deadline - Date.now()));
        const hello = await conn.hello();
        if (
          hello.serverId !== this.serverId ||
          hello.pid !== this.pid ||
          hello.generation !== this.generation
        ) {
          conn.close();
          return false;
        }
        await conn.subscribe((line) => this.emitLine(line), replay);
        this.connection = conn;
        conn.onClose(() => this.onConsoleClosed());
        return true;
      } catch {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    return false;
  }

  /** Stops observing without touching the process (it can be adopted again). */
  detach(): void {
    this.detached = true;
    if (this.timer) clearTimeout(this.timer);
    this.child?.removeAllListeners('exit');
    this.child?.unref();
    this.connection?.close();
  }

  /**
   * The process group: the spawned pid (which leads it), or for an adopted process the group its launcher
   * recorded (in a sandbox the launcher runs under bubblewrap, which leads the group).
   */
  group: number;

  /** Spawned through a sandbox wrapper (its exit code stands for the launcher's). */
  wrapped = false;

  /** Signals the whole process group (the launcher or supervisor and anything it started). */
  signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.group, signal);
    } catch {
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  private emitLine(line: ConsoleLine): void {
    if (!this.detached) this.emit({ type: 'console', serverId: this.serverId, line });
  }

  private onConsoleClosed(): void {
    if (this.detached || this.exit !== null || this.child) return; // a child reports its own exit
    this.watchAdopted();
  }

  /** An adopted process: wait for its pid to go; if it lives on, the console dropped: reconnect. */
  private watchAdopted(): void {
    const started = Date.now();
    const tick = async (): Promise<void> => {
      if (this.detached || this.exit !== null) return;
      if (!isAlive(this.pid)) {
        await this.finish(null, null);
        return;
      }
      if (Date.now() - started > RECONNECT_MS && (await this.attach(RECONNECT_MS))) return;
      this.timer = setTimeout(() => void tick(), DEATH_POLL_MS);
    };
    this.timer = setTimeout(() => void tick(), DEATH_POLL_MS);
  }

  private async finish(code: number | null, signal: string | null): Promise<void> {
    if (this.exit !== null || this.detached) return;
    // The process's own exit.json knows the code when we are not its parent.
    let info: ExitInfo = { code, signal, at: new Date(), generation: this.generation };
    interface ExitFile {
      code: number | null;
      signal: string | null;
      at: string;
      generation: number;
      pid: number;
    }
    let written: ExitFile | null;
    try {
      written = JSON.parse(await readFile(this.folder.exitFile, 'utf8')) as ExitFile;
    } catch {
      written = null;
    }
    if (written && written.generation === this.generation && written.pid === this.pid) {
      if (!this.child) {
        info = {
          code: written.code,
          signal: written.signal,
          at: new Date(written.at),
          generation: this.generation,
        };
      }
    } else {
      // No last words (killed, or crashed hard): record what we saw, so a later control plane knows too.
      // (Not into a folder that remove() has just deleted: writing would bring it back.)
      if (existsSync(this.folder.stateDir))
        await writeJsonAtomic(
          this.folder.exitFile,
          { ...info, at: info.at.toISOString(), pid: this.pid },
          0o600,
        ).catch(() => {});
    }
    if (this.exit !== null || this.detached) return;
    this.exit = info;
    await this.beforeExit?.(info).catch(() => {});
    this.connection?.close();
    this.resolveExit(info);
    this.emit({ type: 'exit', serverId: this.serverId, exit: info });
  }
}
