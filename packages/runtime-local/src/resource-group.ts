import { DomainError } from '@minefleet/domain/errors';
import type { ExitInfo, ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { memoryLimitBytes, ServerCgroup, type ResourceLimits } from './cgroups.js';
import type { LaunchPlan } from './distribution-runtime.js';

/**
 * The plan run inside a control group of this launch (made now, with the plan's limits): the process
 * joins it before it execs the launch, so it and everything it starts are held to the plan.
 */
export async function launchInGroup(
  limits: ResourceLimits,
  spec: ServerSpec,
  generation: number,
  plan: LaunchPlan,
): Promise<LaunchPlan> {
  if (limits.level === 'none') return plan;
  const group = new ServerCgroup(limits, spec.serverId, generation);
  try {
    await group.sweepEarlier();
    await group.create({ memoryMb: spec.memoryMb, cpuMillicores: spec.cpuMillicores });
  } catch (error) {
    throw new DomainError(
      'RUNTIME_UNAVAILABLE',
      `Cannot create the server's control group: ${(error as Error).message}`,
      { serverId: spec.serverId },
    );
  }
  return { ...plan, ...group.wrap(plan.command, plan.args) };
}

/** After a process ended: why, when its launch's group saw an OOM kill (set on `exit`), and that group removed. */
export async function releaseGroup(
  limits: ResourceLimits,
  serverId: string,
  exit: ExitInfo,
  loadSpec: (serverId: string) => Promise<ServerSpec | null>,
): Promise<void> {
  if (limits.level === 'none') return;
  const group = new ServerCgroup(limits, serverId, exit.generation);
  if ((await group.oomKills()) > 0) {
    const spec = await loadSpec(serverId);
    const limit = spec
      ? ` (${memoryLimitBytes(spec.memoryMb) / 1024 / 1024} MB: the plan's ${spec.memoryMb} MB plus room for non-heap memory)`
      : '';
    exit.reason = `was killed by the kernel for exceeding its memory limit${limit}`;
  }
  await group.remove();
}
