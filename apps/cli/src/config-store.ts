import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './errors.js';

/** What `minefleet login` remembers between runs. */
export interface StoredConfig {
  /** Base URL of the control plane, e.g. http://localhost:8080. */
  url?: string;
  /** A session token (from login/signup) or an API key (`mf_…`). */
  token?: string;
  auth?: 'session' | 'api_key';
  email?: string;
  /** When a session token stops working (API keys may not expire). */
  expires_at?: string | null;
}

const FILE_NAME = 'config.json';

/** `$MINEFLEET_CONFIG_DIR`, else `$XDG_CONFIG_HOME/minefleet`, else `~/.config/minefleet`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.MINEFLEET_CONFIG_DIR) return path.resolve(env.MINEFLEET_CONFIG_DIR);
  const base = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(os.homedir(), '.config');
  return path.join(base, 'minefleet');
}

export function configFile(env: NodeJS.ProcessEnv): string {
  return path.join(configDir(env), FILE_NAME);
}

export async function readConfig(env: NodeJS.ProcessEnv): Promise<StoredConfig> {
  const file = configFile(env);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
    return parsed;
  } catch (error) {
    throw new CliError(`${file} is not valid JSON (${(error as Error).message}); fix or delete it`);
  }
}

/**
 * Writes the config readable by its owner only: it holds a credential. The file is written beside the
 * old one and renamed over it, so a crash never leaves half a file, and the new file's 0600 mode
 * replaces whatever mode the old one had.
 */
export async function writeConfig(env: NodeJS.ProcessEnv, config: StoredConfig): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, FILE_NAME);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // The umask may have narrowed the mode further but never widened it; make it exactly 0600.
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  return file;
}

export async function removeConfig(env: NodeJS.ProcessEnv): Promise<void> {
  await rm(configFile(env), { force: true });
}
