import type {
  V1ConfigMap,
  V1ObjectMeta,
  V1PersistentVolumeClaim,
  V1Pod,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { CONFIG_HASH_ANNOTATION } from '../builders/common.js';

/**
 * What the operator keeps of the objects it watches: the fields the reconciler and status read, no
 * more. With thousands of servers the full pods and StatefulSets (managed fields, specs, env) would be
 * most of the operator's memory.
 */
function meta(m: V1ObjectMeta | undefined, annotations?: string[]): V1ObjectMeta {
  const kept = annotations
    ? Object.fromEntries(Object.entries(m?.annotations ?? {}).filter(([k]) => annotations.includes(k)))
    : undefined;
  return {
    name: m?.name,
    namespace: m?.namespace,
    uid: m?.uid,
    resourceVersion: m?.resourceVersion,
    generation: m?.generation,
    labels: m?.labels,
    ...(kept && Object.keys(kept).length > 0 ? { annotations: kept } : {}),
    ...(m?.deletionTimestamp ? { deletionTimestamp: m.deletionTimestamp } : {}),
  };
}

export const trimStatefulSet = (o: V1StatefulSet): V1StatefulSet => ({
  metadata: meta(o.metadata),
  status: o.status,
});

export const trimPod = (o: V1Pod): V1Pod => ({
  metadata: meta(o.metadata, [CONFIG_HASH_ANNOTATION]),
  status: {
    phase: o.status?.phase,
    // Where the player count is asked (the game port on the pod).
    podIP: o.status?.podIP,
    conditions: o.status?.conditions?.filter((c) => c.type === 'Ready'),
    containerStatuses: o.status?.containerStatuses?.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: c.ready,
      restartCount: c.restartCount,
      state: c.state,
    })),
  },
});

export const trimClaim = (o: V1PersistentVolumeClaim): V1PersistentVolumeClaim => ({
  metadata: meta(o.metadata),
  status: { phase: o.status?.phase },
});

export const trimConfigMap = (o: V1ConfigMap): V1ConfigMap => ({ metadata: meta(o.metadata) });
export const trimService = (o: V1Service): V1Service => ({ metadata: meta(o.metadata) });
