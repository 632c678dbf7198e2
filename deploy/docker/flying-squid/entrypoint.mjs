#!/usr/bin/env node
// Entry point of Minefleet's flying-squid image: turns the operator's ConfigMap (server.properties at
// /config) and environment into the launcher's launch file, then runs the same launcher and console
// host the local driver uses, in this process (PID 1 gets SIGTERM and the launcher saves the world).
// Folders can be moved for a run outside a container: MINEFLEET_CONFIG_DIR, MINEFLEET_DATA_DIR.
// Beside the game it starts the in-pod agent (minefleet-agent.mjs), a process of its own, through which the
// control plane reaches the console; it ends with this process.
// MINEFLEET_MODE=maintenance (the operator's Maintenance state) starts the agent alone, without the game:
// the control plane reaches a stopped server's files that way (backups, restores, the files API).
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseProperties } from '@minefleet/runtime-local/properties-file';
import { flyingSquidSettings } from '@minefleet/runtime-local/flying-squid-settings';
import { FLYING_SQUID_LAUNCHER, flyingSquidVersions } from '@minefleet/runtime-local/flying-squid-runtime';
import { prepareServerFolder, serverDir } from './data-folder.mjs';

const configDir = process.env.MINEFLEET_CONFIG_DIR || '/config';
const dataDir = serverDir;
await prepareServerFolder();
const startAgent = () =>
  spawn(process.execPath, [new URL('./minefleet-agent.mjs', import.meta.url).pathname], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
if (process.env.MINEFLEET_MODE === 'maintenance') {
  // The agent alone; the pod ends when it does, and SIGTERM (the pod's deletion) ends both.
  const agent = startAgent();
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => agent.kill('SIGTERM'));
  agent.once('exit', (code) => process.exit(code ?? 0));
} else {
  runGame();
}

/**
 * The start's pre-start commands (MINEFLEET_PRE_START_COMMANDS: `{generation, commands}`, from the
 * resource's spec), once per start: a container restarted in the same pod does not run them again. The
 * generation they ran for is kept in `doneFile`.
 */
function preStartOnce(doneFile) {
  let wanted;
  try {
    wanted = JSON.parse(process.env.MINEFLEET_PRE_START_COMMANDS || 'null');
  } catch {
    console.error('minefleet: MINEFLEET_PRE_START_COMMANDS is not JSON; no pre-start commands');
    return [];
  }
  const commands = Array.isArray(wanted?.commands)
    ? wanted.commands.filter((c) => typeof c === 'string' && c.length > 0 && c.length <= 1000).slice(0, 20)
    : [];
  if (commands.length === 0) return [];
  const generation = String(wanted.generation ?? '');
  let done = '';
  try {
    done = readFileSync(doneFile, 'utf8');
  } catch {
    // never ran any
  }
  if (done === generation) return [];
  writeFileSync(doneFile, generation, { mode: 0o600 });
  return commands;
}

/** The game: the launch file from the ConfigMap, then the launcher in this process. */
function runGame() {
  const version = process.env.MINECRAFT_VERSION || flyingSquidVersions()[0];
  if (!flyingSquidVersions().includes(version)) {
    console.error(`flying-squid does not support Minecraft ${version} (supported: ${flyingSquidVersions().join(', ')})`);
    process.exit(2);
  }
  const properties = Object.fromEntries(parseProperties(readFileSync(path.join(configDir, 'server.properties'), 'utf8')));
  const port = Number(properties['server-port'] ?? 25565);
  const maxPlayers = Number(properties['max-players'] ?? 20);
  const name = process.env.HOSTNAME || os.hostname();
  const spec = {
    serverId: name,
    tenantId: '',
    name,
    distribution: 'flying-squid',
    minecraftVersion: version,
    bindHost: process.env.MINEFLEET_BIND_HOST || '0.0.0.0',
    port,
    memoryMb: 0,
    cpuMillicores: 0,
    maxPlayers,
    properties,
  };
  mkdirSync(path.join(dataDir, '.minefleet'), { recursive: true, mode: 0o700 });
  const launchFile = path.join(dataDir, '.minefleet', 'launch.json');
  const preStartCommands = preStartOnce(path.join(dataDir, '.minefleet', 'pre-start-done'));
  writeFileSync(
    launchFile,
    JSON.stringify({
      serverId: name,
      generation: Date.now(),
      root: dataDir,
      version,
      host: spec.bindHost,
      port,
      settings: flyingSquidSettings(spec),
      ops: [],
      preStartCommands,
      log: { maxBytes: 10 * 1024 * 1024, maxFiles: 5 },
    }),
    { mode: 0o600 },
  );
  const agent = startAgent();
  process.on('exit', () => agent.kill('SIGTERM'));
  process.argv[2] = launchFile;
  createRequire(import.meta.url)(FLYING_SQUID_LAUNCHER);
}
