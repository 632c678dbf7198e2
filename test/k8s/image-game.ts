// Runs the flying-squid game image's entrypoint as a plain process (no container runtime here): it reads
// the server.properties the operator's ConfigMap holds and serves the game where the test says.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { configData } from '../../apps/operator/src/builders/config-map.js';
import { checkSpec } from '../../apps/operator/src/crd/validate.js';
import { ROOT } from './cluster.js';

export const IMAGE_SCRIPTS = path.join(ROOT, 'deploy/docker/flying-squid');

export interface ImageGame {
  /** The environment the image's other scripts (health probe, console) need to reach this game. */
  env: NodeJS.ProcessEnv;
  /** The world volume (/data in the image); the game's folder is `server/` in it. */
  data: string;
  process: ChildProcess;
  exited: Promise<number | null>;
  /** Kills the game if it still runs and removes its folders. */
  dispose(): void;
}

export function startImageGame(options: {
  host: string;
  port: number;
  version: string;
  properties?: Record<string, string>;
  maxPlayers?: number;
  /** Variables besides the image's (MINEFLEET_MODE=maintenance: the agent without the game). */
  env?: Record<string, string>;
  /** Fills the volume before the entrypoint starts (what an earlier pod left there). */
  prepare?: (data: string) => void;
}): ImageGame {
  const checked = checkSpec({
    server: { distribution: 'flying-squid', version: options.version },
    resources: { memory: '512Mi' },
    properties: options.properties ?? {},
    ...(options.maxPlayers ? { maxPlayers: options.maxPlayers } : {}),
  });
  if (!checked.ok) throw new Error(checked.problems.join('; '));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mf-image-game-'));
  const config = path.join(dir, 'config');
  const data = path.join(dir, 'data');
  mkdirSync(config);
  mkdirSync(data);
  // The operator's file, with the port moved where the test wants it.
  const properties = configData(checked.spec)['server.properties']!.replace(
    'server-port=25565',
    `server-port=${options.port}`,
  );
  writeFileSync(path.join(config, 'server.properties'), properties);
  const env = {
    ...process.env,
    MINEFLEET_CONFIG_DIR: config,
    MINEFLEET_DATA_DIR: data,
    MINEFLEET_BIND_HOST: options.host,
    MINEFLEET_HEALTH_PORT: String(options.port),
    MINECRAFT_VERSION: options.version,
    ...options.env,
  };
  options.prepare?.(data);
  const child = spawn(process.execPath, [path.join(IMAGE_SCRIPTS, 'entrypoint.mjs')], {
    env,
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return {
    env,
    data,
    process: child,
    exited,
    dispose: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
