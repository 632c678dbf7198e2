// A real Kubernetes control plane for the operator's integration tests: scripts/k8s/cluster.sh starts
// etcd + kube-apiserver + kube-controller-manager on 127.0.0.1 from binaries built by
// the machine's administrator from the Kubernetes source (never downloaded, not in this repository). There is no scheduler and no kubelet: see fake-node.ts.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from '@minefleet/runtime-kubernetes/kube/client';
import { CRD_FILE } from '../../apps/operator/src/crd/definition.js';
// @ts-expect-error plain JavaScript helper without types
import { k8sToolsDir } from '../../scripts/k8s-tools.mjs';

const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, '../..');
const CLUSTER_SH = path.join(ROOT, 'scripts/k8s/cluster.sh');
const PREFIX = process.env.MINEFLEET_K8S_PREFIX ?? '/opt/minefleet-k8s';

/** Why the suite cannot run here, or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  if (process.env.MINEFLEET_K8S_KUBECONFIG) return undefined;
  for (const bin of ['kube-apiserver', 'kube-controller-manager'])
    if (!existsSync(path.join(PREFIX, 'bin', bin)))
      return `no ${bin} in ${PREFIX}/bin (install Kubernetes v1.28 kube-apiserver and kube-controller-manager there, see docs/kubernetes.md, or set MINEFLEET_K8S_KUBECONFIG to a cluster with the CRD installed)`;
  if (!existsSync('/usr/bin/etcd') && !existsSync(path.join(PREFIX, 'bin', 'etcd')))
    return 'no etcd (Debian package etcd-server)';
  return undefined;
}

export interface TestCluster {
  kubeconfig: string;
  /** The cluster's own folder when this suite started it (restartApiServer needs it). */
  dir: string | undefined;
  kc: KubeConfig;
  api: KubeClient;
  toolsDir: string;
  env: NodeJS.ProcessEnv;
  kubectl(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  helm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** Kills kube-apiserver and starts it again with the same arguments (etcd keeps the state). */
  restartApiServer(downMs: number): Promise<void>;
  stop(): Promise<void>;
}

async function tool(bin: string, args: string[], env: NodeJS.ProcessEnv, input?: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(bin, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

export async function startCluster(): Promise<TestCluster> {
  const toolsDir = k8sToolsDir() as string;
  const baseEnv = { ...process.env, PATH: `${toolsDir}:${process.env.PATH}` };
  let kubeconfig = process.env.MINEFLEET_K8S_KUBECONFIG;
  let dir: string | undefined;
  if (!kubeconfig) {
    // cluster.sh picks free ports before it starts each process; on a busy machine another process can
    // take one in between and kube-apiserver exits at once. A fresh folder and fresh ports fix that.
    let stdout = '';
    for (let attempt = 1; ; attempt++) {
      dir = mkdtempSync(path.join(os.tmpdir(), 'minefleet-k8s-'));
      try {
        ({ stdout } = await run(CLUSTER_SH, ['start', dir], {
          env: { ...baseEnv, MINEFLEET_K8S_CRDS: path.join(ROOT, CRD_FILE) },
          timeout: 180_000,
        }));
        break;
      } catch (error) {
        await run(CLUSTER_SH, ['stop', dir]).catch(() => undefined);
        if (attempt >= 3) throw error;
        console.warn(`cluster start failed (attempt ${attempt}), trying again: ${(error as Error).message}`);
      }
    }
    kubeconfig = /KUBECONFIG=(\S+)/.exec(stdout)?.[1];
    if (!kubeconfig) throw new Error(`cluster.sh printed no KUBECONFIG: ${stdout}`);
  }
  const env = { ...baseEnv, KUBECONFIG: kubeconfig };
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const api = new KubeClient(kc, { userAgent: 'minefleet-tests' });
  const kubectl = (args: string[], input?: string) => tool(path.join(toolsDir, 'kubectl'), args, env, input);
  if (!dir) {
    const applied = await kubectl(['apply', '--server-side', '-f', path.join(ROOT, CRD_FILE)]);
    if (applied.code !== 0) throw new Error(applied.stderr);
  }
  const clusterDir = dir;
  return {
    kubeconfig,
    dir,
    kc,
    api,
    toolsDir,
    env,
    kubectl,
    helm: (args) => tool(path.join(toolsDir, 'helm'), args, env),
    async restartApiServer(downMs: number) {
      if (!clusterDir) throw new Error('restartApiServer needs a cluster this suite started');
      const pidFile = path.join(clusterDir, 'pids/kube-apiserver.pid');
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      process.kill(pid, 'SIGKILL');
      while (
        existsSync(`/proc/${pid}`) &&
        !readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[2]?.startsWith('Z')
      )
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, downMs));
      const logFd = openSync(path.join(clusterDir, 'logs/kube-apiserver.log'), 'a');
      const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', logFd, logFd] });
      child.unref();
      writeFileSync(pidFile, `${child.pid}\n`);
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          // A JSON answer from the custom resource: the API server serves it again (its CRD paths are
          // installed a moment after the built-in ones; /readyz is plain text).
          await api.request('GET', '/apis/minefleet.io/v1alpha1/namespaces/default/minecraftservers');
          return;
        } catch {
          if (Date.now() > deadline) throw new Error('kube-apiserver did not come back');
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    async stop() {
      api.close();
      if (clusterDir) await run(CLUSTER_SH, ['stop', clusterDir], { env: baseEnv, timeout: 60_000 });
    },
  };
}

/** Polls until check returns a value (not undefined/false) or the time is up. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
