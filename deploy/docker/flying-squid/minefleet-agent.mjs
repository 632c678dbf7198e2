#!/usr/bin/env node
// The in-pod agent of the flying-squid image: the console host's protocol (commands, the live console,
// tick stats, players: packages/runtime-local/launcher/console-host.cjs) over TCP for the control plane,
// which runs outside the pod. A connection's first line must prove it knows the server's console password
// (RCON_PASSWORD, from the server's own Secret, which only the control plane and the operator may read):
// `{"op":"auth","token":"…"}`, answered `{"type":"authenticated"}`; anything else, a wrong password or no
// line within 5 s closes it. After that it relays bytes to the console socket in the data folder and back,
// and reads nothing the game sends (the control plane's client bounds what it accepts). The entrypoint
// starts it beside the game; it listens on MINEFLEET_AGENT_PORT (25580), which the servers'
// NetworkPolicy opens to the platform's pods only.
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';

const port = Number(process.env.MINEFLEET_AGENT_PORT || 25580);
// Where it listens: every address of the pod, unless the game is told to bind one address (outside a container).
const host = process.env.MINEFLEET_BIND_HOST || '0.0.0.0';
const password = process.env.RCON_PASSWORD || '';
const dataDir = path.resolve(process.env.MINEFLEET_DATA_DIR || '/data');
const socketPath = path.join(dataDir, '.minefleet', 'console.sock');
/** The first line (the proof) is small: longer, and the connection is closed. */
const MAX_AUTH_BYTES = 1024;
const AUTH_TIMEOUT_MS = 5_000;
/** Connections at once: the control plane holds one per server; more is not the control plane. */
const MAX_CONNECTIONS = 8;

if (!password) {
  console.error('minefleet-agent: no RCON_PASSWORD, so nobody could prove who they are: not listening');
  process.exit(0);
}
const digest = (text) => createHash('sha256').update(text).digest();
const expected = digest(password);
const proves = (token) => typeof token === 'string' && timingSafeEqual(digest(token), expected);

let open = 0;
const server = net.createServer((client) => {
  if (open >= MAX_CONNECTIONS) {
    client.destroy();
    return;
  }
  open++;
  client.once('close', () => open--);
  client.on('error', () => {});
  let buffered = Buffer.alloc(0);
  const timer = setTimeout(() => client.destroy(), AUTH_TIMEOUT_MS);
  const refuse = (message) => {
    clearTimeout(timer);
    client.end(JSON.stringify({ type: 'error', message }) + '\n');
    setTimeout(() => client.destroy(), 1_000).unref();
  };
  const onData = (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf(10);
    if (end < 0) {
      if (buffered.length > MAX_AUTH_BYTES) refuse('the first line must be the proof, at most 1 KiB');
      return;
    }
    client.off('data', onData);
    client.pause();
    let request;
    try {
      request = JSON.parse(buffered.subarray(0, end).toString('utf8'));
    } catch {
      request = undefined;
    }
    if (request?.op !== 'auth' || !proves(request.token)) {
      refuse('unauthorized');
      return;
    }
    const rest = buffered.subarray(end + 1);
    const game = net.connect(socketPath);
    game.on('error', () => {
      clearTimeout(timer);
      if (!client.destroyed) refuse('the console is not there (the game is not running)');
    });
    game.once('connect', () => {
      clearTimeout(timer);
      client.write(JSON.stringify({ type: 'authenticated' }) + '\n');
      if (rest.length > 0) game.write(rest);
      client.pipe(game);
      game.pipe(client);
      client.resume();
      game.once('close', () => client.destroy());
      client.once('close', () => game.destroy());
    });
  };
  client.on('data', onData);
});
// The port may still be held for a moment by the agent of a container that just ended: try again.
let attempts = 0;
server.on('error', (error) => {
  if (error.code !== 'EADDRINUSE' || ++attempts > 20) throw error;
  setTimeout(() => server.listen(port, host), 500);
});
server.listen(port, host);
// It ends with the game: when its parent (the entrypoint) is gone, so is it.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 1_000);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
