import { createHash } from 'node:crypto';
import type {
  V1ConfigMap,
  V1ObjectMeta,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type MinecraftServer, type MinecraftServerSpec } from './crd/schema.js';
import { checkSpec } from './crd/validate.js';
import {
  FIELD_MANAGER,
  RETAINED_LABEL,
  RETAIN_FINALIZER,
  SERVER_LABEL,
  names,
  type ImageDefaults,
} from './builders/common.js';
import { buildConfigMap, configHash } from './builders/config-map.js';
import { buildSecret, generatePassword } from './builders/secret.js';
import { buildService, endpointOf } from './builders/service.js';
import { buildStatefulSet, resolveImage } from './builders/stateful-set.js';
import type { EventRecorder } from './events.js';
import { PATCH, isStatus, type KubeApi } from '@minefleet/runtime-kubernetes/kube/client';
import type { Logger } from './log.js';
import { buildStatus, observe, statusChanged, type Observation } from './status.js';

/** Read access to the informers' caches, by `namespace/name`. */
export interface Caches {
  server(key: string): MinecraftServer | undefined;
  statefulSet(key: string): V1StatefulSet | undefined;
  pod(key: string): V1Pod | undefined;
  claim(key: string): V1PersistentVolumeClaim | undefined;
  configMap(key: string): V1ConfigMap | undefined;
  service(key: string): V1Service | undefined;
  claimsOf(namespace: string, server: string): V1PersistentVolumeClaim[];
}

export interface ReconcilerOptions {
  api: KubeApi;
  caches: Caches;
  images: ImageDefaults;
  log: Logger;
  /** Kubernetes Events for phase changes and unusable specs (none when undefined). */
  events?: EventRecorder;
  /** Players online by server key, from the last server-list ping (undefined: not known). */
  playersOnline?: (key: string) => number | undefined;
  now?: () => Date;
  /**
   * An object the operator applied and that nobody changed since (the watched copy still has the
   * version the apply returned) is not applied again with the same intent; after this long it is
   * applied anyway (default 10 minutes).
   */
  reapplyAfterMs?: number;
}

interface AppliedRecord {
  intent: string;
  marker: string | undefined;
  at: number;
}

export const serverPath = (namespace: string, name?: string) =>
  `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}${name ? `/${name}` : ''}`;
const corePath = (namespace: string, kind: string, name?: string) =>
  `/api/v1/namespaces/${namespace}/${kind}${name ? `/${name}` : ''}`;
const statefulSetPath = (namespace: string, name?: string) =>
  `/apis/apps/v1/namespaces/${namespace}/statefulsets${name ? `/${name}` : ''}`;

/**
 * Reconciles one MinecraftServer from the current state of it and its owned objects (level-triggered:
 * what happened to get here is never looked at). Each owned object is applied with server-side apply as
 * the operator's field manager; force takes over only the fields in the applied intent, which are the
 * operator's by definition, and leaves fields other managers set alone.
 */
export class Reconciler {
  private readonly now: () => Date;
  private readonly applied = new Map<string, AppliedRecord>();
  private readonly secrets = new Map<string, number>();
  /**
   * Each server's last reconciled retention choice and identity, kept after it is deleted until none of
   * its world claims is left undecided: what to do with a claim that turns up (or keeps no owner) once
   * the server is gone.
   */
  private readonly worlds = new Map<string, { retain: boolean; uid: string }>();
  private readonly reapplyAfterMs: number;

  constructor(private readonly o: ReconcilerOptions) {
    this.now = o.now ?? (() => new Date());
    this.reapplyAfterMs = o.reapplyAfterMs ?? 600_000;
  }

  /**
   * Applies `intent` unless the same intent was applied and the watched copy is still what that apply
   * returned (`marker`: the generation of a StatefulSet, whose status changes often; the
   * resourceVersion of anything else). Returns the object as applied or as cached.
   */
  private async ensure<T extends { metadata?: V1ObjectMeta }>(
    path: string,
    intent: unknown,
    cached: T | undefined,
    marker: (o: T) => string | undefined,
  ): Promise<T> {
    const digest = createHash('sha1').update(JSON.stringify(intent)).digest('base64');
    const last = this.applied.get(path);
    if (
      cached &&
      last?.intent === digest &&
      marker(cached) === last?.marker &&
      Date.now() - (last?.at ?? 0) < this.reapplyAfterMs
    )
      return cached;
    const result = await this.apply<T>(path, intent);
    this.applied.set(path, { intent: digest, marker: marker(result), at: Date.now() });
    return result;
  }

  private apply<T>(path: string, body: unknown): Promise<T> {
    return this.o.api.request<T>('PATCH', path, {
      query: { fieldManager: FIELD_MANAGER, force: true },
      body,
      contentType: PATCH.apply,
    });
  }

