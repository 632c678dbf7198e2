import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { DISTRIBUTIONS, type Distribution } from '@minefleet/domain/distributions';
import { SERVER_PROPERTIES, type PropertySpec } from '@minefleet/domain/server-properties';
import { flyingSquidVersions } from '@minefleet/runtime-local/flying-squid-runtime';
import type { API_VERSION, KIND } from '@minefleet/runtime-kubernetes/resource';

/**
 * The MinecraftServer resource, written once as a TypeBox schema. The CRD's OpenAPI schema is generated
 * from it (crd/definition.ts) and the operator validates what it reads with it, so the API server and
 * the operator refuse the same specs. Only keywords a Kubernetes structural schema accepts are used:
 * type, properties, required, enum, minimum/maximum, pattern, lengths, items, default and the
 * x-kubernetes-* extensions.
 */

// The resource's identity is shared with the Kubernetes runtime driver, which writes these resources.
export { API_VERSION, GROUP, KIND, PLURAL, VERSION } from '@minefleet/runtime-kubernetes/resource';

/** Distributions that run the Java edition server jar (everything but the built-in flying-squid). */
export const JAVA_DISTRIBUTIONS = DISTRIBUTIONS.filter(
  (d): d is Exclude<Distribution, 'flying-squid'> => d !== 'flying-squid',
);

/** Memory floors: a Java server below 1 GiB spends its time collecting garbage; flying-squid fits in 256 MiB. */
export const MEMORY_FLOOR_MIB = { java: 1024, flyingSquid: 256 } as const;

/**
 * Desired states. Maintenance (Minefleet's flying-squid image only) runs the pod with the in-pod agent and
 * no game, so the control plane reaches a stopped server's world volume: backups, restores, files.
 */
export const SERVER_STATES = ['Running', 'Stopped', 'Maintenance'] as const;
export const PHASES = [
  'Pending',
  'Provisioning',
  'Starting',
  'Running',
  'Stopping',
  'Stopped',
  'Maintenance',
  'Failed',
] as const;
export type Phase = (typeof PHASES)[number];
export const CONDITION_TYPES = ['Ready', 'Progressing', 'Degraded', 'StorageReady', 'ConfigApplied'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

const StringEnum = <const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** A string without control characters (they would break server.properties and the console). */
const NO_CONTROL = '^[^\\x00-\\x1f\\x7f]*$';
const MINECRAFT_VERSION = '^[0-9]+\\.[0-9]+(\\.[0-9]+)?$';
const MEMORY = '^[1-9][0-9]{0,6}(Mi|Gi)$';
const CPU = '^([1-9][0-9]{0,5}m|[1-9][0-9]{0,2}(\\.[0-9]{1,3})?|0\\.[0-9]{1,3})$';
const STORAGE = '^[1-9][0-9]{0,5}(Mi|Gi|Ti)$';
const DNS_NAME = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$';
const LABEL_KEY = '^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$';
const IMAGE = '^[a-z0-9][a-z0-9._/:@-]{0,511}$';

/** One catalogue entry of server.properties as a schema (the same catalogue the local editor uses). */
function propertySchema(spec: PropertySpec): TSchema {
  switch (spec.type) {
    case 'boolean':
      return Type.Boolean({ description: spec.description });
    case 'integer':
      return Type.Integer({ minimum: spec.min, maximum: spec.max, description: spec.description });
    case 'enum':
      return StringEnum(spec.values, { description: spec.description });
    case 'string':
      return Type.String({
        maxLength: spec.maxLength,
        pattern: 'pattern' in spec && spec.pattern ? spec.pattern : NO_CONTROL,
        description: spec.description,
      });
  }
}

export const PropertiesSchema = Type.Object(
  Object.fromEntries(
    Object.entries(SERVER_PROPERTIES).map(([key, spec]) => [key, Type.Optional(propertySchema(spec))]),
  ),
  {
    description:
      'server.properties keys from the catalogue (ports, RCON and max-players are managed by the operator).',
  },
);

/** A string-to-string map as `additionalProperties` (the form a structural schema accepts). */
const StringMap = (description: string, maxProperties: number) =>
  Type.Unsafe<Record<string, string>>({
    type: 'object',
    additionalProperties: { type: 'string', maxLength: 1024 },
    description,
    maxProperties,
  });

export const TolerationSchema = Type.Object({
  key: Type.Optional(Type.String({ maxLength: 316, pattern: LABEL_KEY })),
  operator: Type.Optional(StringEnum(['Exists', 'Equal'] as const)),
  value: Type.Optional(Type.String({ maxLength: 63 })),
  effect: Type.Optional(StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'] as const)),
  tolerationSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 31_536_000 })),
});

