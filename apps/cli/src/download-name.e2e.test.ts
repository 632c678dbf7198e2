import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertCliBuilt, runCli } from '@minefleet/testkit/cli';

/**
 * `minefleet backups download` against a hostile server that suggests file names outside the current
 * folder: the CLI (built, run as a child process) keeps the download in the folder it runs in.
 */
describe('the CLI chooses where a download lands, not the server', () => {
  const archive = Buffer.from('not really an archive, but hashed like one');
  const sha256 = createHash('sha256').update(archive).digest('hex');
  const backupId = randomUUID();
  let suggested = '';
  let server: Server;
  let root: string;
  let work: string;
  let url: string;

  beforeAll(async () => {
    assertCliBuilt();
    server = createServer((req, res) => {
      if (req.url === `/api/v1/backups/${backupId}`) {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            id: backupId,
            name: 'b',
            sha256,
            size_bytes: archive.length,
            status: 'completed',
          }),
        );
      } else if (req.url === `/api/v1/backups/${backupId}/download`) {
        res.setHeader('content-type', 'application/octet-stream');
        res.setHeader('content-disposition', `attachment; filename="${suggested}"`);
        res.end(archive);
      } else {
        res.statusCode = 404;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ error: { code: 'ROUTE_NOT_FOUND', message: 'no' } }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    root = await mkdtemp(path.join(os.tmpdir(), 'minefleet-cli-download-'));
    work = path.join(root, 'inside');
    await mkdir(work);
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    if (root) await rm(root, { recursive: true, force: true });
  });

  const download = () =>
    runCli(['backups', 'download', backupId], {
      cwd: work,
      env: {
        ...process.env,
        MINEFLEET_CONFIG_DIR: root,
        MINEFLEET_URL: url,
        MINEFLEET_TOKEN: 'mf_test_token_for_a_hostile_server',
      },
    });

  it.each([
    ['../escaped.tar', 'escaped.tar'],
    ['/tmp/absolute-minefleet.tar', 'absolute-minefleet.tar'],
    ['..\\\\windows.tar', 'windows.tar'],
    ['.bashrc', '.bashrc'],
  ])('refuses the suggested name %s and saves <backup id>.tar here', async (name, leaked) => {
    suggested = name;
    await rm(work, { recursive: true, force: true });
    await mkdir(work);
    const run = await download();
    expect(run.code, run.stderr).toBe(0);
    expect(await readdir(work)).toEqual([`${backupId}.tar`]);
    expect(existsSync(path.join(root, leaked))).toBe(false);
    expect(existsSync(path.join('/tmp', leaked))).toBe(false);
  });

  it('keeps a plain base name the server suggests', async () => {
    suggested = 'survival-nightly.tar.zst';
    await rm(work, { recursive: true, force: true });
    await mkdir(work);
    const run = await download();
    expect(run.code, run.stderr).toBe(0);
    expect(await readdir(work)).toEqual(['survival-nightly.tar.zst']);
  });
});
