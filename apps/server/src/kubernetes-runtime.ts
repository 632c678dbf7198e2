import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { KubeClient } from '@minefleet/runtime-kubernetes/kube/client';
import { KubernetesDriver } from '@minefleet/runtime-kubernetes/kubernetes-driver';
import { GAME_PORT } from '@minefleet/runtime-kubernetes/tenant-isolation';

/** Where game servers run: local processes (the default) or MinecraftServer resources on a cluster. */
export type RuntimeKind = 'local' | 'kubernetes';

/** The Kubernetes runtime driver's settings (docs/kubernetes.md, "Kubernetes runtime driver (preview)"). */
export interface KubernetesRuntimeConfig {
  /** The one namespace every server lives in. */
  namespace: string;
  /** A kubeconfig file; unset: in-cluster credentials, else $KUBECONFIG or ~/.kube/config. */
  kubeconfig: string | undefined;
  /** The namespace of the platform's own pods, allowed to reach game pods (NetworkPolicies). */
  platformNamespace: string | undefined;
  /**
   * How the control plane reaches a game server (pings, players' counts): `service` (the Service the
   * operator made, by cluster DNS) or `pod-ip` (the pod's address, when pod addresses are routable from
   * the control plane and its lookups should not depend on DNS).
   */
  address: 'service' | 'pod-ip';
  acceptEula: boolean;
  /**
   * Seconds a stopped server's maintenance pod (the in-pod agent without the game, for its backups and
   * restores) is kept after its last use, so a restore's safety backup and the restore share one.
   */
  maintenanceLingerSeconds: number;
}

export class KubernetesConfigError extends Error {}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function namespaceSetting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!DNS_LABEL.test(raw))
    throw new KubernetesConfigError(`${name} must be a Kubernetes namespace name (got "${raw}").`);
  return raw;
}

function addressSetting(env: NodeJS.ProcessEnv): KubernetesRuntimeConfig['address'] {
  const raw = env.MINEFLEET_K8S_ADDRESS?.trim() || 'service';
  if (raw !== 'service' && raw !== 'pod-ip')
    throw new KubernetesConfigError(`MINEFLEET_K8S_ADDRESS must be service or pod-ip (got "${raw}").`);
  return raw;
}

function lingerSetting(env: NodeJS.ProcessEnv): number {
  const raw = env.MINEFLEET_K8S_MAINTENANCE_LINGER_SECONDS?.trim() || '30';
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > 3600)
    throw new KubernetesConfigError(
      `MINEFLEET_K8S_MAINTENANCE_LINGER_SECONDS must be a whole number of seconds from 0 to 3600 (got "${raw}").`,
    );
  return value;
}

export function loadRuntimeKind(env: NodeJS.ProcessEnv): RuntimeKind {
  const raw = env.MINEFLEET_RUNTIME?.trim() || 'local';
  if (raw !== 'local' && raw !== 'kubernetes')
    throw new KubernetesConfigError(`MINEFLEET_RUNTIME must be local or kubernetes (got "${raw}").`);
  return raw;
}

export function loadKubernetesRuntimeConfig(
  env: NodeJS.ProcessEnv,
  acceptEula: boolean,
): KubernetesRuntimeConfig {
  return {
    namespace: namespaceSetting(env, 'MINEFLEET_K8S_NAMESPACE') ?? 'minefleet-servers',
    kubeconfig: env.MINEFLEET_KUBECONFIG?.trim() || undefined,
    platformNamespace: namespaceSetting(env, 'MINEFLEET_K8S_PLATFORM_NAMESPACE'),
    address: addressSetting(env),
    acceptEula,
    maintenanceLingerSeconds: lingerSetting(env),
  };
}

/**
 * The Kubernetes runtime driver from its settings. The cluster must have the MinecraftServer CRD and the
 * operator running (the Helm chart installs both).
 */
export async function createKubernetesRuntime(config: KubernetesRuntimeConfig): Promise<RuntimeDriver> {
  // Loaded only here: a control plane on the local runtime never pays for the client library.
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  if (config.kubeconfig) kc.loadFromFile(config.kubeconfig);
  else kc.loadFromDefault();
  const api = new KubeClient(kc, { userAgent: 'minefleet-control-plane' });
  return new KubernetesDriver({
    api,
    namespace: config.namespace,
    acceptEula: config.acceptEula,
    maintenanceLingerMs: config.maintenanceLingerSeconds * 1000,
    isolation: config.platformNamespace ? { platform: { namespace: config.platformNamespace } } : {},
    ...(config.address === 'pod-ip'
      ? {
          address: (_server, pod) =>
            pod.status?.podIP ? { host: pod.status.podIP, port: GAME_PORT } : undefined,
        }
      : {}),
  });
}