/** Rules spanning fields, enforced by the API server as CEL and by the operator in crossFieldProblems(). */
export const SPEC_RULES = [
  {
    rule: `!(self.server.distribution in ${JSON.stringify(JAVA_DISTRIBUTIONS)}) || self.eula == true`,
    message:
      'spec.eula must be true to run a Java distribution (you accept the Minecraft EULA: https://aka.ms/MinecraftEULA)',
  },
  {
    rule:
      `!has(self.resources) || !has(self.resources.memory) || self.server.distribution == 'flying-squid' || ` +
      `(self.resources.memory.endsWith('Gi') ? int(self.resources.memory.substring(0, size(self.resources.memory) - 2)) * 1024 : ` +
      `int(self.resources.memory.substring(0, size(self.resources.memory) - 2))) >= ${MEMORY_FLOOR_MIB.java}`,
    message: `spec.resources.memory must be at least ${MEMORY_FLOOR_MIB.java}Mi (1Gi) for a Java distribution`,
  },
  {
    rule:
      `!has(self.resources) || !has(self.resources.memory) || ` +
      `(self.resources.memory.endsWith('Gi') ? int(self.resources.memory.substring(0, size(self.resources.memory) - 2)) * 1024 : ` +
      `int(self.resources.memory.substring(0, size(self.resources.memory) - 2))) >= ${MEMORY_FLOOR_MIB.flyingSquid}`,
    message: `spec.resources.memory must be at least ${MEMORY_FLOOR_MIB.flyingSquid}Mi`,
  },
  {
    rule: `self.server.distribution != 'flying-squid' || self.server.version in ${JSON.stringify(flyingSquidVersions())}`,
    message: `spec.server.version is not a version flying-squid supports (${flyingSquidVersions().join(', ')})`,
  },
] as const;

