import { describe, expect, it } from 'vitest';
import type { V1PersistentVolumeClaim, V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import { checkSpec } from './crd/validate.js';
import type { MinecraftServer, MinecraftServerSpec } from './crd/schema.js';
import { buildStatus, mergeConditions, observe, statusChanged, type DesiredCondition } from './status.js';

const spec = (extra: Record<string, unknown> = {}): MinecraftServerSpec => {
  const c = checkSpec({ server: { distribution: 'flying-squid', version: '1.21.4' }, ...extra });
  if (!c.ok) throw new Error(c.problems.join());
  return c.spec;
};
const sts: V1StatefulSet = { metadata: { name: 's' }, status: { replicas: 1, availableReplicas: 0 } };
const claim = (phase: string): V1PersistentVolumeClaim => ({
  metadata: { name: 'data-s-0' },
  status: { phase },
});
const pod = (ready: boolean, hash = 'h1', waiting?: string): V1Pod => ({
  metadata: { name: 's-0', annotations: { 'minefleet.io/config-hash': hash } },
  status: {
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    containerStatuses: [
      {
        name: 'minecraft',
        image: 'i',
        imageID: '',
        ready,
        restartCount: 0,
        state: waiting
          ? { waiting: { reason: waiting, message: 'back-off' } }
          : { running: { startedAt: new Date('2026-01-02T03:04:05Z') } },
      },
    ],
  },
});
const byType = (conditions: DesiredCondition[]) => Object.fromEntries(conditions.map((c) => [c.type, c]));

describe('observe', () => {
  it('follows a Running server from nothing to ready', () => {
    expect(observe({ spec: spec() }).phase).toBe('Pending');
    expect(observe({ spec: spec(), statefulSet: sts }).phase).toBe('Provisioning');
    expect(observe({ spec: spec(), statefulSet: sts, claim: claim('Pending') }).phase).toBe('Provisioning');
    const starting = observe({
      spec: spec(),
      statefulSet: sts,
      claim: claim('Bound'),
      pod: pod(false),
      configHash: 'h1',
    });
    expect(starting.phase).toBe('Starting');
    expect(byType(starting.conditions)['StorageReady']).toMatchObject({ status: 'True', reason: 'Bound' });
    const running = observe({
      spec: spec(),
      statefulSet: sts,
      claim: claim('Bound'),
      pod: pod(true),
      configHash: 'h1',
    });
    expect(running.phase).toBe('Running');
    expect(running.lastStartedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(byType(running.conditions)).toMatchObject({
      Ready: { status: 'True' },
      Progressing: { status: 'False', reason: 'Converged' },
      Degraded: { status: 'False' },
      ConfigApplied: { status: 'True', reason: 'Applied' },
    });
  });

  it('reports a settings change until the pod with the new hash is ready', () => {
    const o = observe({
      spec: spec(),
      statefulSet: sts,
      claim: claim('Bound'),
      pod: pod(true, 'old'),
      configHash: 'new',
    });
    expect(o.phase).toBe('Running');
    expect(byType(o.conditions)).toMatchObject({
      ConfigApplied: { status: 'False', reason: 'Restarting' },
      Progressing: { status: 'True', reason: 'RollingUpdate' },
    });
  });

  it('Stopped: Stopping while a pod is left, Stopped when none is', () => {
    const stopped = spec({ state: 'Stopped' });
    expect(observe({ spec: stopped, statefulSet: sts, pod: pod(true) }).phase).toBe('Stopping');
    const gone = observe({ spec: stopped, statefulSet: { status: { replicas: 0 } }, claim: claim('Bound') });
    expect(gone.phase).toBe('Stopped');
    expect(byType(gone.conditions)['Ready']).toMatchObject({ status: 'False', reason: 'Stopped' });
  });

  it('Maintenance: Starting until the marked pod (the agent alone) is ready, then Maintenance, never Ready', () => {
    const maintained = spec({ state: 'Maintenance' });
    const marked = (ready: boolean): V1Pod => {
      const p = pod(ready);
      p.metadata!.labels = { 'minefleet.io/mode': 'maintenance' };
      return p;
    };
    const bound = claim('Bound');
    // The game's pod, still there from before: being replaced.
    expect(observe({ spec: maintained, statefulSet: sts, pod: pod(true), claim: bound }).phase).toBe(
      'Starting',
    );
    expect(observe({ spec: maintained, statefulSet: sts, pod: marked(false), claim: bound }).phase).toBe(
      'Starting',
    );
    const ready = observe({ spec: maintained, statefulSet: sts, pod: marked(true), claim: bound });
    expect(ready.phase).toBe('Maintenance');
    expect(byType(ready.conditions)['Ready']).toMatchObject({ status: 'False', reason: 'Maintenance' });
    expect(byType(ready.conditions)['Progressing']).toMatchObject({ status: 'False', reason: 'Maintenance' });
    expect(ready.lastStartedAt).toBeUndefined();
    // And the reverse: a maintenance pod while the game is wanted is not Running.
    const running = spec({ state: 'Running' });
    expect(observe({ spec: running, statefulSet: sts, pod: marked(true), claim: bound }).phase).toBe(
      'Starting',
    );
  });

  it('a crash-looping container is Failed and Degraded with the kubelet reason', () => {
    const o = observe({
      spec: spec(),
      statefulSet: sts,
      claim: claim('Bound'),
      pod: pod(false, 'h1', 'CrashLoopBackOff'),
    });
    expect(o.phase).toBe('Failed');
    expect(byType(o.conditions)['Degraded']).toMatchObject({ status: 'True', reason: 'CrashLoopBackOff' });
  });

  it('an invalid spec is Failed with the problems as the message', () => {
    const o = observe({ spec: { problems: ['spec.eula must be true'] } });
    expect(o.phase).toBe('Failed');
    expect(byType(o.conditions)['Degraded']).toMatchObject({
      status: 'True',
      reason: 'InvalidSpec',
      message: 'spec.eula must be true',
    });
  });

  it('an apply error makes the server Degraded', () => {
    const o = observe({ spec: spec(), statefulSet: sts, applyError: 'Forbidden' });
    expect(byType(o.conditions)['Degraded']).toMatchObject({
      status: 'True',
      reason: 'ApplyFailed',
      message: 'Forbidden',
    });
  });
});

describe('mergeConditions', () => {
  const t0 = new Date('2026-01-01T00:00:00Z');
  const t1 = new Date('2026-01-01T00:05:00Z');
  const ready = (status: 'True' | 'False', reason: string): DesiredCondition => ({
    type: 'Ready',
    status,
    reason,
    message: reason,
  });

  it('lastTransitionTime moves only when the status changes', () => {
    const first = mergeConditions(undefined, [ready('False', 'Starting')], 1, t0);
    expect(first[0]).toMatchObject({ lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 1 });
    const sameStatus = mergeConditions(first, [ready('False', 'Provisioning')], 2, t1);
    expect(sameStatus[0]).toMatchObject({
      reason: 'Provisioning',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 2,
    });
    const flipped = mergeConditions(sameStatus, [ready('True', 'Ok')], 2, t1);
    expect(flipped[0]!.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  });
});

describe('buildStatus / statusChanged', () => {
  const server: MinecraftServer = {
    apiVersion: 'minefleet.io/v1alpha1',
    kind: 'MinecraftServer',
    metadata: { name: 's', namespace: 'n', uid: 'u', generation: 4 },
    spec: spec(),
  };
  it('a second reconcile of the same state writes nothing', () => {
    const observed = observe({ spec: spec() });
    const extra = { endpoint: { host: 's.n.svc', port: 25565 } };
    const first = buildStatus(server, observed, extra, new Date('2026-01-01T00:00:00Z'));
    expect(first.observedGeneration).toBe(4);
    const again = buildStatus(
      { ...server, status: first },
      observed,
      extra,
      new Date('2026-01-01T01:00:00Z'),
    );
    expect(statusChanged(first, again)).toBe(false);
    expect(statusChanged(first, { ...again, phase: 'Running' })).toBe(true);
  });
});
