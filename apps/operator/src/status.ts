import type { V1PersistentVolumeClaim, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type {
  Condition,
  ConditionType,
  MinecraftServer,
  MinecraftServerSpec,
  MinecraftServerStatus,
  Phase,
} from './crd/schema.js';
import { isMaintenancePod } from '@minefleet/runtime-kubernetes/resource';
import { CONFIG_HASH_ANNOTATION } from './builders/common.js';

/** A condition as the reconciler decides it; observedGeneration and lastTransitionTime are added by mergeConditions. */
export interface DesiredCondition {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** What the reconciler observed about one server's owned objects. */
export interface Observation {
  /** The checked spec, or the problems that made it invalid. */
  spec: MinecraftServerSpec | { problems: string[] };
  statefulSet?: V1StatefulSet;
  pod?: V1Pod;
  claim?: V1PersistentVolumeClaim;
  /** Hash of the settings the current ConfigMap holds. */
  configHash?: string;
  /** An error the last apply hit (the reconcile is retried). */
  applyError?: string;
}

export interface Observed {
  phase: Phase;
  conditions: DesiredCondition[];
  lastStartedAt?: string;
}

const podReady = (pod: V1Pod | undefined) =>
  pod?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

const crashLooping = (pod: V1Pod | undefined) =>
  pod?.status?.containerStatuses?.find((s) =>
    ['CrashLoopBackOff', 'ImagePullBackOff', 'ErrImagePull', 'CreateContainerConfigError'].includes(
      s.state?.waiting?.reason ?? '',
    ),
  )?.state?.waiting;

const condition = (
  type: ConditionType,
  status: boolean | 'Unknown',
  reason: string,
  message: string,
): DesiredCondition => ({
  type,
  status: status === 'Unknown' ? 'Unknown' : status ? 'True' : 'False',
  reason,
  message,
});

/** Phase and conditions from what is observed now (never from the event that triggered the reconcile). */
export function observe(o: Observation): Observed {
  if ('problems' in o.spec) {
    const message = o.spec.problems.join('; ');
    return {
      phase: 'Failed',
      conditions: [
        condition('Ready', false, 'InvalidSpec', message),
        condition('Progressing', false, 'InvalidSpec', 'Nothing is changed until the spec is valid.'),
        condition('Degraded', true, 'InvalidSpec', message),
        condition('StorageReady', 'Unknown', 'InvalidSpec', 'Not checked while the spec is invalid.'),
        condition('ConfigApplied', false, 'InvalidSpec', message),
      ],
    };
  }
  const spec = o.spec;
  const { pod, claim, statefulSet } = o;
  const podExists = pod !== undefined && !pod.metadata?.deletionTimestamp;
  const runningPods = statefulSet?.status?.replicas ?? 0;
  const bound = claim?.status?.phase === 'Bound';
  const storage = bound
    ? condition('StorageReady', true, 'Bound', `Volume claim ${claim?.metadata?.name} is bound.`)
    : claim
      ? condition(
          'StorageReady',
          false,
          'Pending',
          `Volume claim ${claim.metadata?.name} is waiting for a volume.`,
        )
      : condition('StorageReady', false, 'NotCreated', 'The volume claim is created with the first pod.');
  const podHash = pod?.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
  const config = !podExists
    ? condition(
        'ConfigApplied',
        true,
        'AppliesOnStart',
        'The settings are stored and apply when the server starts.',
      )
    : podHash === o.configHash
      ? condition('ConfigApplied', true, 'Applied', 'The running pod has the current settings.')
      : condition('ConfigApplied', false, 'Restarting', 'The pod is replaced to apply the new settings.');
  const waiting = crashLooping(pod);
  const degraded = o.applyError
    ? condition('Degraded', true, 'ApplyFailed', o.applyError)
    : waiting
      ? condition(
          'Degraded',
          true,
          waiting.reason ?? 'ContainerWaiting',
          waiting.message ?? 'The container does not start.',
        )
      : condition('Degraded', false, 'AsExpected', 'No problem observed.');

  let phase: Phase;
  let progressing: DesiredCondition;
  if (spec.state === 'Stopped') {
    const stopping = podExists || runningPods > 0 || pod !== undefined;
    phase = stopping ? 'Stopping' : 'Stopped';
    progressing = stopping
      ? condition('Progressing', true, 'Stopping', 'The server is saving the world and stopping.')
      : condition('Progressing', false, 'Stopped', 'The server is stopped; its world is kept.');
  } else if (!statefulSet) {
    phase = 'Pending';
    progressing = condition('Progressing', true, 'Creating', 'Creating the StatefulSet.');
  } else if (waiting) {
    phase = 'Failed';
    progressing = condition(
      'Progressing',
      false,
      'ContainerFailing',
      waiting.message ?? waiting.reason ?? '',
    );
  } else if (!bound) {
    phase = 'Provisioning';
    progressing = condition('Progressing', true, 'ProvisioningStorage', 'Waiting for the world volume.');
  } else if (!podReady(pod) || isMaintenancePod(pod!) !== (spec.state === 'Maintenance')) {
    // A pod of the other kind (a game pod while maintenance is wanted, or the reverse) is being replaced.
    phase = 'Starting';
    progressing =
      spec.state === 'Maintenance'
        ? condition('Progressing', true, 'StartingMaintenance', 'Waiting for the agent of a maintenance pod.')
        : condition('Progressing', true, 'Starting', 'Waiting for the server to answer a server-list ping.');
  } else if (spec.state === 'Maintenance') {
    phase = 'Maintenance';
    progressing = condition(
      'Progressing',
      false,
      'Maintenance',
      'The agent runs without the game: the world volume is reachable for backups, restores and files.',
    );
  } else {
    phase = 'Running';
    progressing =
      config.status === 'True'
        ? condition('Progressing', false, 'Converged', 'The server runs the current spec.')
        : condition(
            'Progressing',
            true,
            'RollingUpdate',
            'A pod with the new settings is replacing the old one.',
          );
  }
  const ready =
    phase === 'Running'
      ? condition('Ready', true, 'ServerListPingOk', 'The server answers server-list pings.')
      : condition('Ready', false, phase, `The server is ${phase.toLowerCase()}.`);
  const started = pod?.status?.containerStatuses?.[0]?.state?.running?.startedAt;
  return {
    phase,
    conditions: [ready, progressing, degraded, storage, config],
    ...(phase === 'Running' && started ? { lastStartedAt: new Date(started).toISOString() } : {}),
  };
}

/**
 * The new condition list: each condition gets the generation it was computed for; lastTransitionTime
 * only changes when the condition's status changes.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  generation: number,
  now: Date,
): Condition[] {
  return desired.map((d) => {
    const before = previous?.find((p) => p.type === d.type);
    const lastTransitionTime =
      before && before.status === d.status
        ? before.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    return { ...d, observedGeneration: generation, lastTransitionTime };
  });
}

/** The whole status to write. */
export function buildStatus(
  server: MinecraftServer,
  observed: Observed,
  extra: Pick<MinecraftServerStatus, 'endpoint' | 'resolved' | 'players'>,
  now: Date,
): MinecraftServerStatus {
  const generation = server.metadata.generation ?? 0;
  const lastStartedAt = observed.lastStartedAt ?? server.status?.lastStartedAt;
  return {
    observedGeneration: generation,
    phase: observed.phase,
    conditions: mergeConditions(server.status?.conditions, observed.conditions, generation, now),
    ...extra,
    ...(lastStartedAt ? { lastStartedAt } : {}),
  };
}

/** Whether writing `next` would change anything (a reconcile that changes nothing writes nothing). */
export function statusChanged(
  current: MinecraftServerStatus | undefined,
  next: MinecraftServerStatus,
): boolean {
  return JSON.stringify(canonical(current ?? {})) !== JSON.stringify(canonical(next));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}
