import {
  AGENT_PORT,
  GENERATION_ANNOTATION,
  MODE_ENV,
  MODE_LABEL,
  PRE_START_ENV,
} from '@minefleet/runtime-kubernetes/resource';
import type { V1Container, V1EnvVar, V1StatefulSet, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { MinecraftServer, MinecraftServerSpec } from '../crd/schema.js';
import { memoryMiB } from '../crd/validate.js';
import {
  CONFIG_HASH_ANNOTATION,
  DATA_PATH,
  GAME_PORT,
  labels,
  names,
  ownedMetadata,
  selectorLabels,
  type ImageDefaults,
} from './common.js';
import { RCON_PASSWORD_KEY } from './secret.js';

/** Seconds Kubernetes waits after the preStop hook's own budget before it kills the pod. */
export const GRACE_MARGIN_SECONDS = 15;
/** The community image's TYPE for each Java distribution. */
const JAVA_TYPES: Record<string, string> = {
  paper: 'PAPER',
  vanilla: 'VANILLA',
  purpur: 'PURPUR',
  fabric: 'FABRIC',
};

export function resolveImage(spec: MinecraftServerSpec, images: ImageDefaults): string {
  if (spec.image) return spec.image;
  return spec.server.distribution === 'flying-squid' ? images.flyingSquid : images.java;
}

/**
 * Heap from the memory limit, leaving headroom for everything outside the heap (metaspace, threads,
 * direct buffers, the OS page cache the container is charged for): a quarter, at least 256 MiB for a
 * JVM and 96 MiB for Node.js.
 */
export function heapMiB(limitMiB: number, java: boolean): number {
  const headroom = Math.max(java ? 256 : 96, Math.ceil(limitMiB * 0.25));
  return Math.max(64, limitMiB - headroom);
}

/** Seconds the pod gets to stop: the announcement, the game's own stop, and a margin. */
export function terminationGraceSeconds(spec: MinecraftServerSpec): number {
  return spec.shutdown.announceSeconds + spec.shutdown.stopTimeoutSeconds + GRACE_MARGIN_SECONDS;
}

function javaContainerParts(spec: MinecraftServerSpec, server: MinecraftServer, heap: number) {
  const announce = spec.shutdown.announceSeconds;
  const env: V1EnvVar[] = [
    { name: 'EULA', value: 'TRUE' },
    { name: 'TYPE', value: JAVA_TYPES[spec.server.distribution] ?? 'VANILLA' },
    { name: 'VERSION', value: spec.server.version },
    { name: 'MEMORY', value: `${heap}M` },
    { name: 'JVM_OPTS', value: (spec.jvm?.extraArgs ?? []).join(' ') },
    { name: 'ENABLE_RCON', value: 'true' },
    { name: 'OVERRIDE_SERVER_PROPERTIES', value: 'true' },
    { name: 'ENABLE_AUTOPAUSE', value: 'false' },
    { name: 'STOP_DURATION', value: String(spec.shutdown.stopTimeoutSeconds) },
  ];
  // Announce, save and stop through RCON; the image's own SIGTERM handling is the fallback.
  const preStop = [
    'sh',
    '-c',
    `rcon-cli "say The server stops in ${announce} seconds" || true; sleep ${announce}; ` +
      'rcon-cli "save-all flush" || true; rcon-cli stop || true',
  ];
  return {
    env,
    envFrom: [{ configMapRef: { name: names(server).configMap } }],
    preStop,
    health: ['mc-health'],
    mounts: [] as V1VolumeMount[],
    volumes: [] as V1Volume[],
  };
}

function flyingSquidContainerParts(spec: MinecraftServerSpec, server: MinecraftServer, heap: number) {
  return {
    env: [
      { name: 'MINECRAFT_VERSION', value: spec.server.version },
      { name: 'NODE_OPTIONS', value: `--max-old-space-size=${heap}` },
      { name: 'STOP_TIMEOUT_SECONDS', value: String(spec.shutdown.stopTimeoutSeconds) },
      // The agent alone, no game (the entrypoint and mc-health read it): a stopped server's files.
      ...(spec.state === 'Maintenance' ? [{ name: MODE_ENV, value: 'maintenance' }] : []),
      // Run once for this start (the entrypoint remembers the generation it ran them for).
      ...(spec.preStartCommands?.length
        ? [
            {
              name: PRE_START_ENV,
              value: JSON.stringify({
                generation: server.metadata.annotations?.[GENERATION_ANNOTATION] ?? '0',
                commands: spec.preStartCommands,
              }),
            },
          ]
        : []),
    ] as V1EnvVar[],
    envFrom: [],
    preStop: ['minefleet-console', 'stop', String(spec.shutdown.announceSeconds)],
    health: ['mc-health'],
    mounts: [{ name: 'config', mountPath: '/config', readOnly: true }] as V1VolumeMount[],
    volumes: [{ name: 'config', configMap: { name: names(server).configMap } }] as V1Volume[],
  };
}

export function buildStatefulSet(
  server: MinecraftServer,
  spec: MinecraftServerSpec,
  options: { images: ImageDefaults; configHash: string },
): V1StatefulSet {
  const n = names(server);
  const java = spec.server.distribution !== 'flying-squid';
  const limit = memoryMiB(spec.resources.memory);
  const heap = heapMiB(limit, java);
  const parts = java ? javaContainerParts(spec, server, heap) : flyingSquidContainerParts(spec, server, heap);
  const exec = { exec: { command: parts.health } };
  const container: V1Container = {
    name: 'minecraft',
    image: resolveImage(spec, options.images),
    imagePullPolicy: 'IfNotPresent',
    ports: [
      { name: 'minecraft', containerPort: GAME_PORT, protocol: 'TCP' },
      // Minefleet's image runs the in-pod agent beside the game: the console for the control plane.
      ...(java ? [] : [{ name: 'agent', containerPort: AGENT_PORT, protocol: 'TCP' }]),
    ],
    env: [
      ...parts.env,
      { name: 'RCON_PASSWORD', valueFrom: { secretKeyRef: { name: n.secret, key: RCON_PASSWORD_KEY } } },
    ],
    ...(parts.envFrom.length > 0 ? { envFrom: parts.envFrom } : {}),
    // Memory request = limit: a game server evicted for overcommit loses what it had not saved.
    // No CPU limit: throttling shows up as lag spikes; the request reserves the share.
    resources: {
      requests: { cpu: spec.resources.cpu, memory: spec.resources.memory },
      limits: { memory: spec.resources.memory },
    },
    securityContext: {
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'data', mountPath: DATA_PATH },
      { name: 'tmp', mountPath: '/tmp' },
      ...parts.mounts,
    ],
    // The startup probe asks every second, so the pod is Ready (and a waiting player let in) within a
    // second of the game answering, not up to a period of 5 s later; world generation on a first start
    // can take minutes: it allows 10.
    startupProbe: { ...exec, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 600 },
    readinessProbe: { ...exec, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 3 },
    livenessProbe: { ...exec, periodSeconds: 20, timeoutSeconds: 10, failureThreshold: 6 },
    lifecycle: { preStop: { exec: { command: parts.preStop } } },
  };
  const overrides = spec.podOverrides ?? {};
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: ownedMetadata(server, n.statefulSet),
    spec: {
      replicas: spec.state === 'Stopped' ? 0 : 1,
      serviceName: n.service,
      selector: { matchLabels: selectorLabels(server) },
      persistentVolumeClaimRetentionPolicy: {
        whenDeleted: spec.storage.retainOnDelete ? 'Retain' : 'Delete',
        whenScaled: 'Retain',
      },
      template: {
        metadata: {
          // A maintenance pod says so (the operator's status and the driver tell it from the game's).
          labels: {
            ...labels(server),
            ...(spec.state === 'Maintenance' ? { [MODE_LABEL]: 'maintenance' } : {}),
          },
          annotations: { ...(overrides.annotations ?? {}), [CONFIG_HASH_ANNOTATION]: options.configHash },
        },
        spec: {
          terminationGracePeriodSeconds: terminationGraceSeconds(spec),
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            fsGroupChangePolicy: 'OnRootMismatch',
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...(overrides.nodeSelector ? { nodeSelector: overrides.nodeSelector } : {}),
          ...(overrides.tolerations ? { tolerations: overrides.tolerations } : {}),
          containers: [container],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } }, ...parts.volumes],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: labels(server) },
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: spec.storage.size } },
            ...(spec.storage.storageClassName ? { storageClassName: spec.storage.storageClassName } : {}),
          },
        },
      ],
    },
  };
}
