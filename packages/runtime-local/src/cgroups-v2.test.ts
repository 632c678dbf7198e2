import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CPU_PERIOD_US,
  detectLimits,
  memoryLimitBytes,
  PIDS_MAX,
  ServerCgroup,
  type ResourceLimits,
} from './cgroups.js';

/**
 * The cgroup v2 side of the plan limits, on a tree laid out as the kernel's cgroup2 filesystem is
 * (as the kernel documents it: cgroup.controllers, cgroup.subtree_control, memory.max,
 * cpu.max "$MAX $PERIOD", pids.max, cpu.stat, memory.events). This host mounts cgroup v1, so the kernel's
 * enforcement of these files is shown by cgroups.test.ts and the plan-limits e2e test through v1; this
 * test pins what Minefleet writes and reads on a v2 host: the same plan, the same limits.
 */
describe('plan limits on a cgroup v2 tree', () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  /** What detectLimits answers on a v2 host that delegated a subtree (see the last test for a refusal). */
  function delegated(root: string): ResourceLimits {
    const parent = path.join(root, 'minefleet');
    mkdirSync(parent);
    writeFileSync(path.join(parent, 'cgroup.subtree_control'), 'cpu memory pids\n');
    return { level: 'cgroup-v2', reason: `groups under ${parent}`, parents: { unified: parent } };
  }

  function v2Tree(): string {
    const root = mkdtempSync(path.join(os.tmpdir(), 'minefleet-cgroup2-'));
    roots.push(root);
    writeFileSync(path.join(root, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n');
    writeFileSync(path.join(root, 'cgroup.subtree_control'), '');
    return root;
  }

  it('writes the plan as memory.max, cpu.max, pids.max and no swap', async () => {
    const limits = delegated(v2Tree());
    const group = new ServerCgroup(limits, 'server-1');
    await group.create({ memoryMb: 1024, cpuMillicores: 1500 });
    const dir = path.join(limits.parents!.unified!, 'server-1');
    const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');
    expect(read('memory.max')).toBe(String(memoryLimitBytes(1024)));
    expect(read('memory.swap.max')).toBe('0');
    expect(read('cpu.max')).toBe(`150000 ${CPU_PERIOD_US}`);
    expect(read('pids.max')).toBe(String(PIDS_MAX));
    // The launch stub joins the process to this group before it becomes the game.
    expect(group.procsFiles).toEqual([path.join(dir, 'cgroup.procs')]);
  });

  it('reads CPU use, throttling, OOM kills and members from the v2 files', async () => {
    const limits = delegated(v2Tree());
    const group = new ServerCgroup(limits, 'server-2');
    await group.create({ memoryMb: 256, cpuMillicores: 100 });
    const dir = path.join(limits.parents!.unified!, 'server-2');
    writeFileSync(
      path.join(dir, 'cpu.stat'),
      'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\nnr_periods 40\nnr_throttled 31\nthrottled_usec 900000\n',
    );
    writeFileSync(
      path.join(dir, 'memory.events'),
      'low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n',
    );
    writeFileSync(path.join(dir, 'cgroup.procs'), '4242\n4243\n');
    expect(await group.cpuUsageUs()).toBe(2_500_000);
    expect(await group.throttledPeriods()).toBe(31);
    expect(await group.oomKills()).toBe(1);
    expect(await group.pids()).toEqual([4242, 4243]);
  });

  it('refuses a v2 subtree whose controllers do not come up enabled, and says why', () => {
    // A plain file echoes what was written ("+cpu +memory +pids"); the kernel answers with the enabled
    // controllers' names ("cpu memory pids"), and only then is the subtree used.
    const root = v2Tree();
    const limits = detectLimits('auto', root, 'minefleet');
    expect(limits.level).toBe('none');
    expect(limits.reason).toContain('cgroup v2 without a subtree');
    expect(limits.reason).toContain(root);
  });
});
