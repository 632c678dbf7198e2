// The port's runtime events from a watch on the MinecraftServer resources of the driver's namespace. Every
// driver instance (a restarted control plane, another replica) sees the same events, because they come
// from the resources and not from the instance that changed them.
import type { ConsoleLine, RuntimeEvent } from '@minefleet/domain/ports/runtime-driver';
import type { KubeApi } from './kube/client.js';
import { Informer, type ChangeType, type InformerLog } from './kube/informer.js';
import { failure, generationOf, recordedExit } from './observe.js';
import { CREATED_BY, SERVER_ID_LABEL, resourcePath, type ServerResource } from './resource.js';

const silent: InformerLog = { info: () => {}, warn: () => {} };

/**
 * What a change of one resource means to the port:
 * - a new recorded exit (the driver's stop or kill) is an `exit` event;
 * - the operator turning a desired-Running server Failed is an `exit` with the operator's reason (the
 *   kubelet keeps restarting the container; the server is down until the cause is fixed);
 * - a deleted resource that was Running is an `exit` (it was removed under the server);
 * - every phase change is a `platform` console line, so the server's console shows what the cluster did.
 */
export function eventsOf(
  resource: ServerResource,
  change: ChangeType,
  previous: ServerResource | undefined,
  now: Date,
): RuntimeEvent[] {
  const serverId = resource.metadata.labels?.[SERVER_ID_LABEL];
  if (!serverId) return [];
  const events: RuntimeEvent[] = [];
  const line = (level: ConsoleLine['level'], message: string): RuntimeEvent => ({
    type: 'console',
    serverId,
    line: { ts: now, level, source: 'platform', message },
  });
  if (change === 'deleted') {
    if (resource.spec.state === 'Running' && !failure(resource))
      events.push({
        type: 'exit',
        serverId,
        exit: {
          code: null,
          signal: null,
          at: now,
          generation: generationOf(resource),
          reason: 'The MinecraftServer resource was deleted',
        },
      });
    return events;
  }
  if (change !== 'modified' || !previous) return events;
  const phase = resource.status?.phase;
  const before = previous.status?.phase;
  if (phase && phase !== before)
    events.push(line(phase === 'Failed' ? 'error' : 'info', `Kubernetes: ${before ?? 'new'} → ${phase}`));
  const exit = recordedExit(resource);
  const exitBefore = recordedExit(previous);
  if (
    exit &&
    (!exitBefore ||
      exitBefore.at.getTime() !== exit.at.getTime() ||
      exitBefore.generation !== exit.generation)
  )
    events.push({ type: 'exit', serverId, exit });
  const failed = failure(resource);
  if (failed && !failure(previous))
    events.push({
      type: 'exit',
      serverId,
      exit: { code: null, signal: null, at: now, generation: generationOf(resource), reason: failed },
    });
  return events;
}

/** The watch, started with the first listener and stopped by close(). */
export class ResourceEvents {
  private readonly listeners = new Set<(event: RuntimeEvent) => void>();
  private informer: Informer<ServerResource> | undefined;
  private started: Promise<void> | undefined;

  constructor(private readonly o: { api: KubeApi; namespace: string; log?: InformerLog; now: () => Date }) {}

  subscribe(listener: (event: RuntimeEvent) => void): () => void {
    this.listeners.add(listener);
    void this.start();
    return () => this.listeners.delete(listener);
  }

  /** Hands an event the driver made itself (a console line from a server's agent) to every listener. */
  publish(event: RuntimeEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the others still get the event.
      }
    }
  }

  /** Resolves once the first list is in (events from then on are delivered). */
  synced(): Promise<void> {
    return this.start();
  }

  private start(): Promise<void> {
    if (this.started) return this.started;
    this.informer = new Informer<ServerResource>({
      api: this.o.api,
      path: resourcePath(this.o.namespace),
      resource: 'minecraftservers',
      labelSelector: Object.entries(CREATED_BY)
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
      // The events come from changes; a resync repeats objects and is ignored.
      resyncMs: 600_000,
      log: this.o.log ?? silent,
      onChange: (resource, change, previous) => {
        for (const event of eventsOf(resource, change, previous, this.o.now())) this.publish(event);
      },
    });
    this.started = this.informer.start();
    // A failed first list surfaces through synced(); the informer keeps retrying on its own.
    this.started.catch(() => {});
    return this.started;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.informer?.stop();
    this.informer = undefined;
    this.started = undefined;
  }
}
