#!/usr/bin/env node
// Probe of the flying-squid image (startup, readiness, liveness): a server-list ping of the local
// server, as the community Java image's mc-health does. Exit 0 when it answers. In maintenance mode
// (MINEFLEET_MODE=maintenance: the agent runs without the game) it checks that the agent accepts
// connections instead.
import net from 'node:net';
import { serverListPing } from '@minefleet/runtime-local/server-list-ping';

// MINEFLEET_HEALTH_HOST / _PORT: where the game listens when it runs outside a container.
const host = process.env.MINEFLEET_HEALTH_HOST || '127.0.0.1';
const port = Number(process.env.MINEFLEET_HEALTH_PORT || 25565);
const agentPort = Number(process.env.MINEFLEET_AGENT_PORT || 25580);

const agentListens = () =>
  new Promise((resolve, reject) => {
    const socket = net.connect(agentPort, host, () => {
      socket.destroy();
      resolve();
    });
    socket.setTimeout(4000, () => socket.destroy(new Error('no answer within 4 s')));
    socket.once('error', reject);
  });

const check = process.env.MINEFLEET_MODE === 'maintenance' ? agentListens() : serverListPing(host, port, 47, 4000);
check.then(
  () => process.exit(0),
  (error) => {
    console.error(`${process.env.MINEFLEET_MODE === 'maintenance' ? 'agent' : 'server-list ping'} failed: ${error.message}`);
    process.exit(1);
  },
);
