#!/usr/bin/env node
// @ts-check
'use strict';
// Supervisor shim for Java servers. Usage: node java-supervisor.cjs <launch.json>
// The JVM's console is its stdin/stdout, which dies with whoever holds the pipes. This small process
// holds them instead: it runs the JVM on pipes, writes its output to the rotated console log, serves the
// console socket (console-host.cjs) and outlives the control plane with it. It leads the process group,
// so the driver's kill reaches the JVM too. SIGTERM means a graceful stop: `stop` on the console, then
// SIGKILL if the JVM has not exited after stopTimeoutMs.

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { createConsoleHost } = require('./console-host.cjs');

// Vanilla, Paper, Purpur and Fabric all end their start with `Done (12.345s)! For help, type "help"`: the
// server admits players from then on. An answered server-list ping is no proof: it may come while plugins
// still load.
const DONE_LINE = /^Done \([^)]*\)!/;

async function main() {
  const config = JSON.parse(fs.readFileSync(path.resolve(process.argv[2] || ''), 'utf8'));
  process.chdir(config.root);
  const host = createConsoleHost({
    root: config.root,
    serverId: config.serverId,
    generation: config.generation,
    kind: 'java',
    log: config.log,
    readyLine: DONE_LINE,
  });
  await host.listen();

  const child = spawn(config.command, config.args, {
    cwd: config.root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: process.env,
  });
  child.stdout.on('data', (chunk) => host.output('stdout', chunk));
  child.stderr.on('data', (chunk) => host.output('stderr', chunk));
  child.stdin.on('error', () => {}); // writes after the JVM closed stdin

  const write = (/** @type {string} */ line) => {
    if (child.stdin.writable) child.stdin.write(line + '\n');
  };
  host.onCommand(write);
  // The JVM buffers stdin until its console reader starts, so these run first thing.
  for (const line of config.preStartCommands || []) {
    host.record('info', 'command', line);
    write(line);
  }

  /** @type {NodeJS.Timeout | null} */
  let stopTimer = null;
  const stop = (/** @type {string} */ why) => {
    if (stopTimer) return;
    host.record('info', 'platform', `Stopping the server (${why})`);
    write(config.stopCommand || 'stop');
    stopTimer = setTimeout(() => {
      host.record('warn', 'platform', 'The server did not stop in time: killing it');
      child.kill('SIGKILL');
    }, config.stopTimeoutMs || 60_000);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {});

  child.on('error', (err) => {
    host.record('fatal', 'platform', `Cannot run ${config.command}: ${err.message}`);
    host.writeExit(127, null);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    if (stopTimer) clearTimeout(stopTimer);
    // Let the last output drain before the last words.
    setImmediate(() => {
      host.writeExit(code, signal);
      process.exit(code === null ? 1 : code);
    });
  });
}

main().catch((err) => {
  process.stderr.write(`Supervisor failed: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