  async reconcile(key: string): Promise<void> {
    const server = this.o.caches.server(key);
    if (!server) {
      // Deleted: the garbage collector removes what it owned; forget what was applied for it.
      const [ns, name] = key.split('/') as [string, string];
      const n = names({ metadata: { name, namespace: ns } } as MinecraftServer);
      this.applied.delete(corePath(ns, 'configmaps', n.configMap));
      this.applied.delete(corePath(ns, 'services', n.service));
      this.applied.delete(statefulSetPath(ns, n.statefulSet));
      this.secrets.delete(corePath(ns, 'secrets', n.secret));
      return this.settleWorlds(key, ns, name, `${ns}/${n.statefulSet}`);
    }
    const log = this.o.log.child({ key, generation: server.metadata.generation });
    if (server.metadata.deletionTimestamp) return this.finalize(server, log);

    const check = checkSpec(server.spec);
    if (!check.ok) {
      log.warn('invalid spec', { problems: check.problems });
      const written = await this.writeStatus(server, { spec: { problems: check.problems } }, undefined);
      if (written) await this.o.events?.record(server, 'Warning', 'InvalidSpec', check.problems.join('; '));
      return;
    }
    const spec = check.spec;
    this.worlds.set(key, { retain: spec.storage.retainOnDelete, uid: server.metadata.uid ?? '' });
    const current = await this.ensureFinalizer(server, spec);

    await this.ensureSecret(current);
    const ns = current.metadata.namespace;
    const n = names(current);
    const rv = (o: { metadata?: V1ObjectMeta }) => o.metadata?.resourceVersion;
    const configMap = buildConfigMap(current, spec);
    const hash = configHash(configMap.data ?? {});
    await this.ensure(
      corePath(ns, 'configmaps', n.configMap),
      configMap,
      this.o.caches.configMap(`${ns}/${n.configMap}`),
      rv,
    );
    await this.ensure(
      corePath(ns, 'services', n.service),
      buildService(current, spec),
      this.o.caches.service(`${ns}/${n.service}`),
      rv,
    );
    const statefulSet = await this.ensure<V1StatefulSet>(
      statefulSetPath(ns, n.statefulSet),
      buildStatefulSet(current, spec, { images: this.o.images, configHash: hash }),
      this.o.caches.statefulSet(`${ns}/${n.statefulSet}`),
      // Its status changes all the time; its generation only when its spec does.
      (o) => (o.metadata?.uid ? `${o.metadata.uid}/${o.metadata.generation}` : undefined),
    );
    const pod = this.o.caches.pod(`${ns}/${n.pod}`);
    const claim = this.o.caches.claim(`${ns}/${n.claim}`);
    await this.writeStatus(current, { spec, statefulSet, pod, claim, configHash: hash }, spec);
    log.debug('reconciled');
  }

  /** The finalizer exists only to label a retained world volume when the server is deleted. */
  private async ensureFinalizer(
    server: MinecraftServer,
    spec: MinecraftServerSpec,
  ): Promise<MinecraftServer> {
    const finalizers = server.metadata.finalizers ?? [];
    const has = finalizers.includes(RETAIN_FINALIZER);
    if (has === spec.storage.retainOnDelete) return server;
    const next = has ? finalizers.filter((f) => f !== RETAIN_FINALIZER) : [...finalizers, RETAIN_FINALIZER];
    return this.o.api.request<MinecraftServer>(
      'PATCH',
      serverPath(server.metadata.namespace, server.metadata.name),
      {
        // The resourceVersion makes this a compare-and-swap: a concurrent change gets a 409 and a retry.
        body: { metadata: { resourceVersion: server.metadata.resourceVersion, finalizers: next } },
        contentType: PATCH.merge,
      },
    );
  }

