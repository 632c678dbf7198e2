import { describe, expect, it } from 'vitest';
import { parseProperties } from '@minefleet/runtime-local/properties-file';
import type { MinecraftServer, MinecraftServerSpec } from '../crd/schema.js';
import { checkSpec } from '../crd/validate.js';
import { buildConfigMap, configData, configHash } from './config-map.js';
import { buildSecret, generatePassword, RCON_PASSWORD_KEY } from './secret.js';
import { buildService } from './service.js';
import { buildStatefulSet, heapMiB } from './stateful-set.js';

/** Golden objects are stored as the JSON the operator sends. */
const json = (value: unknown) => JSON.stringify(value, null, 2) + '\n';

const images = { java: 'itzg/minecraft-server:java21', flyingSquid: 'ghcr.io/minefleet/flying-squid:0.1.0' };

function server(rawSpec: Record<string, unknown>): { server: MinecraftServer; spec: MinecraftServerSpec } {
  const checked = checkSpec(rawSpec);
  if (!checked.ok) throw new Error(checked.problems.join('; '));
  return {
    spec: checked.spec,
    server: {
      apiVersion: 'minefleet.io/v1alpha1',
      kind: 'MinecraftServer',
      metadata: {
        name: 'survival',
        namespace: 'games',
        uid: '0f0e0d0c-0000-4000-8000-000000000001',
        generation: 3,
      },
      spec: checked.spec,
    },
  };
}

const paper = server({
  eula: true,
  server: { distribution: 'paper', version: '1.21.4' },
  resources: { cpu: '2', memory: '4Gi' },
  jvm: { extraArgs: ['-XX:+UseG1GC', '-XX:MaxGCPauseMillis=50'] },
  properties: { motd: 'Hello = world', difficulty: 'hard', 'white-list': true, 'level-seed': '42' },
  storage: { size: '20Gi', storageClassName: 'fast-ssd', retainOnDelete: true },
  network: { serviceType: 'LoadBalancer', port: 25570, hostnames: ['mc.example.org'] },
  shutdown: { announceSeconds: 30, stopTimeoutSeconds: 120 },
  podOverrides: {
    nodeSelector: { 'minefleet.io/pool': 'games' },
    tolerations: [{ key: 'games', operator: 'Exists', effect: 'NoSchedule' }],
    annotations: { 'prometheus.io/scrape': 'false' },
  },
});
const squid = server({
  server: { distribution: 'flying-squid', version: '1.21.4' },
  resources: { memory: '512Mi' },
  state: 'Stopped',
  storage: { retainOnDelete: false },
});

describe('golden objects', () => {
  it('paper: ConfigMap, StatefulSet, Service, Secret', async () => {
    const data = configData(paper.spec);
    const hash = configHash(data);
    await expect(json(buildConfigMap(paper.server, paper.spec))).toMatchFileSnapshot(
      'golden/paper-configmap.json',
    );
    await expect(
      json(buildStatefulSet(paper.server, paper.spec, { images, configHash: hash })),
    ).toMatchFileSnapshot('golden/paper-statefulset.json');
    await expect(json(buildService(paper.server, paper.spec))).toMatchFileSnapshot(
      'golden/paper-service.json',
    );
    await expect(json(buildSecret(paper.server, 'not-a-real-password'))).toMatchFileSnapshot(
      'golden/paper-secret.json',
    );
  });

  it('flying-squid: ConfigMap and StatefulSet', async () => {
    const hash = configHash(configData(squid.spec));
    await expect(json(buildConfigMap(squid.server, squid.spec))).toMatchFileSnapshot(
      'golden/flying-squid-configmap.json',
    );
    await expect(
      json(buildStatefulSet(squid.server, squid.spec, { images, configHash: hash })),
    ).toMatchFileSnapshot('golden/flying-squid-statefulset.json');
  });
});

