#!/usr/bin/env node
// The preStop hook of the flying-squid image: `minefleet-console stop <announce seconds>` announces the
// stop to the players, waits, saves the world, then asks the server to stop. The console host's unix
// socket is the same one the local driver uses. `minefleet-console <command...>` runs one command.
import net from 'node:net';
import { socketPath } from './data-folder.mjs';

function send(lines) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(socketPath);
    let id = 0;
    let answered = 0;
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      for (const line of lines) socket.write(JSON.stringify({ op: 'command', id: ++id, line }) + '\n');
    });
    socket.on('data', (chunk) => {
      buffered += chunk;
      for (let i; (i = buffered.indexOf('\n')) >= 0; ) {
        const reply = JSON.parse(buffered.slice(0, i));
        buffered = buffered.slice(i + 1);
        if (reply.id !== undefined && ++answered === lines.length) {
          socket.end();
          resolve();
        }
      }
    });
    socket.on('error', reject);
    setTimeout(() => (socket.destroy(), reject(new Error('console did not answer'))), 10_000).unref();
  });
}

const [cmd, ...rest] = process.argv.slice(2);
// A pod in maintenance runs no game: there is nothing to announce or save before it goes.
if (cmd === 'stop' && process.env.MINEFLEET_MODE === 'maintenance') process.exit(0);
try {
  if (cmd === 'stop') {
    const announce = Math.max(0, Number(rest[0] ?? 10));
    if (announce > 0) {
      await send([`say The server stops in ${announce} seconds`]);
      await new Promise((r) => setTimeout(r, announce * 1000));
    }
    await send(['save-all', 'stop']);
  } else if (cmd) {
    await send([[cmd, ...rest].join(' ')]);
  } else {
    console.error('usage: minefleet-console stop <announce seconds> | minefleet-console <command...>');
    process.exit(2);
  }
} catch (error) {
  // The server may already be gone; Kubernetes' SIGTERM still makes the launcher save and stop.
  console.error(`minefleet-console: ${error.message}`);
  process.exit(1);
}
