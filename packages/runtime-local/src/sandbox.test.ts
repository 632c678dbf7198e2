import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Sandbox, detectIsolation } from './sandbox.js';
import { serverFolder } from './server-folder.js';

const isolation = detectIsolation('auto', process.env.PATH ?? '');
const withUsers = isolation.level === 'sandbox-user';
if (!withUsers) console.warn(`sandbox.test: per-server users not available here (${isolation.reason})`);

describe.skipIf(!withUsers)(
  `the sandbox with a user per server${withUsers ? '' : ' (skipped: needs root and bubblewrap)'}`,
  () => {
    const made: string[] = [];
    afterAll(async () => {
      for (const dir of made) await rm(dir, { recursive: true, force: true });
    });

    it('lets the server’s user read its launcher when the checkout sits under /tmp', async () => {
      // A checkout under /tmp (CI clones, a quick try-out): /tmp is masked in the sandbox and the checkout
      // bound back read-only; the folders down to it must be traversable by the server's own user.
      const parent = await mkdtemp(path.join('/tmp', 'mf-clone-'));
      const data = await mkdtemp(path.join('/tmp', 'mf-data-'));
      made.push(parent, data);
      // As a clone or an unpacked release is: readable by everyone, one folder below /tmp.
      await chmod(parent, 0o755);
      const checkout = path.join(parent, 'minefleet');
      await mkdir(path.join(checkout, 'launcher'), { recursive: true, mode: 0o755 });
      await writeFile(path.join(checkout, 'launcher', 'game.txt'), 'launcher reached\n', { mode: 0o644 });
      const folder = serverFolder(data, 'sandboxed-server');
      await mkdir(folder.stateDir, { recursive: true });
      const sandbox = new Sandbox(isolation, { dataDir: data, readOnly: [checkout], uidBase: 250_000 });
      await sandbox.handOver(folder);
      const plan = await sandbox.wrap(
        {
          command: '/bin/cat',
          args: [path.join(checkout, 'launcher', 'game.txt')],
          env: { PATH: '/usr/bin:/bin' },
        },
        folder,
      );
      const child = spawn(plan.command, plan.args, {
        env: plan.env,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(out).toBe('launcher reached\n');
    });
  },
);
