import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { BOT_TEST_VERSION, freePort, joinBot, portIsFree } from '@minefleet/testkit/minecraft';
import { runtimeDriverConformance } from './conformance.js';
import { createLocalDriver } from './create-local-driver.js';

// The local driver against real flying-squid servers and real mineflayer clients.
const dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-local-driver-'));
afterAll(() => rm(dataDir, { recursive: true, force: true }));

runtimeDriverConformance('local (flying-squid)', {
  createDriver: () => createLocalDriver({ dataDir }),
  newSpec: async () => ({
    serverId: randomUUID(),
    tenantId: randomUUID(),
    name: 'conformance',
    distribution: 'flying-squid',
    minecraftVersion: BOT_TEST_VERSION,
    bindHost: '127.0.0.1',
    port: await freePort(),
    memoryMb: 512,
    cpuMillicores: 1000,
    maxPlayers: 5,
    properties: { motd: 'Conformance suite', gamemode: 'creative', 'level-type': 'flat', 'view-distance': 4 },
  }),
  address: (spec) => ({ host: spec.bindHost, port: spec.port }),
  crash: (_spec, info) => {
    process.kill(info.pid, 'SIGKILL');
    return Promise.resolve();
  },
  portIsFree: (port) => portIsFree(port),
  players: { join: (address, options) => joinBot(address, options) },
});
