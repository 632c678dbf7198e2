// The flying-squid game image's scripts, run here without a container: the entrypoint starts a real
// flying-squid server from the server.properties the operator's ConfigMap holds, mc-health (the
// probes) sees it answer a server-list ping, and minefleet-console (the preStop hook) announces,
// saves and stops it. Folders and the port are moved by environment variables, as the entrypoint allows.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '@minefleet/testkit/ports';
import { serverListPing } from '@minefleet/runtime-local/server-list-ping';
import { eventually, ROOT } from './cluster.js';
import { IMAGE_SCRIPTS as scripts, startImageGame } from './image-game.js';

const run = promisify(execFile);
const built = existsSync(path.join(ROOT, 'packages/runtime-local/dist/flying-squid-runtime.js'));

describe.skipIf(!built)(
  `flying-squid image scripts${built ? '' : ' (skipped: the image scripts are not built)'}`,
  () => {
    it('starts from the ConfigMap, answers the health probe, and stops through the preStop command', async () => {
      const port = await freePort();
      const game = startImageGame({
        host: '127.0.0.1',
        port,
        version: '1.20.2',
        properties: { motd: 'From the ConfigMap', difficulty: 'peaceful' },
      });
      const { env, exited } = game;
      try {
        await eventually(
          'mc-health to pass',
          () => run(process.execPath, [path.join(scripts, 'mc-health.mjs')], { env }).then(() => true),
          90_000,
        );
        const status = (await serverListPing('127.0.0.1', port, 764, 5000)) as { description: unknown };
        expect(JSON.stringify(status.description)).toContain('From the ConfigMap');
        await run(process.execPath, [path.join(scripts, 'minefleet-console.mjs'), 'stop', '1'], {
          env,
          timeout: 30_000,
        });
        expect(await exited).toBe(0);
        expect(existsSync(path.join(game.data, 'world'))).toBe(true);
        await expect(run(process.execPath, [path.join(scripts, 'mc-health.mjs')], { env })).rejects.toThrow();
      } finally {
        game.dispose();
      }
    }, 150_000);
  },
);
