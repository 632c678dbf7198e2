// What the port's ProcessObservation and ExitInfo are for a MinecraftServer resource. A pod has no process
// id the control plane can see; `pid` is 0 and the start's generation (an annotation) identifies it.
import type { ExitInfo, ProcessObservation } from '@minefleet/domain/ports/runtime-driver';
import {
  EXIT_ANNOTATION,
  GENERATION_ANNOTATION,
  STARTED_AT_ANNOTATION,
  type ServerResource,
} from './resource.js';

/** The pid reported for every pod: there is no host process id behind a pod. */
export const POD_PID = 0;

export function generationOf(resource: ServerResource): number {
  const value = Number(resource.metadata.annotations?.[GENERATION_ANNOTATION] ?? 0);
  return Number.isInteger(value) && value >= 0 ? value : 0;
}

export function startedAtOf(resource: ServerResource): Date {
  const value = resource.metadata.annotations?.[STARTED_AT_ANNOTATION] ?? resource.status?.lastStartedAt;
  const date = value ? new Date(value) : new Date(NaN);
  return Number.isNaN(date.getTime()) ? new Date(0) : date;
}

/** The exit the driver recorded last, or undefined (none yet, or an annotation it cannot read). */
export function recordedExit(resource: ServerResource | undefined): ExitInfo | undefined {
  const text = resource?.metadata.annotations?.[EXIT_ANNOTATION];
  if (!text) return undefined;
  try {
    const raw = JSON.parse(text) as Partial<Record<keyof ExitInfo, unknown>>;
    if (typeof raw.generation !== 'number' || typeof raw.at !== 'string') return undefined;
    return {
      code: typeof raw.code === 'number' ? raw.code : null,
      signal: typeof raw.signal === 'string' ? raw.signal : null,
      at: new Date(raw.at),
      generation: raw.generation,
      ...(typeof raw.reason === 'string' ? { reason: raw.reason } : {}),
    };
  } catch {
    return undefined;
  }
}

export const exitAnnotation = (exit: ExitInfo) => JSON.stringify({ ...exit, at: exit.at.toISOString() });

/** Why the operator reports the server Failed (its Degraded condition), for an exit's reason. */
export function failure(resource: ServerResource): string | undefined {
  if (resource.spec.state !== 'Running' || resource.status?.phase !== 'Failed') return undefined;
  const degraded = resource.status.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
  return degraded ? `${degraded.reason}: ${degraded.message}` : 'The operator reports the server Failed';
}

/**
 * Desired Running is a live "process" from the start on (the caller pings for readiness, as it does
 * locally), unless the operator reports it Failed (a crash loop, an image that does not pull). Desired
 * Stopped is the recorded exit, or nothing when the server never ran.
 */
export function observation(resource: ServerResource | undefined): ProcessObservation {
  if (!resource || resource.metadata.deletionTimestamp) return { state: 'absent' };
  const generation = generationOf(resource);
  if (resource.spec.state === 'Running') {
    const failed = failure(resource);
    if (failed)
      return {
        state: 'exited',
        exit: { code: null, signal: null, at: new Date(), generation, reason: failed },
      };
    return { state: 'alive', pid: POD_PID, startedAt: startedAtOf(resource), generation };
  }
  const exit = recordedExit(resource);
  return exit ? { state: 'exited', exit } : { state: 'absent' };
}
