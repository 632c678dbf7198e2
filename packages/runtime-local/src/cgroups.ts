import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * How the plan's CPU and memory (and a process count) are enforced on this host:
 * - `cgroup-v2`: a group per server under a subtree where cpu, memory and pids are enabled;
 * - `cgroup-v1`: a group per server in the writable memory, cpu (and cpuacct, pids) hierarchies;
 * - `none`: nothing enforces them (the heap flags only bound the game's heap).
 */
export type LimitsLevel = 'cgroup-v2' | 'cgroup-v1' | 'none';

export type LimitsMode = 'auto' | 'off';

export interface ResourceLimits {
  level: LimitsLevel;
  /** Why this level (what the host lacks for enforcement). */
  reason: string;
  /** v2: the parent group. v1: the parent group in each controller's hierarchy. */
  parents?: Partial<Record<Controller, string>> | undefined;
}

type Controller = 'unified' | 'memory' | 'cpu' | 'cpuacct' | 'pids';

/** CFS period for the CPU quota (100 ms, the kernel's default). */
export const CPU_PERIOD_US = 100_000;
/** Processes and threads one server may have (a fork bomb stops there). */
export const PIDS_MAX = 4096;
const MB = 1024 * 1024;

/**
 * The memory a server's group may hold: the plan's memory plus room for what is not heap (the JVM's
 * metaspace, code cache and thread stacks, node's code and buffers): 25 % of the plan, at least 256 MB.
 * The heap itself is bounded lower than the plan (docs/runtime.md), so the group's limit is the line the
 * whole resident process must stay under.
 */
export function memoryLimitBytes(memoryMb: number): number {
  return Math.round(memoryMb + Math.max(256, memoryMb * 0.25)) * MB;
}

/** The CPU quota per period for a plan's millicores (1000 = one core). */
export function cpuQuotaUs(cpuMillicores: number): number {
  return Math.max(1000, Math.round((cpuMillicores * CPU_PERIOD_US) / 1000));
}

function tryWrite(file: string, value: string): boolean {
  try {
    writeFileSync(file, value);
    return true;
  } catch {
    return false;
  }
}

/** What this host allows: a cgroup v2 subtree, or v1 hierarchies, where we can make a group per server. */
export function detectLimits(mode: LimitsMode, root = '/sys/fs/cgroup', name = 'minefleet'): ResourceLimits {
  if (mode === 'off') return { level: 'none', reason: 'limits are turned off (MINEFLEET_LIMITS=off)' };
  if (existsSync(path.join(root, 'cgroup.controllers'))) {
    // v2: our own group's parent is where a sibling subtree can be made (the root when we run in it).
    const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
    const candidates = [root, path.join(root, path.dirname(own))];
    for (const base of [...new Set(candidates)]) {
      const parent = path.join(base, name);
      try {
        mkdirSync(parent, { recursive: true });
        tryWrite(path.join(base, 'cgroup.subtree_control'), '+cpu +memory +pids');
        writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+cpu +memory +pids');
        const enabled = readFileSync(path.join(parent, 'cgroup.subtree_control'), 'utf8');
        if (['cpu', 'memory', 'pids'].every((c) => enabled.split(/\s+/).includes(c)))
          return { level: 'cgroup-v2', reason: `groups under ${parent}`, parents: { unified: parent } };
      } catch {
        // not delegated to us: try the next
      }
    }
    return {
      level: 'none',
      reason: `cgroup v2 without a subtree this user can create groups in and enable cpu, memory and pids (${root})`,
    };
  }
  const parents: Partial<Record<Controller, string>> = {};
  for (const controller of ['memory', 'cpu', 'cpuacct', 'pids'] as const) {
    const hierarchy = path.join(root, controller);
    if (!existsSync(path.join(hierarchy, 'cgroup.procs'))) continue;
    const parent = path.join(hierarchy, name);
    try {
      mkdirSync(parent, { recursive: true });
      parents[controller] = parent;
    } catch {
      // not writable
    }
  }
  if (parents.memory && parents.cpu)
    return { level: 'cgroup-v1', reason: `groups under ${path.join(root, '{memory,cpu}', name)}`, parents };
  return {
    level: 'none',
    reason:
      process.getuid?.() === 0
        ? `no writable cgroup hierarchy for memory and cpu under ${root}`
        : 'the control plane is not root, and no delegated cgroup subtree was found',
  };
}

export interface GroupLimits {
  memoryMb: number;
  cpuMillicores: number;
}

/**
 * One launch's control group (a directory per hierarchy in v1, one in v2), named after the server and
 * the launch's generation: the group of a process that ended is emptied and removed while the server
 * may already be starting again (the exit is recorded by whichever replica sees it first), and a group
 * shared between the two launches had that removal kill the new process or delete the folder it was
 * joining.
 */
export class ServerCgroup {
  constructor(
    readonly limits: ResourceLimits,
    readonly serverId: string,
    readonly generation?: number,
  ) {}

  /** The group of the server's newest launch that still exists (undefined: none). */
  static async latest(limits: ResourceLimits, serverId: string): Promise<ServerCgroup | undefined> {
    const parent = Object.values(limits.parents ?? {}).find(Boolean);
    if (!parent) return undefined;
    const prefix = `${serverId}.g`;
    const generations = (await readdir(parent).catch(() => [] as string[]))
      .filter((name) => name.startsWith(prefix) && /^\d+$/.test(name.slice(prefix.length)))
      .map((name) => Number(name.slice(prefix.length)));
    return generations.length > 0 ? new ServerCgroup(limits, serverId, Math.max(...generations)) : undefined;
  }

  private get name(): string {
    return this.generation === undefined ? this.serverId : `${this.serverId}.g${this.generation}`;
  }

  private dir(controller: Controller): string | undefined {
    const parent = this.limits.parents?.[controller];
    return parent ? path.join(parent, this.name) : undefined;
  }

  /**
   * Removes the server's groups of earlier launches that are empty (their removal never ran: the control
   * plane that watched them died). One that still holds a process is left alone (rmdir refuses it).
   */
  async sweepEarlier(): Promise<void> {
    const parents = new Set(Object.values(this.limits.parents ?? {}).filter((p): p is string => !!p));
    for (const parent of parents) {
      const names = await readdir(parent).catch(() => [] as string[]);
      for (const name of names) {
        if (name === this.name) continue;
        if (name !== this.serverId && !name.startsWith(`${this.serverId}.g`)) continue;
        await rmdir(path.join(parent, name)).catch(() => {});
      }
    }
  }

  private get dirs(): string[] {
    return (['unified', 'memory', 'cpu', 'cpuacct', 'pids'] as const)
      .map((c) => this.dir(c))
      .filter((d): d is string => d !== undefined);
  }

  /** Makes the group (or reuses a leftover one) and writes the plan's limits. */
  async create(plan: GroupLimits): Promise<void> {
    const memory = String(memoryLimitBytes(plan.memoryMb));
    const cpu = cpuQuotaUs(plan.cpuMillicores);
    for (const dir of this.dirs) mkdirSync(dir, { recursive: true });
    const v2 = this.dir('unified');
    if (v2) {
      await writeFile(path.join(v2, 'memory.max'), memory);
      await writeFile(path.join(v2, 'memory.swap.max'), '0').catch(() => {});
      await writeFile(path.join(v2, 'cpu.max'), `${cpu} ${CPU_PERIOD_US}`);
      await writeFile(path.join(v2, 'pids.max'), String(PIDS_MAX));
      return;
    }
    const mem = this.dir('memory')!;
    const current = Number((await readFile(path.join(mem, 'memory.limit_in_bytes'), 'utf8')).trim());
    const memsw = path.join(mem, 'memory.memsw.limit_in_bytes');
    // memsw must stay ≥ the memory limit: raise it first when the limit goes up, lower it after.
    if (existsSync(memsw) && Number(memory) > current) await writeFile(memsw, memory).catch(() => {});
    await writeFile(path.join(mem, 'memory.limit_in_bytes'), memory);
    if (existsSync(memsw)) await writeFile(memsw, memory).catch(() => {});
    const cpuDir = this.dir('cpu')!;
    await writeFile(path.join(cpuDir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
    await writeFile(path.join(cpuDir, 'cpu.cfs_quota_us'), String(cpu));
    const pids = this.dir('pids');
    if (pids) await writeFile(path.join(pids, 'pids.max'), String(PIDS_MAX));
  }

  /** The cgroup.procs files the launch stub writes its own pid to before it runs the game. */
  get procsFiles(): string[] {
    return this.dirs.map((d) => path.join(d, 'cgroup.procs'));
  }

  /**
   * The launch wrapped so the process joins the group before it becomes the game: a fixed `sh` stub (no
   * interpolation: paths and the command are positional arguments) writes its own pid into each
   * cgroup.procs file and then execs the command, so everything it starts is inside from the first
   * instruction. It keeps its pid, so it still leads the process group.
   */
  wrap(command: string, args: string[]): { command: string; args: string[] } {
    const stub = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';
    return {
      command: '/bin/sh',
      args: ['-c', stub, 'minefleet-cgroup', ...this.procsFiles, '--', command, ...args],
    };
  }

  /** Times the kernel's OOM killer fired in the group. */
  async oomKills(): Promise<number> {
    const v2 = this.dir('unified');
    const file = v2 ? path.join(v2, 'memory.events') : path.join(this.dir('memory')!, 'memory.oom_control');
    const text = await readFile(file, 'utf8').catch(() => '');
    return Number(/^oom_kill (\d+)/m.exec(text)?.[1] ?? 0);
  }

  /** CPU time the group used, in microseconds (undefined when no accounting is available). */
  async cpuUsageUs(): Promise<number | undefined> {
    const v2 = this.dir('unified');
    if (v2) {
      const text = await readFile(path.join(v2, 'cpu.stat'), 'utf8').catch(() => '');
      const usage = /^usage_usec (\d+)/m.exec(text)?.[1];
      return usage === undefined ? undefined : Number(usage);
    }
    const acct = this.dir('cpuacct');
    if (!acct) return undefined;
    const ns = await readFile(path.join(acct, 'cpuacct.usage'), 'utf8').catch(() => '');
    return ns.trim() === '' ? undefined : Number(ns.trim()) / 1000;
  }

  /** Periods in which the group hit its CPU quota and was held back (cpu.stat `nr_throttled`). */
  async throttledPeriods(): Promise<number> {
    const dir = this.dir('unified') ?? this.dir('cpu');
    const text = dir ? await readFile(path.join(dir, 'cpu.stat'), 'utf8').catch(() => '') : '';
    return Number(/^nr_throttled (\d+)/m.exec(text)?.[1] ?? 0);
  }

  /** Pids in the group (the memory hierarchy in v1). */
  async pids(): Promise<number[]> {
    const dir = this.dir('unified') ?? this.dir('memory');
    if (!dir) return [];
    const text = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((n) => Number.isInteger(n) && n > 0);
  }

  /**
   * Removes the group after the server's process ended: anything still in it (a process that left the
   * process group) is killed first, then each directory is removed (retried while the kernel reaps).
   */
  async remove(): Promise<void> {
    for (let attempt = 0; attempt < 50; attempt++) {
      for (const pid of await this.pids()) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      let left = false;
      for (const dir of this.dirs) {
        if (!existsSync(dir)) continue;
        await rmdir(dir).catch(() => (left = true));
      }
      if (!left) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Synchronous best-effort removal (tests' clean-up). */
  removeSync(): void {
    for (const dir of this.dirs) {
      try {
        rmdirSync(dir);
      } catch {
        // busy or gone
      }
    }
  }
}
