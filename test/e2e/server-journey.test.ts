// The server journey (server-journey.ts) on the local runtime: game servers as processes of this
// machine, the control plane in this process. The same journey runs on Kubernetes in
// test/k8s/platform-on-kubernetes.test.ts.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { serverJourney } from './server-journey.js';

describe('a server’s journey on the local runtime', () => {
  let cp: RunningControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      lifecycle: { monitorIntervalMs: 300, reconcileIntervalMs: 2_000 },
    });
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('create, start, a player, the console, a block backed up and restored, a plugin, stop, delete', async () => {
    const user = await cp.api.signup('journey-local');
    await serverJourney(
      {
        api: cp.api,
        url: cp.url,
        token: user.token,
        // The address the API gives is the game's own port on this machine.
        connect: (address) => ({ address }),
        // No game process is left, and the server's folder keeps its world.
        stopped: async (serverId) => {
          expect((await cp.controlPlane.runtime.inspect(serverId)).state).not.toBe('alive');
          expect(existsSync(path.join(cp.dataDir, 'servers', serverId, 'world'))).toBe(true);
        },
        gone: async (serverId) => {
          const deadline = Date.now() + 30_000;
          while (existsSync(path.join(cp.dataDir, 'servers', serverId)) && Date.now() < deadline)
            await new Promise((resolve) => setTimeout(resolve, 100));
          expect(existsSync(path.join(cp.dataDir, 'servers', serverId))).toBe(false);
          expect((await cp.controlPlane.runtime.inspect(serverId)).state).toBe('absent');
        },
      },
      'journey',
    );
  }, 300_000);
});