export const SpecSchema = Type.Object(
  {
    eula: Type.Boolean({
      default: false,
      description:
        'You accept the Minecraft EULA (https://aka.ms/MinecraftEULA); required for Java distributions.',
    }),
    server: Type.Object({
      distribution: StringEnum(DISTRIBUTIONS, { description: 'Server software.' }),
      version: Type.String({
        pattern: MINECRAFT_VERSION,
        maxLength: 32,
        description: 'Minecraft version, e.g. 1.21.4.',
      }),
    }),
    image: Type.Optional(
      Type.String({ pattern: IMAGE, maxLength: 512, description: 'Container image override.' }),
    ),
    state: StringEnum(SERVER_STATES, {
      default: 'Running',
      description:
        'Desired state. Maintenance runs the in-pod agent without the game (flying-squid image only): the world volume is reachable for backups, restores and files.',
    }),
    maxPlayers: Type.Integer({ minimum: 1, maximum: 10_000, default: 20, description: 'Player slots.' }),
    resources: Type.Object(
      {
        cpu: Type.String({ pattern: CPU, default: '1', description: 'CPU request (e.g. 500m, 2).' }),
        memory: Type.String({
          pattern: MEMORY,
          maxLength: 9,
          default: '2Gi',
          description: 'Memory request and limit (Mi or Gi); the JVM heap is derived from it.',
        }),
      },
      { default: { cpu: '1', memory: '2Gi' } },
    ),
    jvm: Type.Optional(
      Type.Object({
        extraArgs: Type.Array(Type.String({ maxLength: 256, pattern: '^-[^\\x00-\\x1f\\x7f ]*$' }), {
          maxItems: 32,
          default: [],
          description: 'Extra JVM flags (each starts with -).',
        }),
      }),
    ),
    preStartCommands: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 1000, pattern: '^[^\\x00-\\x1f\\x7f]*$' }), {
        maxItems: 20,
        description:
          'Console commands the game runs before players can join, once per start (the process-generation annotation names the start; flying-squid image only).',
      }),
    ),
    properties: Type.Optional(PropertiesSchema),
    storage: Type.Object(
      {
        size: Type.String({ pattern: STORAGE, default: '10Gi', description: 'Size of the world volume.' }),
        storageClassName: Type.Optional(Type.String({ pattern: DNS_NAME, maxLength: 253 })),
        retainOnDelete: Type.Boolean({
          default: true,
          description: 'Keep the world volume when the MinecraftServer is deleted.',
        }),
      },
      {
        default: { size: '10Gi', retainOnDelete: true },
        // A StatefulSet's volume claim template cannot change; say so when the spec is written.
        'x-kubernetes-validations': [
          { rule: 'self.size == oldSelf.size', message: 'spec.storage.size cannot change after creation' },
          {
            rule: 'has(self.storageClassName) == has(oldSelf.storageClassName) && (!has(self.storageClassName) || self.storageClassName == oldSelf.storageClassName)',
            message: 'spec.storage.storageClassName cannot change after creation',
          },
        ],
      },
    ),
    network: Type.Object(
      {
        serviceType: StringEnum(['ClusterIP', 'NodePort', 'LoadBalancer'] as const, { default: 'ClusterIP' }),
        port: Type.Integer({ minimum: 1, maximum: 65_535, default: 25_565 }),
        hostnames: Type.Array(Type.String({ pattern: DNS_NAME, maxLength: 253 }), {
          maxItems: 16,
          default: [],
          description: 'DNS names for the Service (external-dns annotation).',
        }),
      },
      { default: { serviceType: 'ClusterIP', port: 25_565, hostnames: [] } },
    ),
    shutdown: Type.Object(
      {
        announceSeconds: Type.Integer({ minimum: 0, maximum: 300, default: 10 }),
        stopTimeoutSeconds: Type.Integer({ minimum: 10, maximum: 600, default: 60 }),
      },
      { default: { announceSeconds: 10, stopTimeoutSeconds: 60 } },
    ),
    podOverrides: Type.Optional(
      Type.Object({
        nodeSelector: Type.Optional(StringMap('Node labels the pod must run on.', 32)),
        tolerations: Type.Optional(Type.Array(TolerationSchema, { maxItems: 32 })),
        annotations: Type.Optional(StringMap('Extra pod annotations.', 64)),
      }),
    ),
  },
  { 'x-kubernetes-validations': SPEC_RULES.map((r) => ({ ...r })) },
);
export type MinecraftServerSpec = Static<typeof SpecSchema>;

export const ConditionSchema = Type.Object({
  type: StringEnum(CONDITION_TYPES),
  status: StringEnum(['True', 'False', 'Unknown'] as const),
  reason: Type.String({ maxLength: 1024, pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$' }),
  message: Type.String({ maxLength: 32_768 }),
  observedGeneration: Type.Integer({ minimum: 0 }),
  lastTransitionTime: Type.String({ format: 'date-time' }),
});
export type Condition = Static<typeof ConditionSchema>;

export const StatusSchema = Type.Object({
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
  phase: Type.Optional(StringEnum(PHASES)),
  conditions: Type.Optional(
    Type.Array(ConditionSchema, {
      maxItems: 16,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['type'],
    }),
  ),
  endpoint: Type.Optional(Type.Object({ host: Type.String(), port: Type.Integer() })),
  resolved: Type.Optional(Type.Object({ image: Type.String(), version: Type.String() })),
  players: Type.Optional(
    Type.Object({ online: Type.Optional(Type.Integer({ minimum: 0 })), max: Type.Integer({ minimum: 0 }) }),
  ),
  lastStartedAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export type MinecraftServerStatus = Static<typeof StatusSchema>;

export interface MinecraftServer {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: {
    name: string;
    namespace: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    deletionTimestamp?: string;
    finalizers?: string[];
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    creationTimestamp?: string;
  };
  spec: MinecraftServerSpec;
  status?: MinecraftServerStatus;
}