  /** Created once with a fresh password and never re-applied: a reconcile never rotates it. */
  private async ensureSecret(server: MinecraftServer): Promise<void> {
    const path = corePath(server.metadata.namespace, 'secrets');
    const own = `${path}/${names(server).secret}`;
    const seen = this.secrets.get(own);
    // Secrets are not watched (that would need list access to every Secret): one seen recently is trusted.
    if (seen !== undefined && Date.now() - seen < this.reapplyAfterMs) return;
    try {
      // Create first: for a new server that is the only request; 409 means it exists, and is kept.
      await this.o.api.request('POST', path, {
        body: buildSecret(server, generatePassword()),
        query: { fieldManager: FIELD_MANAGER },
      });
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    this.secrets.set(own, Date.now());
  }

  private async finalize(server: MinecraftServer, log: Logger): Promise<void> {
    const finalizers = server.metadata.finalizers ?? [];
    if (!finalizers.includes(RETAIN_FINALIZER)) return;
    const ns = server.metadata.namespace;
    for (const claim of this.o.caches.claimsOf(ns, server.metadata.name)) {
      if (claim.metadata?.labels?.[RETAINED_LABEL] === 'true') continue;
      await this.retainClaim(claim, server.metadata.name, server.metadata.uid ?? '', log);
    }
    await this.o.api.request('PATCH', serverPath(ns, server.metadata.name), {
      body: {
        metadata: {
          resourceVersion: server.metadata.resourceVersion,
          finalizers: finalizers.filter((f) => f !== RETAIN_FINALIZER),
        },
      },
      contentType: PATCH.merge,
    });
  }

  private async retainClaim(
    claim: V1PersistentVolumeClaim,
    server: string,
    uid: string,
    log: Logger,
  ): Promise<void> {
    const ns = claim.metadata!.namespace!;
    await this.o.api.request('PATCH', corePath(ns, 'persistentvolumeclaims', claim.metadata!.name), {
      body: {
        metadata: {
          labels: { [RETAINED_LABEL]: 'true' },
          annotations: {
            'minefleet.io/retained-from': `${server} (uid ${uid})`,
            'minefleet.io/retained-at': this.now().toISOString(),
          },
        },
      },
      contentType: PATCH.merge,
    });
    log.info('world volume retained', { claim: claim.metadata!.name });
  }

  /**
   * A deleted server's world claims, decided by its last retention choice. Kubernetes alone leaves
   * gaps: the StatefulSet controller makes the StatefulSet an unretained claim's owner only on a later
   * pass over the set (it cannot see a claim it just made), so a set collected before that pass leaves
   * the claim with no owner for the garbage collector to follow; and a claim the set makes after the
   * finalizer ran (a server deleted at once) is never labelled. Claims not decided here stay as they
   * are: a server deleted while no operator had reconciled it is left to the garbage collector.
   */
  private async settleWorlds(key: string, ns: string, name: string, statefulSet: string): Promise<void> {
    const world = this.worlds.get(key);
    const open = this.o.caches
      .claimsOf(ns, name)
      .filter((c) => !c.metadata?.deletionTimestamp && c.metadata?.labels?.[RETAINED_LABEL] !== 'true');
    if (open.length === 0 && !this.o.caches.statefulSet(statefulSet)) {
      // Nothing undecided and no StatefulSet left to make a claim: forget the server.
      this.worlds.delete(key);
      return;
    }
    if (!world) return;
    const log = this.o.log.child({ key });
    for (const claim of open) {
      if (world.retain) {
        await this.retainClaim(claim, name, world.uid, log);
        continue;
      }
      try {
        // Only the claim seen here: one made since under the same name belongs to someone else.
        await this.o.api.request('DELETE', corePath(ns, 'persistentvolumeclaims', claim.metadata!.name), {
          body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: claim.metadata!.uid } },
        });
        log.info('world volume deleted with its server', { claim: claim.metadata!.name });
      } catch (error) {
        if (!isStatus(error, 404) && !isStatus(error, 409)) throw error;
      }
    }
  }

  /** Writes the status when it changed (true then), with an event when the phase changed. */
  private async writeStatus(
    server: MinecraftServer,
    observation: Observation,
    spec: MinecraftServerSpec | undefined,
  ): Promise<boolean> {
    const observed = observe(observation);
    const status = buildStatus(
      server,
      observed,
      spec
        ? {
            endpoint: endpointOf(server, spec),
            resolved: { image: resolveImage(spec, this.o.images), version: spec.server.version },
            players: {
              max: spec.maxPlayers,
              online:
                observed.phase === 'Running'
                  ? this.o.playersOnline?.(`${server.metadata.namespace}/${server.metadata.name}`)
                  : undefined,
            },
          }
        : {},
      this.now(),
    );
    if (!statusChanged(server.status, status)) return false;
    await this.o.api.request(
      'PATCH',
      `${serverPath(server.metadata.namespace, server.metadata.name)}/status`,
      {
        // Guarded by the resourceVersion it was computed from: a status from a stale read is refused (409)
        // and computed again from the newer object.
        // A merge patch keeps a field it does not mention: a count no longer known is removed by null.
        body: {
          metadata: { resourceVersion: server.metadata.resourceVersion },
          status: status.players
            ? { ...status, players: { ...status.players, online: status.players.online ?? null } }
            : status,
        },
        contentType: PATCH.merge,
      },
    );
    await this.o.events?.phaseChanged(server, server.status, status);
    return true;
  }
}

export { SERVER_LABEL };
