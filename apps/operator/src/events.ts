import type { CoreV1Event } from '@kubernetes/client-node';
import { API_VERSION, KIND, type MinecraftServer, type MinecraftServerStatus } from './crd/schema.js';
import type { KubeApi } from '@minefleet/runtime-kubernetes/kube/client';
import type { Logger } from './log.js';

export const EVENT_COMPONENT = 'minefleet-operator';

/** Kubernetes caps an event's message at 1 KiB; a longer one is refused. */
const MAX_MESSAGE = 1024;

export interface EventRecorderOptions {
  api: KubeApi;
  log: Logger;
  /** This replica (the pod name in a cluster): `reportingInstance`. */
  instance: string;
  now?: () => Date;
}

export type EventType = 'Normal' | 'Warning';

/**
 * Writes Kubernetes Events about a MinecraftServer, so `kubectl describe mcs` and
 * `kubectl get events` tell what the operator saw: each phase it entered and why, and specs it could
 * not use. Events are best effort: one that cannot be written is logged and the reconcile goes on.
 */
export class EventRecorder {
  private readonly now: () => Date;

  constructor(private readonly o: EventRecorderOptions) {
    this.now = o.now ?? (() => new Date());
  }

  async record(server: MinecraftServer, type: EventType, reason: string, message: string): Promise<void> {
    const ns = server.metadata.namespace;
    const at = this.now().toISOString();
    const event: CoreV1Event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: `${server.metadata.name}.`, namespace: ns },
      involvedObject: {
        apiVersion: API_VERSION,
        kind: KIND,
        name: server.metadata.name,
        namespace: ns,
        uid: server.metadata.uid,
        resourceVersion: server.metadata.resourceVersion,
      },
      type,
      reason,
      message: message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message,
      source: { component: EVENT_COMPONENT },
      reportingComponent: `minefleet.io/operator`,
      reportingInstance: this.o.instance,
      action: 'Reconcile',
      count: 1,
      firstTimestamp: at as unknown as Date,
      lastTimestamp: at as unknown as Date,
    };
    try {
      await this.o.api.request('POST', `/api/v1/namespaces/${ns}/events`, { body: event });
    } catch (error) {
      this.o.log.warn('event not written', { reason, error: (error as Error).message });
    }
  }

  /** The event for a status the operator just wrote: one per phase change, a warning when it is bad. */
  async phaseChanged(
    server: MinecraftServer,
    before: MinecraftServerStatus | undefined,
    after: MinecraftServerStatus,
  ) {
    if (!after.phase || before?.phase === after.phase) return;
    const ready = after.conditions?.find((c) => c.type === 'Ready');
    const degraded = after.conditions?.find((c) => c.type === 'Degraded' && c.status === 'True');
    const why = degraded?.message || ready?.message || '';
    const message = `${before?.phase ?? 'new'} → ${after.phase}${why ? `: ${why}` : ''}`;
    const type: EventType = after.phase === 'Failed' || degraded ? 'Warning' : 'Normal';
    await this.record(server, type, after.phase, message);
  }
}
