import type { ProcessStats } from '@minefleet/domain/ports/runtime-driver';
import type { ManagedProcess } from './managed-process.js';
import { cpuPercent, processGroups, sampleUsage, type UsageSample } from './proc.js';

const CPU_SAMPLE_MS = 250;
/** One scan of /proc serves every server's stats for this long (a collector asks for all at once). */
const GROUP_SCAN_TTL_MS = 1_000;

/**
 * CPU and memory of game processes (their whole process group) from /proc. CPU is the share between
 * this sample and the server's previous one; the first sample of a server waits a moment for a second.
 */
export class ProcessSampler {
  private readonly cpuSamples = new Map<string, UsageSample & { pid: number }>();
  private groupScan: { at: number; groups: Promise<Map<number, number[]>> } | undefined;

  /** `diskBytes` is asked once the CPU sample is taken, beside the game's own tick figures. */
  async stats(proc: ManagedProcess, diskBytes: () => Promise<number>): Promise<ProcessStats> {
    const { serverId } = proc;
    const pids = [...((await this.groups()).get(proc.group) ?? [])];
    if (!pids.includes(proc.pid)) pids.push(proc.pid);
    let before = this.cpuSamples.get(serverId);
    if (!before || before.pid !== proc.pid || Date.now() - before.at > 60_000) {
      before = { ...(await sampleUsage(pids)), pid: proc.pid };
      await new Promise((resolve) => setTimeout(resolve, CPU_SAMPLE_MS));
    }
    const after = await sampleUsage(pids);
    this.cpuSamples.set(serverId, { ...after, pid: proc.pid });
    const [disk, ticks] = await Promise.all([
      diskBytes(),
      proc.console?.stats().catch(() => ({})) ?? Promise.resolve({}),
    ]);
    return {
      cpuPercent: cpuPercent(before, after),
      memoryBytes: after.rssBytes,
      diskBytes: disk,
      uptimeSeconds: Math.max(0, Math.round((Date.now() - proc.startedAt.getTime()) / 1000)),
      ...ticks,
    };
  }

  forget(serverId: string): void {
    this.cpuSamples.delete(serverId);
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
}
