#!/usr/bin/env node
// Probe of the flying-squid image (startup, readiness, liveness): a server-list ping of the local
// server, as the community Java image's mc-health does. Exit 0 when it answers.
import { serverListPing } from '@minefleet/runtime-local/server-list-ping';

// MINEFLEET_HEALTH_HOST / _PORT: where the game listens when it runs outside a container.
const host = process.env.MINEFLEET_HEALTH_HOST || '127.0.0.1';
const port = Number(process.env.MINEFLEET_HEALTH_PORT || 25565);
serverListPing(host, port, 47, 4000).then(
  () => process.exit(0),
  (error) => {
    console.error(`server-list ping failed: ${error.message}`);
    process.exit(1);
  },
);
