// The container half of the test node (fake-node.ts): runs the containers of pods of Minefleet's
// flying-squid game image the way a kubelet would, without a container runtime: as local processes (the
// image's entrypoint under this Node.js), with the container's environment (literal values, Secret and
// ConfigMap references resolved through the API), its volumes as folders (a ConfigMap's keys written as
// files, emptyDir a fresh folder, a claim a folder that outlives the pod, kept per claim), the image's
// folders pointed at those (the entrypoint reads MINEFLEET_CONFIG_DIR and MINEFLEET_DATA_DIR instead of
// /config and /data), and its own network (pod-network.ts). Probes are the pod's exec probes run with the
// image's commands (mc-health, minefleet-console): the startup probe, then the readiness probe, each at
// its period but at least every PROBE_EVERY_MS (a test cannot wait the 10 s a readiness period is). A
// container that exits while its pod lives is restarted (restartPolicy Always): at once the first time,
// after a back-off (CrashLoopBackOff) when it keeps dying; counted in restartCount, its last exit in
// lastState. A deleted pod gets its preStop hook, SIGTERM, and SIGKILL
// when its grace period ends, as the kubelet gives them. Not played: liveness probes, resource limits and
// user/filesystem isolation (the process runs as the test's user, with the test's file system).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { V1ConfigMap, V1Container, V1Pod, V1Probe, V1Secret } from '@kubernetes/client-node';
import type { KubeApi } from '@minefleet/runtime-kubernetes/kube/client';
import { ROOT } from './cluster.js';
import type { PodAddress, PodNetwork } from './pod-network.js';

const SCRIPTS = path.join(ROOT, 'deploy/docker/flying-squid');
/** The image's commands (on its PATH in the real image), as scripts of this checkout. */
const IMAGE_COMMANDS: Record<string, string> = {
  'mc-health': path.join(SCRIPTS, 'mc-health.mjs'),
  'minefleet-console': path.join(SCRIPTS, 'minefleet-console.mjs'),
};
/** Where the image keeps its folders, and the variable that moves each outside a container. */
const IMAGE_FOLDERS: Record<string, string> = {
  '/config': 'MINEFLEET_CONFIG_DIR',
  '/data': 'MINEFLEET_DATA_DIR',
  '/tmp': 'TMPDIR',
};
export const PROBE_EVERY_MS = 500;
/**
 * The kubelet's restart back-off, scaled down: the first restart at once, then 1 s doubling to 8 s (the
 * kubelet's is 10 s doubling to 5 min) while the container keeps dying; a container that ran for
 * BACKOFF_MS.reset before it exited starts over at once.
 */
const BACKOFF_MS = { first: 1_000, max: 8_000, reset: 10_000 };

/**
 * A claim's folder: short, because the game's console socket lives in it and a unix socket's path holds
 * at most 107 bytes (in the image it is /data/.minefleet/console.sock).
 */
