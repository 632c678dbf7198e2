import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TestApi } from './api.js';

const MAIN = fileURLToPath(new URL('../../../apps/server/dist/main.js', import.meta.url));

export interface ControlPlaneProcess {
  proc: ChildProcess;
  api: TestApi;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Sends a signal and resolves once it exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * The environment of a control plane for a test on loopback: its HTTP port, data folder, game port
 * range and database (`DATABASE_URL` unset means the embedded one), warnings-only logs; `extra` adds
 * or overrides settings.
 */
/** The /metrics token of control planes started with loopbackEnv(). */
export const LOOPBACK_METRICS_TOKEN = 'loopback-metrics-token-0123456789';

export function loopbackEnv(options: {
  port: number;
  dataDir: string;
  portRange: { from: number; to: number };
  databaseUrl?: string | undefined;
  extra?: NodeJS.ProcessEnv;
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(options.port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    MINEFLEET_DATA_DIR: options.dataDir,
    MINEFLEET_PORT_RANGE: `${options.portRange.from}-${options.portRange.to}`,
    MINEFLEET_GAME_HOST: '127.0.0.1',
    MINEFLEET_GAME_BIND_HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl ?? '',
    MINEFLEET_METRICS_TOKEN: LOOPBACK_METRICS_TOKEN,
    ...options.extra,
  };
}

/**
 * The built control plane (`apps/server/dist/main.js`, run `npm run build` first) as a separate
 * process, the way it runs in production: for multi-replica tests and benches. Resolves once its
 * /health answers 200.
 */
export async function spawnControlPlane(
  env: NodeJS.ProcessEnv,
  options: { timeoutMs?: number; nodeArgs?: readonly string[] } = {},
): Promise<ControlPlaneProcess> {
  const port = env.PORT;
  if (!port) throw new Error('spawnControlPlane needs PORT in env.');
  // nodeArgs: Node flags such as --cpu-prof, which NODE_OPTIONS does not accept.
  const proc = spawn(process.execPath, [...(options.nodeArgs ?? []), MAIN], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const api = new TestApi(url);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  for (;;) {
    try {
      if ((await api.get('/health')).status === 200) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`control plane did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    proc,
    api,
    url,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await exited;
    },
  };
}
