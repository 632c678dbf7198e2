import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuQuotaUs, detectLimits, memoryLimitBytes, ServerCgroup } from './cgroups.js';

const limits = detectLimits('auto');
const enforced = limits.level !== 'none';
if (!enforced) {
  console.warn(`\n*** SKIPPING control-group tests: no cgroups here (${limits.reason}). Run as root. ***\n`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('plan limits in control groups', () => {
  const groups: ServerCgroup[] = [];
  const children: number[] = [];
  afterEach(async () => {
    for (const pid of children.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const group of groups.splice(0)) await group.remove();
  });

  /** Spawns `node -e <script>` (as `copies` processes under one sh) inside a fresh server group. */
  async function runInGroup(plan: { memoryMb: number; cpuMillicores: number }, script: string, copies = 1) {
    const group = new ServerCgroup(limits, randomUUID());
    groups.push(group);
    await group.create(plan);
    const node = process.execPath;
    const inner = Array.from({ length: copies }, () => `"$0" -e "$1" &`).join(' ') + ' wait';
    const launch = group.wrap('/bin/sh', ['-c', inner, node, script]);
    const child = spawn(launch.command, launch.args, { detached: true, stdio: 'ignore' });
    await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
    children.push(child.pid!);
    const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { group, child, exited };
  }

  it('reports the level the host allows', () => {
    expect(['cgroup-v2', 'cgroup-v1', 'none']).toContain(limits.level);
    expect(limits.reason.length).toBeGreaterThan(0);
    expect(memoryLimitBytes(1024)).toBe(1280 * 1024 * 1024);
    expect(memoryLimitBytes(4096)).toBe(5120 * 1024 * 1024);
    expect(cpuQuotaUs(1500)).toBe(150_000);
  });

  it.skipIf(!enforced)(
    `holds CPU burners (a process and its children) to the plan’s quota${enforced ? '' : ' (skipped: no control groups here)'}`,
    async () => {
      // Two busy loops under a tenth of a core: the whole group, children included, gets ≤ 0.1 s/s.
      const { group, child } = await runInGroup({ memoryMb: 256, cpuMillicores: 100 }, 'for(;;){}', 2);
      await sleep(800);
      const pids = await group.pids();
      expect(pids).toContain(child.pid);
      expect(pids.length).toBeGreaterThanOrEqual(3); // sh and both burners
      const before = await group.cpuUsageUs();
      const t0 = performance.now();
      await sleep(2_000);
      const after = await group.cpuUsageUs();
      const seconds = (performance.now() - t0) / 1000;
      expect(before).toBeDefined();
      const used = (after! - before!) / 1e6;
      const throttled = await group.throttledPeriods();
      console.log(
        `cpu: ${used.toFixed(3)} s of CPU in ${seconds.toFixed(2)} s under a 0.1-core quota, throttled in ${throttled} periods`,
      );
      // The quota plus a period of slack at each end; and the kernel says it held the group back.
      expect(used).toBeLessThanOrEqual(0.1 * seconds + 0.03);
      expect(used).toBeGreaterThan(0.02); // it did run
      expect(throttled).toBeGreaterThan(5);
    },
    20_000,
  );

  it.skipIf(!enforced)(
    `OOM-kills a memory hog at the group’s limit, not the host${enforced ? '' : ' (skipped: no control groups here)'}`,
    async () => {
      // 64 MB plan → a 320 MB group; the hog touches 32 MB buffers (outside any heap flag) up to 2 GB.
      const hog =
        'const keep=[];for(let i=0;i<64;i++){keep.push(Buffer.alloc(32*1024*1024,1));}console.log("survived")';
      const { group, exited } = await runInGroup({ memoryMb: 64, cpuMillicores: 1000 }, `${hog}`);
      await exited;
      // sh waits for the hog; the hog was killed by the kernel inside the group.
      expect(await group.oomKills()).toBeGreaterThan(0);
      expect(await group.pids()).toEqual([]);
      expect(process.memoryUsage().rss).toBeLessThan(2 * 1024 ** 3);
    },
    30_000,
  );

  it.skipIf(!enforced)(
    `a launch's group is its own: removing the last launch's group leaves the next launch's process running${enforced ? '' : ' (skipped: no control groups here)'}`,
    async () => {
      const serverId = randomUUID();
      const launch = async (generation: number) => {
        const group = new ServerCgroup(limits, serverId, generation);
        groups.push(group);
        await group.sweepEarlier();
        await group.create({ memoryMb: 256, cpuMillicores: 1000 });
        const { command, args } = group.wrap('/bin/sh', ['-c', 'sleep 30']);
        const child = spawn(command, args, { detached: true, stdio: 'ignore' });
        await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
        children.push(child.pid!);
        for (let i = 0; i < 50 && !(await group.pids()).includes(child.pid!); i++) await sleep(20);
        return { group, child };
      };
      const first = await launch(1);
      process.kill(-first.child.pid!, 'SIGKILL');
      // The server starts again while the first launch's group is still being emptied and removed.
      const second = await launch(2);
      await first.group.remove();
      await sleep(200);
      expect(second.child.exitCode).toBeNull();
      expect(second.child.signalCode).toBeNull();
      expect(await second.group.pids()).toContain(second.child.pid);
      expect((await ServerCgroup.latest(limits, serverId))?.generation).toBe(2);
      // A later launch sweeps the empty groups of earlier ones (left when no one removed them).
      process.kill(-second.child.pid!, 'SIGKILL');
      await new Promise((resolve) => second.child.once('exit', resolve));
      for (let i = 0; i < 50 && (await second.group.pids()).length > 0; i++) await sleep(20);
      const third = await launch(3);
      const parent = Object.values(limits.parents ?? {}).find(Boolean)!;
      const left = (await readdir(parent)).filter((n) => n.startsWith(serverId));
      expect(left).toEqual([`${serverId}.g3`]);
      process.kill(-third.child.pid!, 'SIGKILL');
    },
    20_000,
  );
});
