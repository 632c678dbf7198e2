// The MinecraftServer resource as the control plane writes and reads it. The operator owns the full schema
// (apps/operator/src/crd/schema.ts, which takes its identity constants from here); the driver writes only
// the fields a ServerSpec decides and reads only the status fields it reports. The API server validates
// every write against the CRD, so a field this file gets wrong is refused, not silently run.
import type { V1Pod } from '@kubernetes/client-node';
import { DomainError } from '@minefleet/domain/errors';
import type { PropertyValue, ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import { isPropertyKey, validateProperty } from '@minefleet/domain/server-properties';
import type { Distribution } from '@minefleet/domain/distributions';

export const GROUP = 'minefleet.io';
export const VERSION = 'v1alpha1';
export const KIND = 'MinecraftServer';
export const PLURAL = 'minecraftservers';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** The tenant a server belongs to: NetworkPolicies select pods of one tenant by it (docs/kubernetes.md). */
export const TENANT_LABEL = 'minefleet.io/tenant';
/** The control plane's server id (the resource name carries a prefix, see resourceName). */
export const SERVER_ID_LABEL = 'minefleet.io/server-id';
/** Marks the objects the operator makes for a server, its game pod included. */
export const MANAGED_BY_OPERATOR = { 'app.kubernetes.io/managed-by': 'minefleet-operator' } as const;
/** Marks resources the control plane created: its watch and its adopt look at these only. */
export const CREATED_BY = { 'app.kubernetes.io/created-by': 'minefleet-control-plane' } as const;
/** The generation of the start in effect, echoed in exit events (the port's stale-event guard). */
export const GENERATION_ANNOTATION = 'minefleet.io/process-generation';
export const STARTED_AT_ANNOTATION = 'minefleet.io/started-at';
/** JSON of the last exit (stop or kill) the driver recorded: every driver instance reports it from there. */
export const EXIT_ANNOTATION = 'minefleet.io/last-exit';

/** The port of the in-pod agent of Minefleet's game image: the console for the control plane. */
export const AGENT_PORT = 25580;
/** The key of the server's console password in its Secret (the agent's proof; RCON on Java images). */
export const CONSOLE_PASSWORD_KEY = 'rcon-password';
/**
 * The variable that starts Minefleet's game image in maintenance (the agent without the game), set on the
 * pod of a server in the Maintenance state, and the label that marks such a pod (`maintenance`).
 */
export const MODE_ENV = 'MINEFLEET_MODE';
/** The pre-start commands of a start, as the game image reads them: JSON `{generation, commands}`. */
export const PRE_START_ENV = 'MINEFLEET_PRE_START_COMMANDS';
export const MODE_LABEL = 'minefleet.io/mode';

/** A pod that is Ready and not being deleted. */
export const podReady = (pod: V1Pod | undefined): pod is V1Pod =>
  !!pod &&
  !pod.metadata?.deletionTimestamp &&
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;

/** Whether a pod is a maintenance pod (the agent alone), from the label the operator puts on it. */
export function isMaintenancePod(pod: { metadata?: { labels?: Record<string, string> } }): boolean {
  return pod.metadata?.labels?.[MODE_LABEL] === 'maintenance';
}

export const resourcePath = (namespace: string, name?: string) =>
  `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}${name ? `/${name}` : ''}`;
export const podPath = (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/pods/${name}`;

/**
 * The resource name of a server. Server ids are UUIDs, which may start with a digit; the Service the
 * operator names after the resource must start with a letter (DNS-1035), hence the prefix. The pod is
 * `<name>-0` (the StatefulSet's only replica).
 */
export function resourceName(serverId: string): string {
  if (!/^[a-z0-9]([-a-z0-9]{0,48}[a-z0-9])?$/.test(serverId))
    throw new DomainError(
      'INVALID_ID',
      `A server id must be a lowercase DNS label on Kubernetes: ${serverId}`,
    );
  return `mc-${serverId}`;
}

export const podName = (serverId: string) => `${resourceName(serverId)}-0`;
/** The Secret the operator makes for a server, holding its console password. */
export const consoleSecretName = (serverId: string) => `${resourceName(serverId)}-console`;
/** The world volume's claim (the StatefulSet's claim template `data` for the pod). */
export const claimName = (serverId: string) => `data-${podName(serverId)}`;
export const claimPath = (namespace: string, serverId: string) =>
  `/api/v1/namespaces/${namespace}/persistentvolumeclaims/${claimName(serverId)}`;

export type Phase =
  'Pending' | 'Provisioning' | 'Starting' | 'Running' | 'Stopping' | 'Stopped' | 'Maintenance' | 'Failed';
/** Desired states the driver writes: Maintenance only for the while it reaches a stopped server's files. */
export type DesiredState = 'Running' | 'Stopped' | 'Maintenance';

/** The fields of a MinecraftServer the driver writes (the API server fills in the defaults). */
export interface DriverSpec {
  eula: boolean;
  server: { distribution: Distribution; version: string };
  state?: DesiredState;
  /** Console commands before players join, for the start in effect (the generation annotation). */
  preStartCommands?: string[];
  maxPlayers: number;
  resources: { cpu: string; memory: string };
  properties: Record<string, PropertyValue>;
  storage?: { size?: string; retainOnDelete?: boolean };
}

export interface ServerResource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec: DriverSpec & { state: DesiredState };
  status?: {
    observedGeneration?: number;
    phase?: Phase;
    conditions?: { type: string; status: string; reason: string; message: string }[];
    endpoint?: { host: string; port: number };
    players?: { online?: number; max: number };
    lastStartedAt?: string;
  };
}

/**
 * The resource spec for a ServerSpec: software, memory, CPU, slots and server.properties. The game port
 * is not mapped: in a cluster every server listens on 25565 in its own pod and the Service exposes it.
 */
export function driverSpec(
  spec: ServerSpec,
  options: { acceptEula: boolean; overrides?: Record<string, PropertyValue> },
): DriverSpec {
  const properties: Record<string, PropertyValue> = {};
  for (const [key, value] of Object.entries({ ...spec.properties, ...options.overrides }))
    if (isPropertyKey(key)) properties[key] = validateProperty(key, value);
  return {
    eula: spec.distribution !== 'flying-squid' && options.acceptEula,
    server: { distribution: spec.distribution, version: spec.minecraftVersion },
    maxPlayers: spec.maxPlayers,
    resources: {
      cpu: `${Math.max(1, Math.round(spec.cpuMillicores))}m`,
      memory: `${Math.max(1, Math.round(spec.memoryMb))}Mi`,
    },
    properties,
  };
}

export function newResource(spec: ServerSpec, namespace: string, body: DriverSpec): ServerResource {
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name: resourceName(spec.serverId),
      namespace,
      labels: { ...CREATED_BY, [TENANT_LABEL]: spec.tenantId, [SERVER_ID_LABEL]: spec.serverId },
    },
    // Deployed, not started: the first start sets Running.
    spec: { ...body, state: 'Stopped' },
  };
}