export function claimFolder(root: string, namespace: string, claim: string): string {
  return path.join(
    root,
    'c',
    createHash('sha256').update(`${namespace}/${claim}`).digest('hex').slice(0, 12),
  );
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Whether this node runs the pod's containers: Minefleet's flying-squid game image only. */
export function runsImage(pod: V1Pod): boolean {
  const containers = pod.spec?.containers ?? [];
  return containers.length === 1 && /(^|\/)flying-squid:[^/]+$/.test(containers[0]!.image ?? '');
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: string;
}

/** One pod's container while this node runs it. */
export class PodContainer {
  private child: ChildProcess | undefined;
  private startedAt: string | undefined;
  private lastExit: Exit | undefined;
  private restarts = 0;
  /** How long the next restart waits: 0 (at once) until the container dies again soon after a restart. */
  private backoffMs = 0;
  private waiting = false;
  private started = false;
  private ready = false;
  private failures = 0;
  private stopping = false;
  private probing = false;
  private probeTimer: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;

  private constructor(
    readonly uid: string,
    private readonly container: V1Container,
    private readonly address: PodAddress,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly changed: () => void,
  ) {}

  /** Prepares the pod's volumes, environment and address, then starts its container. */
  static async run(options: {
    api: KubeApi;
    pod: V1Pod;
    network: PodNetwork;
    /** This node's folder: each pod's (p/<uid>) and each claim's (claimFolder) go under it. */
    root: string;
    /** Called when what the pod's status says changes (the container started, exited, got ready). */
    changed: () => void;
  }): Promise<PodContainer> {
    const { api, pod, root } = options;
    const ns = pod.metadata!.namespace!;
    const uid = pod.metadata!.uid!;
    const container = pod.spec!.containers[0]!;
    const dir = path.join(root, 'p', uid);
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      HOME: dir,
      LANG: 'C.UTF-8',
      HOSTNAME: pod.metadata!.name!,
    };
    for (const from of container.envFrom ?? []) {
      if (from.configMapRef?.name) {
        const map = await api.request<V1ConfigMap>(
          'GET',
          `/api/v1/namespaces/${ns}/configmaps/${from.configMapRef.name}`,
        );
        Object.assign(env, map.data ?? {});
      }
    }
    for (const variable of container.env ?? []) {
      const secret = variable.valueFrom?.secretKeyRef;
      const map = variable.valueFrom?.configMapKeyRef;
      if (secret?.name) {
        const object = await api.request<V1Secret>('GET', `/api/v1/namespaces/${ns}/secrets/${secret.name}`);
        const value = object.data?.[secret.key];
        if (value !== undefined) env[variable.name] = Buffer.from(value, 'base64').toString('utf8');
      } else if (map?.name) {
        const object = await api.request<V1ConfigMap>(
          'GET',
          `/api/v1/namespaces/${ns}/configmaps/${map.name}`,
        );
        const value = object.data?.[map.key];
        if (value !== undefined) env[variable.name] = value;
      } else env[variable.name] = variable.value ?? '';
    }
    for (const mount of container.volumeMounts ?? []) {
      const volume = pod.spec!.volumes?.find((v) => v.name === mount.name);
      let folder: string;
      if (volume?.persistentVolumeClaim) {
        folder = claimFolder(root, ns, volume.persistentVolumeClaim.claimName);
        mkdirSync(folder, { recursive: true });
      } else {
        folder = path.join(dir, 'volumes', mount.name);
        mkdirSync(folder, { recursive: true });
        if (volume?.configMap?.name) {
          const map = await api.request<V1ConfigMap>(
            'GET',
            `/api/v1/namespaces/${ns}/configmaps/${volume.configMap.name}`,
          );
          for (const [key, value] of Object.entries(map.data ?? {}))
            writeFileSync(path.join(folder, path.basename(key)), value);
        }
      }
      const variable = IMAGE_FOLDERS[mount.mountPath];
      if (variable) env[variable] = folder;
    }
    const address = await options.network.allocate();
    if (address.exec.length === 0) {
      // A loopback address, no network of its own: the game and its probe use that address.
      env['MINEFLEET_BIND_HOST'] = address.ip;
      env['MINEFLEET_HEALTH_HOST'] = address.ip;
    }
    const running = new PodContainer(uid, container, address, dir, env, options.changed);
    running.start();
    return running;
  }

  /**
   * The pod status a kubelet would write for this container now, as the API takes it (times as strings,
   * where the client library's model says Date).
   */
  status(pod: V1Pod): V1Pod['status'] {
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const started = pod.status?.startTime ?? now;
    const alive = this.child !== undefined;
    const ready = alive && this.ready;
    const flag = ready ? 'True' : 'False';
    const previous = (type: string) =>
      pod.status?.conditions?.find((c) => c.type === type && c.status === flag)?.lastTransitionTime ?? now;
    const status = {
      phase: 'Running',
      podIP: this.address.ip,
      podIPs: [{ ip: this.address.ip }],
      hostIP: '10.0.0.1',
      startTime: started,
      conditions: [
        { type: 'PodScheduled', status: 'True', lastTransitionTime: started },
        { type: 'Initialized', status: 'True', lastTransitionTime: started },
        { type: 'ContainersReady', status: flag, lastTransitionTime: previous('ContainersReady') },
        { type: 'Ready', status: flag, lastTransitionTime: previous('Ready') },
      ],
      containerStatuses: [
        {
          name: this.container.name,
          image: this.container.image!,
          imageID: `test-node://${this.container.image}`,
          ready,
          started: alive && this.started,
          restartCount: this.restarts,
          state: alive
            ? { running: { startedAt: this.startedAt } }
            : this.waiting
              ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off restarting failed container' } }
              : { waiting: { reason: 'ContainerCreating' } },
          ...(this.lastExit
            ? {
                lastState: {
                  terminated: {
                    exitCode: this.lastExit.code ?? 137,
                    ...(this.lastExit.signal ? { signal: 9 } : {}),
                    reason: this.lastExit.code === 0 ? 'Completed' : 'Error',
                    finishedAt: this.lastExit.at,
                  },
                },
              }
            : {}),
        },
      ],
    };
    return status as unknown as V1Pod['status'];
  }

  /** Ends the container from outside, as an out-of-memory kill or a crash would: SIGKILL. */
  crash(): void {
    if (this.child?.pid) killGroup(this.child.pid, 'SIGKILL');
  }

  /**
   * The pod was deleted: its preStop hook, then SIGTERM, then SIGKILL when `graceSeconds` end; then its
   * address and folder (not its claims) are given back.
   */
  async terminate(graceSeconds: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearTimeout(this.restartTimer);
    clearInterval(this.probeTimer);
    const deadline = Date.now() + graceSeconds * 1000;
    const child = this.child;
    if (child && graceSeconds > 0) {
      const hook = this.container.lifecycle?.preStop?.exec?.command;
      if (hook)
        await this.exec(hook, Math.max(0, deadline - Date.now())).catch((error: Error) =>
          console.warn(`test node: preStop hook of pod ${this.uid}: ${error.message}`),
        );
      if (this.child) {
        child.kill('SIGTERM');
        await this.exited(child, Math.max(0, deadline - Date.now()));
      }
    }
    if (this.child?.pid) {
      killGroup(this.child.pid, 'SIGKILL');
      await this.exited(this.child, 10_000);
    } else if (child?.pid) killGroup(child.pid, 'SIGKILL'); // what it left behind
    await this.address.release();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private exited(child: ChildProcess, ms: number): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      child.once('exit', () => (clearTimeout(timer), resolve()));
    });
  }

  private start(): void {
    mkdirSync(this.dir, { recursive: true });
    const log = createWriteStream(path.join(this.dir, `container-${this.restarts}.log`));
    const argv = [...this.address.exec, process.execPath, path.join(SCRIPTS, 'entrypoint.mjs')];
    // A process group of its own: the container's processes (the game and the agent beside it) end
    // together, as a container's do.
    const child = spawn(argv[0]!, argv.slice(1), {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    this.child = child;
    this.startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    this.started = false;
    this.ready = false;
    this.failures = 0;
    const began = Date.now();
    child.once('exit', (code, signal) => {
      // The container ends with its main process: whatever else it started goes too.
      if (child.pid) killGroup(child.pid, 'SIGKILL');
      if (this.child === child) this.child = undefined;
      this.lastExit = { code, signal, at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
      this.ready = false;
      if (this.stopping) return this.changed();
      // restartPolicy Always: run it again, at once or after the back-off (CrashLoopBackOff meanwhile).
      if (Date.now() - began >= BACKOFF_MS.reset) this.backoffMs = 0;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(Math.max(delay * 2, BACKOFF_MS.first), BACKOFF_MS.max);
      const restart = () => {
        this.waiting = false;
        this.restarts++;
        this.start();
      };
      if (delay === 0) return restart();
      this.waiting = true;
      this.restartTimer = setTimeout(restart, delay);
      this.changed();
    });
    clearInterval(this.probeTimer);
    this.probeTimer = setInterval(() => void this.probe(), PROBE_EVERY_MS);
    this.changed();
  }

  /** One round of probes: the startup probe until it passes, then the readiness probe. */
  private async probe(): Promise<void> {
    if (this.probing || !this.child || this.stopping) return;
    this.probing = true;
    try {
      const probe: V1Probe | undefined = this.started
        ? this.container.readinessProbe
        : (this.container.startupProbe ?? this.container.readinessProbe);
      const ok = probe?.exec?.command
        ? await this.exec(probe.exec.command, (probe.timeoutSeconds ?? 1) * 1000).then(
            () => true,
            () => false,
          )
        : true;
      const before = this.ready;
      if (ok) {
        this.failures = 0;
        this.started = true;
        this.ready = true;
      } else if (this.started && ++this.failures >= (probe?.failureThreshold ?? 3)) this.ready = false;
      if (before !== this.ready) this.changed();
    } finally {
      this.probing = false;
    }
  }

  /** Runs one of the image's commands inside the pod (its network, environment and folders). */
  private exec(command: string[], timeoutMs: number): Promise<void> {
    const [name, ...args] = command;
    const script = IMAGE_COMMANDS[name ?? ''];
    if (!script) return Promise.reject(new Error(`the image has no command ${name}`));
    const argv = [...this.address.exec, process.execPath, script, ...args];
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { env: this.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`${name} exited with ${code}: ${stderr.trim()}`));
      });
    });
  }
}
