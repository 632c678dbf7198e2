// Tenant isolation on the network: the NetworkPolicies the driver keeps in the servers' namespace so a
// game pod accepts traffic from pods of its own tenant and from the platform, and from nothing else
// (docs/kubernetes.md, "One namespace, tenants told apart by labels").
import { isStatus, type KubeApi } from './kube/client.js';
import {
  AGENT_PORT,
  CREATED_BY,
  GROUP,
  MANAGED_BY_OPERATOR as GAME_POD,
  PLURAL,
  TENANT_LABEL,
  VERSION,
} from './resource.js';

export const DEFAULT_POLICY = 'minefleet-servers-default';
export const GAME_PORT = 25565;

export interface IsolationOptions {
  /**
   * The platform's pods that may reach every game pod's port (server-list pings of the control plane and
   * the operator, players through the gateway): the namespace they run in, and their labels. Default:
   * pods labelled `app.kubernetes.io/part-of: minefleet` (the Helm chart's control plane, operator and
   * gateway) in the servers' own namespace.
   */
  platform?: { namespace?: string; podLabels?: Record<string, string> };
  /** Address ranges game pods may not reach (the cluster's pod and service ranges). */
  privateCidrs?: string[];
}

type Labels = Record<string, string>;

export interface NetworkPolicy {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'NetworkPolicy';
  metadata: { name: string; namespace: string; labels: Labels };
  spec: Record<string, unknown>;
}

export const tenantPolicyName = (tenantId: string) => `minefleet-tenant-${tenantId}`;
const policiesPath = (namespace: string, name?: string) =>
  `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies${name ? `/${name}` : ''}`;

/** Every game pod: nothing in but the platform on the game and agent ports; out only to DNS and off-cluster. */
export function defaultPolicy(namespace: string, options: IsolationOptions = {}): NetworkPolicy {
  const platform = options.platform ?? {};
  const cidrs = options.privateCidrs ?? ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: DEFAULT_POLICY, namespace, labels: { ...CREATED_BY } },
    spec: {
      podSelector: { matchLabels: { ...GAME_POD } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [
            {
              namespaceSelector: {
                matchLabels: { 'kubernetes.io/metadata.name': platform.namespace ?? namespace },
              },
              podSelector: {
                matchLabels: platform.podLabels ?? { 'app.kubernetes.io/part-of': 'minefleet' },
              },
            },
          ],
          // The game, and the in-pod agent (the console): from the platform only.
          ports: [
            { port: GAME_PORT, protocol: 'TCP' },
            { port: AGENT_PORT, protocol: 'TCP' },
          ],
        },
      ],
      egress: [
        {
          to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: cidrs } }] },
      ],
    },
  };
}

/** One per tenant: its own game pods may reach each other (a proxy in front of a lobby, say). */
export function tenantPolicy(namespace: string, tenantId: string): NetworkPolicy {
  const tenant = { [TENANT_LABEL]: tenantId };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: tenantPolicyName(tenantId), namespace, labels: { ...CREATED_BY, ...tenant } },
    spec: {
      podSelector: { matchLabels: { ...GAME_POD, ...tenant } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { ...GAME_POD, ...tenant } } }] }],
      egress: [{ to: [{ podSelector: { matchLabels: { ...GAME_POD, ...tenant } } }] }],
    },
  };
}

/**
 * Keeps the policies: the default one and a tenant's own are written when the tenant's server is
 * deployed (a policy that exists is replaced, so a changed setting takes effect); the tenant's is deleted
 * with its last server. Policies only add up, so a pod of another tenant matches no rule and is refused.
 */
export class TenantIsolation {
  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    private readonly options: IsolationOptions = {},
  ) {}

  async ensure(tenantId: string, signal?: AbortSignal): Promise<void> {
    await this.apply(defaultPolicy(this.namespace, this.options), signal);
    await this.apply(tenantPolicy(this.namespace, tenantId), signal);
  }

  /**
   * Deletes the tenant's policy when none of its servers is left in the namespace. A server of the
   * tenant deployed meanwhile (its `ensure` ran between our reading and our delete) would be left without
   * its policy: the servers are read again afterwards, and the policy put back if one is there.
   */
  async release(tenantId: string): Promise<void> {
    if (await this.hasLiveServers(tenantId)) return;
    try {
      await this.api.request('DELETE', policiesPath(this.namespace, tenantPolicyName(tenantId)));
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
    }
    if (await this.hasLiveServers(tenantId)) await this.apply(tenantPolicy(this.namespace, tenantId));
  }

  private async hasLiveServers(tenantId: string): Promise<boolean> {
    const selector = encodeURIComponent(`${TENANT_LABEL}=${tenantId}`);
    const left = await this.api.request<{ items: { metadata: { deletionTimestamp?: string } }[] }>(
      'GET',
      `/apis/${GROUP}/${VERSION}/namespaces/${this.namespace}/${PLURAL}?labelSelector=${selector}`,
    );
    return left.items.some((item) => !item.metadata.deletionTimestamp);
  }

  /**
   * Creates the policy, or replaces it when it exists. The tenant's last server being deleted at the same
   * moment may delete it between the two (the replace then finds nothing: 404): it is created again. A
   * CI run found that race (a deploy failed with the policy "not found").
   */
  private async apply(policy: NetworkPolicy, signal?: AbortSignal): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.api.request('POST', policiesPath(this.namespace), { body: policy, signal });
        return;
      } catch (error) {
        if (!isStatus(error, 409)) throw error;
      }
      try {
        await this.api.request('PUT', policiesPath(this.namespace, policy.metadata.name), {
          body: policy,
          signal,
        });
        return;
      } catch (error) {
        if (!isStatus(error, 404) || attempt >= 3) throw error;
      }
    }
  }
}
