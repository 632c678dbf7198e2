import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVerified } from './download.js';

/** A jar served in two halves with a pause between: the download must be on disk, not in memory. */
describe('jar downloads', () => {
  const half = 4 * 1024 * 1024;
  const jar = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(2 * half - 4, 7)]);
  const sha256 = createHash('sha256').update(jar).digest('hex');
  let release: () => void = () => {};
  let pausing = true;
  let server: Server;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'mf-jar-'));
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/java-archive', 'content-length': jar.length });
      res.write(jar.subarray(0, half));
      if (!pausing) res.end(jar.subarray(half));
      else void new Promise<void>((resolve) => (release = resolve)).then(() => res.end(jar.subarray(half)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/server.jar`;
  });
  afterAll(async () => {
    release();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('streams to a partial file beside the destination, then renames it into place', async () => {
    const destination = path.join(dir, 'cache', 'paper-1.21.4.jar');
    const downloading = downloadVerified(fetch, url, { algorithm: 'sha256', hex: sha256 }, destination);
    let partial: string | undefined;
    for (let i = 0; i < 200 && partial === undefined; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const names = await readdir(path.dirname(destination)).catch(() => [] as string[]);
      const name = names.find((n) => n.endsWith('.part'));
      if (name && (await stat(path.join(path.dirname(destination), name))).size >= half / 2) partial = name;
    }
    expect(partial, 'the first half is written to disk before the rest arrives').toBeDefined();
    release();
    expect(await downloading).toBe(sha256);
    expect((await readFile(destination)).equals(jar)).toBe(true);
    expect(await readdir(path.dirname(destination))).toEqual(['paper-1.21.4.jar']);
  });

  it('a checksum mismatch leaves nothing behind', async () => {
    const destination = path.join(dir, 'bad', 'x.jar');
    pausing = false;
    await expect(
      downloadVerified(fetch, url, { algorithm: 'sha256', hex: '0'.repeat(64) }, destination),
    ).rejects.toMatchObject({ code: 'DISTRIBUTION_UNAVAILABLE' });
    expect(await readdir(path.dirname(destination))).toEqual([]);
  });
});
