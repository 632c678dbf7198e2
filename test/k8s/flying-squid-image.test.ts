// The flying-squid game image's scripts, run here without a container: the entrypoint starts a real
// flying-squid server from the server.properties the operator's ConfigMap holds, mc-health (the
// probes) sees it answer a server-list ping, and minefleet-console (the preStop hook) announces,
// saves and stops it. Folders and the port are moved by environment variables, as the entrypoint allows.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { freePort } from '@minefleet/testkit/ports';
import { serverListPing } from '@minefleet/runtime-local/server-list-ping';
import { eventually, ROOT } from './cluster.js';
import { IMAGE_SCRIPTS as scripts, startImageGame } from './image-game.js';

const run = promisify(execFile);
/** Until the image's probe (mc-health) passes with `env`. */
const healthy = (env: NodeJS.ProcessEnv, timeoutMs: number) =>
  eventually(
    'mc-health to pass',
    () => run(process.execPath, [path.join(scripts, 'mc-health.mjs')], { env }).then(() => true),
    timeoutMs,
  );
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
        await healthy(env, 90_000);
        const status = (await serverListPing('127.0.0.1', port, 764, 5000)) as { description: unknown };
        expect(JSON.stringify(status.description)).toContain('From the ConfigMap');
        await run(process.execPath, [path.join(scripts, 'minefleet-console.mjs'), 'stop', '1'], {
          env,
          timeout: 30_000,
        });
        expect(await exited).toBe(0);
        // The world is in the volume's server folder (a restore swaps folders inside the volume).
        expect(existsSync(path.join(game.data, 'server', 'world'))).toBe(true);
        await expect(run(process.execPath, [path.join(scripts, 'mc-health.mjs')], { env })).rejects.toThrow();
      } finally {
        game.dispose();
      }
    }, 150_000);

    it('in maintenance runs the agent alone, after finishing an interrupted restore; its archive calls are checked', async () => {
      const port = await freePort();
      const agentPort = await freePort();
      const game = startImageGame({
        host: '127.0.0.1',
        port,
        version: '1.20.2',
        env: {
          MINEFLEET_MODE: 'maintenance',
          MINEFLEET_AGENT_PORT: String(agentPort),
          RCON_PASSWORD: 'maintenance-test',
        },
        prepare: (data) => {
          // An agent killed between a restore's two renames: the server folder is set aside, none in place.
          mkdirSync(path.join(data, '.server.mf-old-0a1b2c3d4e5f', 'world'), { recursive: true });
          writeFileSync(path.join(data, '.server.mf-old-0a1b2c3d4e5f', 'world', 'level.dat'), 'kept');
          // And a half-extracted restore beside it, which goes.
          mkdirSync(path.join(data, '.server.mf-restore-0a1b2c3d4e5f'));
        },
      });
      const { env, exited } = game;
      try {
        await healthy(env, 30_000); // the agent listens
        expect(readFileSync(path.join(game.data, 'server', 'world', 'level.dat'), 'utf8')).toBe('kept');
        expect(readdirSync(game.data).sort()).toEqual(['server']);
        // The agent checks what it is asked before the archive engine sees it.
        const ask = async (request: Record<string, unknown>) => {
          const socket = net.connect(agentPort, '127.0.0.1');
          socket.write(JSON.stringify({ op: 'auth', token: 'maintenance-test', ...request }) + '\n');
          socket.end();
          let answer = '';
          for await (const chunk of socket) answer += String(chunk);
          return JSON.parse(answer.split('\n')[0]!) as Record<string, unknown>;
        };
        expect(await ask({ then: 'archive', method: 'create', compression: 'lzma' })).toMatchObject({
          type: 'error',
          code: 'VALIDATION_FAILED',
        });
        expect(
          await ask({ then: 'archive', method: 'measure', exclude: Array.from({ length: 101 }, () => 'x') }),
        ).toMatchObject({ type: 'error', code: 'VALIDATION_FAILED' });
        expect(await ask({ then: 'archive', method: 'restore', compression: 'none' })).toMatchObject({
          type: 'error',
          code: 'VALIDATION_FAILED',
          message: 'limits.maxBytes and limits.maxEntries are required',
        });
        expect(await ask({ then: 'archive', method: 'measure', exclude: [] })).toEqual({
          type: 'archive',
          result: 4,
        });
        // No game: nothing on the game port, and the preStop hook has nothing to do.
        await expect(serverListPing('127.0.0.1', port, 764, 1000)).rejects.toThrow();
        await run(process.execPath, [path.join(scripts, 'minefleet-console.mjs'), 'stop', '1'], {
          env,
          timeout: 10_000,
        });
        game.process.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        game.dispose();
      }
    }, 60_000);

    it('moves a world an older image kept at the top of the volume into server/', async () => {
      const port = await freePort();
      const game = startImageGame({
        host: '127.0.0.1',
        port,
        version: '1.20.2',
        env: {
          MINEFLEET_MODE: 'maintenance',
          MINEFLEET_AGENT_PORT: String(await freePort()),
          RCON_PASSWORD: 'x',
        },
        prepare: (data) => {
          mkdirSync(path.join(data, 'world'));
          writeFileSync(path.join(data, 'world', 'level.dat'), 'old layout');
          writeFileSync(path.join(data, 'ops.json'), '[]');
          mkdirSync(path.join(data, 'lost+found'));
        },
      });
      try {
        await healthy(game.env, 30_000);
        expect(readdirSync(game.data).sort()).toEqual(['lost+found', 'server']);
        expect(readdirSync(path.join(game.data, 'server')).sort()).toEqual(['ops.json', 'world']);
        expect(readFileSync(path.join(game.data, 'server', 'world', 'level.dat'), 'utf8')).toBe('old layout');
      } finally {
        game.dispose();
      }
    }, 60_000);
  },
);
