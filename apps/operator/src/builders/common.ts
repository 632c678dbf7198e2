import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import { MANAGED_BY_OPERATOR, TENANT_LABEL } from '@minefleet/runtime-kubernetes/resource';
import { API_VERSION, KIND, type MinecraftServer } from '../crd/schema.js';

/** Field manager of every server-side apply the operator makes. */
export const FIELD_MANAGER = 'minefleet-operator';
export const SERVER_LABEL = 'minefleet.io/server';
// The driver's NetworkPolicies select game pods by it, hence one definition beside the tenant label.
export const MANAGED_BY = MANAGED_BY_OPERATOR;
export const CONFIG_HASH_ANNOTATION = 'minefleet.io/config-hash';
export const RETAIN_FINALIZER = 'minefleet.io/retain-volume';
export const RETAINED_LABEL = 'minefleet.io/retained';
/** The port the game listens on inside the pod; the Service maps spec.network.port to it. */
export const GAME_PORT = 25565;
export const DATA_PATH = '/data';

/** Images the operator runs when the spec names none (operator flags / chart values). */
export interface ImageDefaults {
  /** Java distributions: the community image and its environment conventions. */
  java: string;
  /** Minefleet's own image with the flying-squid launcher and console host. */
  flyingSquid: string;
}

export const names = (server: MinecraftServer) => ({
  statefulSet: server.metadata.name,
  service: server.metadata.name,
  configMap: `${server.metadata.name}-config`,
  secret: `${server.metadata.name}-console`,
  /** The StatefulSet's only pod and its world volume claim. */
  pod: `${server.metadata.name}-0`,
  claim: `data-${server.metadata.name}-0`,
});

export function selectorLabels(server: MinecraftServer): Record<string, string> {
  return { [SERVER_LABEL]: server.metadata.name };
}

export function labels(server: MinecraftServer): Record<string, string> {
  const tenant = server.metadata.labels?.[TENANT_LABEL];
  return {
    'app.kubernetes.io/name': 'minecraft-server',
    'app.kubernetes.io/instance': server.metadata.name,
    ...MANAGED_BY,
    ...selectorLabels(server),
    // Servers of many tenants share a namespace; NetworkPolicies tell their pods apart by this label.
    ...(tenant ? { [TENANT_LABEL]: tenant } : {}),
  };
}

export function ownerReference(server: MinecraftServer): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    name: server.metadata.name,
    uid: server.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

export function ownedMetadata(
  server: MinecraftServer,
  name: string,
  annotations?: Record<string, string>,
): V1ObjectMeta {
  return {
    name,
    namespace: server.metadata.namespace,
    labels: labels(server),
    ...(annotations && Object.keys(annotations).length > 0 ? { annotations } : {}),
    ownerReferences: [ownerReference(server)],
  };
}
