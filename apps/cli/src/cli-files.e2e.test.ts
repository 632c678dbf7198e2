import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { primaryBackend } from '@minefleet/testkit/databases';
import { assertCliBuilt, cliEnv, runCli, type CliRun } from '@minefleet/testkit/cli';
import type { SignedUp } from '@minefleet/testkit/api';

/**
 * `minefleet files …` through the built executable against a real control plane and a stopped
 * flying-squid server's folder. Run `npx tsc -b` first: the CLI runs from dist/.
 */
describe('the minefleet CLI manages files', () => {
  let cp: RunningControlPlane;
  let user: SignedUp;
  let work: string;
  let env: NodeJS.ProcessEnv;
  let folder: string;

  const cli = (args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
    runCli(args, { env: { ...env, ...extraEnv }, input: '', cwd: work, timeoutMs: 60_000 });

  beforeAll(async () => {
    assertCliBuilt();
    cp = await startControlPlane(primaryBackend());
    user = await cp.api.signup('cli-files');
    work = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-files-'));
    env = cliEnv(work, { MINEFLEET_URL: cp.url, MINEFLEET_TOKEN: user.token });
    const created = await cp.api.post(
      '/servers',
      { name: 'cli-files', sku_id: 'starter', minecraft_version: '1.20.2' },
      user.token,
    );
    await cp.api.waitForStatus(created.body.id, user.token, 'stopped');
    folder = path.join(cp.dataDir, 'servers', created.body.id);
  }, 300_000);
  afterAll(async () => {
    await cp?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('puts, lists, cats, edits, gets, moves and removes files; lists, shows and reverts versions; restores from the trash', async () => {
    const local = path.join(work, 'blob.bin');
    const data = randomBytes(20 * 1024 * 1024 + 7);
    await writeFile(local, data);
    const put = await cli(['files', 'put', 'cli-files', local, 'uploads/blob.bin']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stderr).toContain('100%');
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(await readFile(path.join(folder, 'uploads/blob.bin')))).toBe(sha(data));

    const ls = await cli(['files', 'ls', 'cli-files', 'uploads']);
    expect(ls.code).toBe(0);
    expect(ls.stdout).toMatch(/NAME\s+TYPE\s+SIZE/);
    expect(ls.stdout).toContain('blob.bin');

    await writeFile(path.join(folder, 'notes.txt'), 'before\n');
    const cat = await cli(['files', 'cat', 'cli-files', 'notes.txt']);
    expect(cat.stdout).toBe('before\n');

    // An "editor" that rewrites the file it is given.
    const editor = path.join(work, 'editor.sh');
    await writeFile(editor, '#!/bin/sh\nprintf "after\\n" > "$1"\n', { mode: 0o755 });
    const edit = await cli(['files', 'edit', 'cli-files', 'notes.txt'], { EDITOR: editor, VISUAL: '' });
    expect(edit.code, edit.stderr).toBe(0);
    expect(await readFile(path.join(folder, 'notes.txt'), 'utf8')).toBe('after\n');

    const get = await cli([
      'files',
      'get',
      'cli-files',
      'uploads/blob.bin',
      '-O',
      path.join(work, 'back.bin'),
    ]);
    expect(get.code, get.stderr).toBe(0);
    expect(sha(await readFile(path.join(work, 'back.bin')))).toBe(sha(data));

    // The edit saved a version: list it, print the one before, revert to it.
    const versions = await cli(['files', 'versions', 'cli-files', 'notes.txt', '-o', 'json']);
    expect(versions.code, versions.stderr).toBe(0);
    const saved = JSON.parse(versions.stdout) as { version: number; saved_by: string | null }[];
    const original = saved.find((v) => v.saved_by === null);
    expect(original, versions.stdout).toBeDefined();
    const table = await cli(['files', 'versions', 'cli-files', 'notes.txt']);
    expect(table.stdout).toMatch(/VERSION\s+SIZE\s+SAVED/);
    const shown = await cli(['files', 'show-version', 'cli-files', 'notes.txt', String(original!.version)]);
    expect(shown.stdout).toBe('before\n');
    const reverted = await cli(['files', 'revert', 'cli-files', 'notes.txt', String(original!.version)]);
    expect(reverted.code, reverted.stderr).toBe(0);
    expect(await readFile(path.join(folder, 'notes.txt'), 'utf8')).toBe('before\n');
    const badVersion = await cli(['files', 'revert', 'cli-files', 'notes.txt', 'latest']);
    expect(badVersion.code).toBe(1);
    expect(badVersion.stderr).toContain('VALIDATION_FAILED');

    const mv = await cli(['files', 'mv', 'cli-files', 'notes.txt', 'docs/notes.txt']);
    expect(mv.code, mv.stderr).toBe(0);
    const rmRun = await cli(['files', 'rm', 'cli-files', 'docs']);
    expect(rmRun.code, rmRun.stderr).toBe(0);
    await expect(stat(path.join(folder, 'docs'))).rejects.toThrow();
    // Deleted means in the trash: listed there, and put back by the path it was deleted from.
    const trash = await cli(['files', 'trash', 'cli-files']);
    expect(trash.code, trash.stderr).toBe(0);
    expect(trash.stdout).toContain('docs/');
    const restored = await cli(['files', 'restore', 'cli-files', 'docs']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(await readFile(path.join(folder, 'docs/notes.txt'), 'utf8')).toBe('before\n');
    const missing = await cli(['files', 'restore', 'cli-files', 'nothing-here']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('TRASH_ITEM_NOT_FOUND');

    const escape = await cli(['files', 'cat', 'cli-files', '../../etc/passwd']);
    expect(escape.code).toBe(1);
    expect(escape.stderr).toContain('INVALID_PATH');
  }, 300_000);
});