describe('StatefulSet', () => {
  const sts = buildStatefulSet(paper.server, paper.spec, { images, configHash: 'abc' });
  const pod = sts.spec!.template.spec!;
  const container = pod.containers[0]!;
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));

  it('gives the pod time to announce, save and stop before Kubernetes kills it', () => {
    expect(pod.terminationGracePeriodSeconds).toBe(30 + 120 + 15);
    expect(container.lifecycle?.preStop?.exec?.command?.join(' ')).toContain('sleep 30');
    expect(container.lifecycle?.preStop?.exec?.command?.join(' ')).toContain('save-all flush');
  });

  it('sets memory request = limit, the heap below it, and no CPU limit', () => {
    expect(container.resources).toEqual({ requests: { cpu: '2', memory: '4Gi' }, limits: { memory: '4Gi' } });
    expect(env['MEMORY']).toBe('3072M');
    expect(heapMiB(1024, true)).toBe(768);
    expect(heapMiB(512, false)).toBe(384);
  });

  it('runs the community image with its conventions and the console password from the Secret', () => {
    expect(container.image).toBe(images.java);
    expect(env).toMatchObject({ EULA: 'TRUE', TYPE: 'PAPER', VERSION: '1.21.4', ENABLE_RCON: 'true' });
    expect(env['JVM_OPTS']).toBe('-XX:+UseG1GC -XX:MaxGCPauseMillis=50');
    expect(env['RCON_PASSWORD']).toEqual({
      secretKeyRef: { name: 'survival-console', key: RCON_PASSWORD_KEY },
    });
    expect(container.envFrom).toEqual([{ configMapRef: { name: 'survival-config' } }]);
  });

  it('is locked down: non-root, read-only root filesystem, no capabilities, RuntimeDefault seccomp', () => {
    expect(container.securityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext?.seccompProfile).toEqual({ type: 'RuntimeDefault' });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it('keeps the world volume at /data, retained on delete when asked', () => {
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/data' });
    expect(sts.spec!.volumeClaimTemplates![0]!.spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '20Gi' } },
      storageClassName: 'fast-ssd',
    });
    expect(sts.spec!.persistentVolumeClaimRetentionPolicy?.whenDeleted).toBe('Retain');
    const s = buildStatefulSet(squid.server, squid.spec, { images, configHash: 'x' });
    expect(s.spec!.persistentVolumeClaimRetentionPolicy?.whenDeleted).toBe('Delete');
  });

  it('has one replica when Running and none when Stopped; probes ping the server list', () => {
    expect(sts.spec!.replicas).toBe(1);
    expect(buildStatefulSet(squid.server, squid.spec, { images, configHash: 'x' }).spec!.replicas).toBe(0);
    for (const probe of [container.startupProbe, container.readinessProbe, container.livenessProbe])
      expect(probe?.exec?.command).toEqual(['mc-health']);
  });

  it('Maintenance: one pod, marked, that runs the agent without the game (flying-squid only)', () => {
    const maintained = server({ ...squid.server.spec, state: 'Maintenance' });
    const built = buildStatefulSet(maintained.server, maintained.spec, { images, configHash: 'x' });
    expect(built.spec!.replicas).toBe(1);
    expect(built.spec!.template.metadata!.labels).toMatchObject({ 'minefleet.io/mode': 'maintenance' });
    expect(built.spec!.template.spec!.containers[0]!.env).toContainEqual({
      name: 'MINEFLEET_MODE',
      value: 'maintenance',
    });
    // The game's pod has neither: a start replaces the maintenance pod.
    const running = buildStatefulSet(
      squid.server,
      { ...squid.spec, state: 'Running' },
      { images, configHash: 'x' },
    );
    expect(running.spec!.template.metadata!.labels).not.toHaveProperty(['minefleet.io/mode']);
    expect(running.spec!.template.spec!.containers[0]!.env?.map((e) => e.name)).not.toContain(
      'MINEFLEET_MODE',
    );
    // The Java image has no agent to run alone.
    const java = checkSpec({ ...paper.server.spec, state: 'Maintenance' });
    expect(java.ok).toBe(false);
    expect(java.ok ? [] : java.problems).toContain(
      'spec.state Maintenance needs the in-pod agent of the flying-squid image; the Java image has none',
    );
  });

  it('passes a start’s pre-start commands with its generation to the flying-squid image; refuses them for Java', () => {
    const started = server({
      ...squid.server.spec,
      state: 'Running',
      preStartCommands: ['whitelist add Boss'],
    });
    started.server.metadata.annotations = { 'minefleet.io/process-generation': '7' };
    const env = buildStatefulSet(started.server, started.spec, { images, configHash: 'x' }).spec!.template
      .spec!.containers[0]!.env;
    expect(env).toContainEqual({
      name: 'MINEFLEET_PRE_START_COMMANDS',
      value: JSON.stringify({ generation: '7', commands: ['whitelist add Boss'] }),
    });
    const none = buildStatefulSet(
      squid.server,
      { ...squid.spec, state: 'Running' },
      { images, configHash: 'x' },
    );
    expect(none.spec!.template.spec!.containers[0]!.env?.map((e) => e.name)).not.toContain(
      'MINEFLEET_PRE_START_COMMANDS',
    );
    const java = checkSpec({ ...paper.server.spec, preStartCommands: ['op Boss'] });
    expect(java.ok ? [] : java.problems).toContain(
      'spec.preStartCommands needs the launcher of the flying-squid image; the Java image has none',
    );
  });

  it('puts the config hash in the pod template, above any user annotation of the same name', () => {
    const withClash = server({
      ...paper.spec,
      podOverrides: { annotations: { 'minefleet.io/config-hash': 'user' } },
    });
    const s = buildStatefulSet(withClash.server, withClash.spec, { images, configHash: 'real' });
    expect(s.spec!.template.metadata!.annotations!['minefleet.io/config-hash']).toBe('real');
  });

  it('owns every object through a controller owner reference', () => {
    for (const obj of [sts, buildService(paper.server, paper.spec), buildConfigMap(paper.server, paper.spec)])
      expect(obj.metadata!.ownerReferences).toEqual([
        {
          apiVersion: 'minefleet.io/v1alpha1',
          kind: 'MinecraftServer',
          name: 'survival',
          uid: paper.server.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
  });
});

describe('ConfigMap', () => {
  it('Java: the community image environment, with the managed keys', () => {
    expect(configData(paper.spec)).toEqual({
      DIFFICULTY: 'hard',
      ENABLE_STATUS: 'true',
      ENABLE_WHITELIST: 'true',
      MAX_PLAYERS: '20',
      MOTD: 'Hello = world',
      SEED: '42',
      SERVER_PORT: '25565',
    });
  });

  it('flying-squid: a server.properties file, escaped the way Java reads it', () => {
    const text = configData(
      server({
        server: { distribution: 'flying-squid', version: '1.21.4' },
        properties: { motd: 'a=b:c\\d' },
      }).spec,
    )['server.properties']!;
    expect(Object.fromEntries(parseProperties(text))).toEqual({
      'enable-status': 'true',
      'max-players': '20',
      motd: 'a=b:c\\d',
      'server-port': '25565',
    });
  });

  it('the hash changes with the settings and not with key order', () => {
    expect(configHash({ A: '1', B: '2' })).toBe(configHash({ B: '2', A: '1' }));
    expect(configHash({ A: '1' })).not.toBe(configHash({ A: '2' }));
  });
});

describe('Secret', () => {
  it('holds a fresh random password', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(generatePassword()).not.toBe(a);
    const secret = buildSecret(paper.server, a);
    expect(Buffer.from(secret.data![RCON_PASSWORD_KEY]!, 'base64').toString()).toBe(a);
  });
});

describe('Service', () => {
  it('names its port minecraft, takes the type from the spec and publishes hostnames', () => {
    const svc = buildService(paper.server, paper.spec);
    expect(svc.spec).toEqual({
      type: 'LoadBalancer',
      selector: { 'minefleet.io/server': 'survival' },
      ports: [{ name: 'minecraft', port: 25570, targetPort: 'minecraft', protocol: 'TCP' }],
    });
    expect(svc.metadata!.annotations).toEqual({
      'external-dns.alpha.kubernetes.io/hostname': 'mc.example.org',
    });
  });
});
