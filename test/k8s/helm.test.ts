// The Helm chart: lint and render with default and production-like values. The rendered manifests are
// also checked by the API server itself (kubectl apply --dry-run=server) in operator.test.ts.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { CHART, helm, PRODUCTION_VALUES, render } from './helm.js';

const objects = (yaml: string) =>
  parseAllDocuments(yaml)
    .map(
      (d) =>
        d.toJSON() as {
          kind: string;
          metadata: { name: string; namespace?: string };
          spec?: Record<string, unknown>;
        } | null,
    )
    .filter((o): o is NonNullable<typeof o> => o !== null);

describe('Helm chart', () => {
  it('helm lint is clean with default and production-like values', async () => {
    for (const values of [[], ['-f', PRODUCTION_VALUES]]) {
      const { stdout } = await helm(['lint', '--strict', CHART, ...values]);
      expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
  });

  it('renders everything a deployment needs', async () => {
    const all = objects(await render());
    const kinds = all.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ClusterRole/mf-minefleet-control-plane',
        'ClusterRole/mf-minefleet-operator',
        'ClusterRoleBinding/mf-minefleet-control-plane',
        'ClusterRoleBinding/mf-minefleet-operator',
        'CustomResourceDefinition/minecraftservers.minefleet.io',
        'Deployment/mf-minefleet-control-plane',
        'Deployment/mf-minefleet-operator',
        'NetworkPolicy/mf-minefleet-control-plane',
        'NetworkPolicy/mf-minefleet-operator',
        'PodDisruptionBudget/mf-minefleet-control-plane',
        'PodDisruptionBudget/mf-minefleet-operator',
        'Role/mf-minefleet-operator-leader-election',
        'RoleBinding/mf-minefleet-operator-leader-election',
        'Secret/mf-minefleet-control-plane-jwt',
        'Service/mf-minefleet-control-plane',
        'ServiceAccount/mf-minefleet-control-plane',
        'ServiceAccount/mf-minefleet-operator',
      ].sort(),
    );
    const operator = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mf-minefleet-operator')!;
    expect(operator.spec!['replicas']).toBe(2);
    // No embedded database can be shared: without an external one the control plane runs one replica.
    const cp = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mf-minefleet-control-plane')!;
    expect(cp.spec!['replicas']).toBe(1);
  });

  it('production-like values: two+ replicas, secrets only by reference, a namespaced Role', async () => {
    const text = await render(PRODUCTION_VALUES);
    const all = objects(text);
    const cp = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mf-minefleet-control-plane')!;
    expect(cp.spec!['replicas']).toBe(3);
    expect(all.some((o) => o.kind === 'Secret')).toBe(false);
    expect(text).toContain('name: minefleet-database');
    expect(text).toContain('nats://nats.nats.svc:4222');
    const role = all.find((o) => o.kind === 'Role' && o.metadata.name === 'mf-minefleet-operator')!;
    expect(role.metadata.namespace).toBe('games');
    // On the Kubernetes runtime the control plane reads the servers' console passwords (their agents'
    // proof): `get` on Secrets in the servers' namespace, nothing more and nowhere else.
    const consoles = all.find(
      (o) => o.kind === 'Role' && o.metadata.name === 'mf-minefleet-control-plane-consoles',
    )!;
    expect(consoles.metadata.namespace).toBe('games');
    expect((consoles as unknown as { rules: unknown }).rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['get'] },
    ]);
    const clusterRole = all.find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'mf-minefleet-control-plane',
    ) as unknown as { rules: { resources: string[] }[] };
    expect(clusterRole.rules.flatMap((r) => r.resources)).not.toContain('secrets');
    for (const d of all.filter((o) => o.kind === 'Deployment')) {
      const pod = (
        d.spec!['template'] as {
          spec: { securityContext: unknown; containers: { securityContext: unknown; resources: unknown }[] };
        }
      ).spec;
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(pod.containers[0]!.securityContext).toMatchObject({
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
      });
      expect(pod.containers[0]!.resources).toHaveProperty('limits.memory');
    }
  });

  it('gateway (opt-in, on Kubernetes): two replicas behind one public Minecraft port, the control plane external to it', async () => {
    const all = objects(await render(PRODUCTION_VALUES));
    type Container = { command?: string[]; env: { name: string; value?: string }[] };
    const podOf = (name: string) =>
      (
        all.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!.spec!['template'] as {
          spec: { serviceAccountName: string; containers: Container[] };
        }
      ).spec;
    const envOf = (c: Container) =>
      Object.fromEntries(c.env.map((e) => [e.name, e.value ?? 'from a secret']));

    const gateway = all.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mf-minefleet-gateway')!;
    expect(gateway.spec!['replicas']).toBe(2);
    const pod = podOf('mf-minefleet-gateway');
    expect(pod.containers[0]!.command).toEqual(['node', 'apps/server/dist/gateway-main.js']);
    expect(envOf(pod.containers[0]!)).toMatchObject({
      MINEFLEET_RUNTIME: 'kubernetes',
      MINEFLEET_K8S_NAMESPACE: 'games',
      MINEFLEET_K8S_ADDRESS: 'service',
      MINEFLEET_GAME_DOMAIN: 'play.example.org',
      MINEFLEET_GATEWAY_PORT: '25565',
      MINEFLEET_GATEWAY_HOST: '0.0.0.0',
      MINEFLEET_GATEWAY_TRUSTED_PROXIES: '10.0.0.0/8',
      DATABASE_URL: 'from a secret',
      NATS_URL: 'nats://nats.nats.svc:4222',
    });
    // The replicas run the same runtime and leave the front door to the gateway.
    expect(envOf(podOf('mf-minefleet-control-plane').containers[0]!)).toMatchObject({
      MINEFLEET_RUNTIME: 'kubernetes',
      MINEFLEET_K8S_NAMESPACE: 'games',
      MINEFLEET_GATEWAY: 'external',
      MINEFLEET_GAME_DOMAIN: 'play.example.org',
    });
    const service = all.find((o) => o.kind === 'Service' && o.metadata.name === 'mf-minefleet-gateway')!;
    expect(service.spec).toMatchObject({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      ports: [{ name: 'minecraft', port: 25565, targetPort: 'minecraft', protocol: 'TCP' }],
    });
    // A wake is the control plane's own start: the gateway is bound to the same role.
    const binding = all.find(
      (o) => o.kind === 'ClusterRoleBinding' && o.metadata.name === 'mf-minefleet-gateway',
    ) as unknown as { roleRef: { name: string }; subjects: { name: string }[] };
    expect(binding.roleRef.name).toBe('mf-minefleet-control-plane');
    expect(binding.subjects[0]!.name).toBe(pod.serviceAccountName);
    for (const kind of ['PodDisruptionBudget', 'NetworkPolicy', 'ServiceAccount'])
      expect(all.some((o) => o.kind === kind && o.metadata.name === 'mf-minefleet-gateway')).toBe(true);

    // Without what it shares with the control plane it is refused with the reason.
    await expect(helm(['template', 'mf', CHART, '--set', 'gateway.enabled=true'])).rejects.toThrow(
      /controlPlane.runtime.kind=kubernetes/,
    );
    await expect(
      helm(['template', 'mf', CHART, '--set', 'gateway.enabled=true,controlPlane.runtime.kind=kubernetes']),
    ).rejects.toThrow(/controlPlane.database.existingSecret and controlPlane.nats.url/);
  });

  it('monitoring (opt-in): the alert rules of deploy/monitoring as a PrometheusRule, scraped as the rules expect', async () => {
    // The chart cannot read outside its folder: it carries a copy of the rule file, kept identical.
    const rules = await readFile(path.resolve(CHART, '../../monitoring/alerts.yml'), 'utf8');
    expect(await readFile(path.join(CHART, 'files/alerts.yml'), 'utf8')).toBe(rules);

    const { stdout } = await helm([
      'template',
      'mf',
      CHART,
      '--namespace',
      'minefleet',
      '--set',
      'monitoring.serviceMonitor.enabled=true,monitoring.prometheusRule.enabled=true',
      '--set',
      'controlPlane.metricsToken.existingSecret=mf-metrics,monitoring.serviceMonitor.labels.release=kps',
    ]);
    const all = objects(stdout);
    const rule = all.find((o) => o.kind === 'PrometheusRule')!;
    expect(rule.spec).toEqual(parse(rules));
    const sm = all.find((o) => o.kind === 'ServiceMonitor')!;
    expect(sm.metadata).toMatchObject({ name: 'mf-minefleet-control-plane', labels: { release: 'kps' } });
    expect(sm.spec!['endpoints']).toEqual([
      {
        port: 'http',
        path: '/metrics',
        interval: '30s',
        authorization: { type: 'Bearer', credentials: { name: 'mf-metrics', key: 'metrics-token' } },
        relabelings: [{ targetLabel: 'job', replacement: 'minefleet' }],
      },
    ]);
    const pm = all.find((o) => o.kind === 'PodMonitor')!;
    expect(pm.spec!['podMetricsEndpoints']).toMatchObject([
      { port: 'metrics', relabelings: [{ targetLabel: 'job', replacement: 'minefleet-operator' }] },
    ]);
    // The replicas read the token the ServiceMonitor sends.
    expect(stdout).toMatch(/name: MINEFLEET_METRICS_TOKEN\s+valueFrom:\s+secretKeyRef:\s+name: mf-metrics/);

    // Without a token there is nothing a ServiceMonitor could scrape with: refused with the reason.
    await expect(
      helm(['template', 'mf', CHART, '--set', 'monitoring.serviceMonitor.enabled=true']),
    ).rejects.toThrow(/controlPlane.metricsToken.existingSecret/);
  });
});
