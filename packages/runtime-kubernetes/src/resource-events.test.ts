// What the driver's watch turns resource changes into, for the cases the cluster test cannot play: a crash
// loop the operator reports as Failed, and a resource deleted under a running server.
import { describe, expect, it } from 'vitest';
import { exitAnnotation, observation } from './observe.js';
import { eventsOf } from './resource-events.js';
import {
  EXIT_ANNOTATION,
  GENERATION_ANNOTATION,
  SERVER_ID_LABEL,
  STARTED_AT_ANNOTATION,
  type ServerResource,
} from './resource.js';

const now = new Date('2026-01-02T03:04:05Z');

function resource(
  state: 'Running' | 'Stopped',
  phase: NonNullable<ServerResource['status']>['phase'],
  annotations: Record<string, string> = {},
): ServerResource {
  return {
    apiVersion: 'minefleet.io/v1alpha1',
    kind: 'MinecraftServer',
    metadata: {
      name: 'mc-s1',
      namespace: 'servers',
      labels: { [SERVER_ID_LABEL]: 's1' },
      annotations: {
        [GENERATION_ANNOTATION]: '4',
        [STARTED_AT_ANNOTATION]: '2026-01-02T03:00:00.000Z',
        ...annotations,
      },
    },
    spec: {
      eula: false,
      server: { distribution: 'flying-squid', version: '1.20.2' },
      state,
      maxPlayers: 5,
      resources: { cpu: '1', memory: '512Mi' },
      properties: {},
    },
    status: {
      phase,
      conditions:
        phase === 'Failed'
          ? [{ type: 'Degraded', status: 'True', reason: 'CrashLoopBackOff', message: 'back-off 10s' }]
          : [],
    },
  };
}

describe('runtime events from MinecraftServer changes', () => {
  it('a crash loop (Failed while Running) is one exit with the operator reason, and not alive', () => {
    const failed = resource('Running', 'Failed');
    const events = eventsOf(failed, 'modified', resource('Running', 'Running'), now);
    expect(events).toEqual([
      {
        type: 'console',
        serverId: 's1',
        line: { ts: now, level: 'error', source: 'platform', message: 'Kubernetes: Running → Failed' },
      },
      {
        type: 'exit',
        serverId: 's1',
        exit: { code: null, signal: null, at: now, generation: 4, reason: 'CrashLoopBackOff: back-off 10s' },
      },
    ]);
    // Still Failed on the next change: no second exit.
    expect(eventsOf(failed, 'modified', failed, now).filter((e) => e.type === 'exit')).toEqual([]);
    expect(observation(failed)).toMatchObject({ state: 'exited', exit: { generation: 4 } });
  });

  it('a recorded exit is reported once, by whichever driver watches', () => {
    const exit = { code: 0, signal: null, at: now, generation: 4 };
    const stopped = resource('Stopped', 'Stopping', { [EXIT_ANNOTATION]: exitAnnotation(exit) });
    expect(eventsOf(stopped, 'modified', resource('Stopped', 'Stopping'), now)).toEqual([
      { type: 'exit', serverId: 's1', exit },
    ]);
    expect(eventsOf(stopped, 'modified', stopped, now)).toEqual([]);
    expect(observation(stopped)).toEqual({ state: 'exited', exit });
  });

  it('a Running resource deleted under the server is an exit; a stopped one and the first list are not', () => {
    expect(eventsOf(resource('Running', 'Running'), 'deleted', undefined, now)).toEqual([
      {
        type: 'exit',
        serverId: 's1',
        exit: {
          code: null,
          signal: null,
          at: now,
          generation: 4,
          reason: 'The MinecraftServer resource was deleted',
        },
      },
    ]);
    expect(eventsOf(resource('Stopped', 'Stopped'), 'deleted', undefined, now)).toEqual([]);
    expect(eventsOf(resource('Running', 'Running'), 'added', undefined, now)).toEqual([]);
  });

  it('observes a never-started server as absent and a running one as alive with its generation', () => {
    expect(observation(resource('Stopped', 'Stopped', { [GENERATION_ANNOTATION]: '0' }))).toEqual({
      state: 'absent',
    });
    expect(observation(resource('Running', 'Starting'))).toEqual({
      state: 'alive',
      pid: 0,
      startedAt: new Date('2026-01-02T03:00:00.000Z'),
      generation: 4,
    });
  });
});
