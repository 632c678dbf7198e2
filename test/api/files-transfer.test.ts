import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createDeflateRaw, crc32, gunzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

interface ZipEntry {
  name: string;
  data?: Buffer;
  /** Pre-deflated bytes with the size and CRC of what they expand to. */
  deflated?: { bytes: Buffer; size: number; crc: number };
  /** Unix mode in the external attributes (0o120777: a symbolic link). */
  mode?: number;
}

/** A zip written byte by byte, so it can say what no zip library would write (`../`, links, bombs). */
function zipOf(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const method = e.deflated ? 8 : 0;
    const body = e.deflated ? e.deflated.bytes : e.data!;
    const size = e.deflated ? e.deflated.size : e.data!.length;
    const crc = e.deflated ? e.deflated.crc : crc32(e.data!);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc >>> 0, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    locals.push(local, name, body);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(0x0314, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc >>> 0, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(((e.mode ?? 0o100644) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

/** 1 GiB of zeros, deflated as it is generated (about 1 MB). */
async function gigabyteOfZeros(): Promise<{ bytes: Buffer; size: number; crc: number }> {
  const size = 1024 ** 3;
  const chunk = Buffer.alloc(1024 * 1024);
  let crc = 0;
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  const done = new Promise((resolve) => deflate.on('end', resolve));
  for (let i = 0; i < 1024; i++) {
    crc = crc32(chunk, crc);
    if (!deflate.write(chunk)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return { bytes: Buffer.concat(out), size, crc };
}

async function tarGzOf(
  entries: { name: string; type?: 'file' | 'symlink'; linkname?: string; data?: string }[],
) {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'symlink') pack.entry({ name: e.name, type: 'symlink', linkname: e.linkname });
    else pack.entry({ name: e.name }, e.data ?? '');
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack.pipe((await import('node:zlib')).createGzip())) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function tarNames(gz: Buffer): Promise<Map<string, string>> {
  const extract = tar.extract();
  Readable.from([gunzipSync(gz)]).pipe(extract);
  const names = new Map<string, string>();
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const c of entry) chunks.push(c as Buffer);
    names.set(entry.header.name, Buffer.concat(chunks).toString());
  }
  return names;
}

/**
 * Moving bytes in and out of a server's folder (docs/files.md): resumable chunked uploads within the
 * storage quota, file and folder downloads, and archive extraction that refuses unsafe archives.
 */
describe.each(testBackends().slice(0, 1))('file transfers on %s', (backend) => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let serverId: string;
  let folder: string;

  beforeAll(async () => {
    cp = await startControlPlane(backend);
    api = cp.api;
    owner = await api.signup('transfer-owner');
    const res = await api.post(
      '/servers',
      { name: 'transfers', sku_id: 'starter', minecraft_version: '1.20.2' },
      owner.token,
    );
    serverId = res.body.id;
    await api.waitForStatus(serverId, owner.token, 'stopped');
    folder = path.join(cp.dataDir, 'servers', serverId);
  });
  afterAll(async () => {
    await cp?.close();
  });

  const patch = (
    uploadId: string,
    offset: number,
    body: Buffer,
    contentType = 'application/offset+octet-stream',
  ) =>
    fetch(`${cp.url}/api/v1/servers/${serverId}/files/uploads/${uploadId}`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${owner.token}`,
        'content-type': contentType,
        'upload-offset': String(offset),
      },
      body: new Uint8Array(body),
    });

  /** Sends `send` bytes of a chunk declared as `declared`, then drops the connection. */
  const interruptedPatch = (uploadId: string, offset: number, data: Buffer, send: number) =>
    new Promise<void>((resolve) => {
      const url = new URL(`${cp.url}/api/v1/servers/${serverId}/files/uploads/${uploadId}`);
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${owner.token}`,
          'content-type': 'application/offset+octet-stream',
          'upload-offset': String(offset),
          'content-length': String(data.length),
        },
      });
      req.on('error', () => resolve());
      req.write(data.subarray(0, send), () =>
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 300),
      );
    });

  it('resumes a chunked upload interrupted halfway, and the result has the same SHA-256', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 123);
    const created = await api.post(
      `/servers/${serverId}/files/uploads`,
      { path: 'uploads/world.bin', size: data.length },
      owner.token,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ offset: 0, size: data.length, max_chunk_bytes: 50 * 1024 * 1024 });
    const id = created.body.id as string;
    const chunk = 1024 * 1024;
    expect((await patch(id, 0, data.subarray(0, chunk))).status).toBe(200);
    // The second chunk breaks off after 600 KiB.
    await interruptedPatch(id, chunk, data.subarray(chunk, 2 * chunk), 600 * 1024);
    const head = await fetch(`${cp.url}/api/v1/servers/${serverId}/files/uploads/${id}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(head.status).toBe(200);
    let offset = Number(head.headers.get('upload-offset'));
    expect(offset).toBeGreaterThanOrEqual(chunk);
    expect(offset).toBeLessThan(2 * chunk);
    // A chunk at a wrong offset is refused.
    const wrong = await patch(id, offset + 1, data.subarray(offset + 1, offset + 10));
    expect(wrong.status).toBe(409);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('UPLOAD_OFFSET_MISMATCH');
    let last: { complete: boolean; offset: number } | undefined;
    while (offset < data.length) {
      const res = await patch(id, offset, data.subarray(offset, offset + chunk));
      expect(res.status).toBe(200);
      last = (await res.json()) as { complete: boolean; offset: number };
      offset = last.offset;
    }
    expect(last?.complete).toBe(true);
    const download = await fetch(
      `${cp.url}/api/v1/servers/${serverId}/files/download?path=uploads/world.bin`,
      {
        headers: { authorization: `Bearer ${owner.token}` },
      },
    );
    const got = Buffer.from(await download.arrayBuffer());
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    expect(sha(got)).toBe(sha(data));
    expect((await api.get(`/servers/${serverId}/files/uploads/${id}`, owner.token)).body.error.code).toBe(
      'UPLOAD_NOT_FOUND',
    );
    // Nothing is left of the upload in the state folder.
    expect(await readdir(path.join(folder, '.minefleet/files/uploads'))).toEqual([]);
  });

  it('bounds uploads: chunk past the size (413), wrong content type (415), beyond the storage quota (403), existing file (409)', async () => {
    const created = await api.post(
      `/servers/${serverId}/files/uploads`,
      { path: 'small.bin', size: 10 },
      owner.token,
    );
    const over = await patch(created.body.id, 0, randomBytes(11));
    expect(over.status).toBe(413);
    const json = await patch(created.body.id, 0, Buffer.from('{}'), 'application/json');
    expect([400, 415]).toContain(json.status);
    const quota = await api.post(
      `/servers/${serverId}/files/uploads`,
      { path: 'huge.bin', size: 1024 ** 4 },
      owner.token,
    );
    expect(quota.status).toBe(403);
    expect(quota.body.error.code).toBe('QUOTA_EXCEEDED');
    const exists = await api.post(
      `/servers/${serverId}/files/uploads`,
      { path: 'uploads/world.bin', size: 1 },
      owner.token,
    );
    expect(exists.body.error.code).toBe('FILE_EXISTS');
    const hidden = await api.post(
      `/servers/${serverId}/files/uploads`,
      { path: '.minefleet/x', size: 1 },
      owner.token,
    );
    expect(hidden.body.error.code).toBe('PATH_PROTECTED');
    expect(
      (await api.delete(`/servers/${serverId}/files/uploads/${created.body.id}`, owner.token)).status,
    ).toBe(204);
  });

  it('downloads a folder as tar.gz (through a link) and as zip, and packs and extracts archives', async () => {
    await mkdir(path.join(folder, 'pack/inner'), { recursive: true });
    await writeFile(path.join(folder, 'pack/a.txt'), 'alpha');
    await writeFile(path.join(folder, 'pack/inner/b.txt'), 'beta');
    const link = await api.post(
      `/servers/${serverId}/files/download-link`,
      { path: 'pack', format: 'tar.gz' },
      owner.token,
    );
    expect(link.status).toBe(200);
    const res = await fetch(`${cp.url}${link.body.url}`);
    expect(res.status, res.status === 200 ? '' : await res.text()).toBe(200);
    const names = await tarNames(Buffer.from(await res.arrayBuffer()));
    expect(names.get('pack/a.txt')).toBe('alpha');
    expect(names.get('pack/inner/b.txt')).toBe('beta');
    // The whole server folder never includes the platform's folder.
    const whole = await fetch(`${cp.url}/api/v1/servers/${serverId}/files/download?path=.&format=tar.gz`, {
      headers: { authorization: `Bearer ${owner.token}` },
    });
    const all = await tarNames(Buffer.from(await whole.arrayBuffer()));
    expect([...all.keys()].some((n) => n.startsWith('.minefleet'))).toBe(false);
    expect(all.has('pack/a.txt')).toBe(true);

    for (const format of ['zip', 'tar.gz'] as const) {
      const packed = await api.post(
        `/servers/${serverId}/files/archive`,
        { path: 'pack', to: `out/pack.${format}`, format },
        owner.token,
      );
      expect(packed.status, JSON.stringify(packed.body)).toBe(201);
      const extracted = await api.post(
        `/servers/${serverId}/files/extract`,
        { path: `out/pack.${format}`, to: `unpacked-${format}` },
        owner.token,
      );
      expect(extracted.status, JSON.stringify(extracted.body)).toBe(200);
      expect(await readFile(path.join(folder, `unpacked-${format}/pack/inner/b.txt`), 'utf8')).toBe('beta');
      const again = await api.post(
        `/servers/${serverId}/files/extract`,
        { path: `out/pack.${format}`, to: `unpacked-${format}` },
        owner.token,
      );
      expect(again.body.error.code).toBe('FILE_EXISTS');
    }
  });

  it('refuses a zip with ../ entries, links or a 1 GiB expansion bomb, and a tar.gz with the same, writing nothing', async () => {
    const hostile: Record<string, Buffer> = {
      'dotdot.zip': zipOf([
        { name: 'ok.txt', data: Buffer.from('fine') },
        { name: '../../escaped.txt', data: Buffer.from('x') },
      ]),
      'nested-dotdot.zip': zipOf([
        { name: 'ok.txt', data: Buffer.from('fine') },
        { name: 'a/../../escaped.txt', data: Buffer.from('x') },
      ]),
      'absolute.zip': zipOf([{ name: '/tmp/escaped.txt', data: Buffer.from('x') }]),
      'backslash.zip': zipOf([{ name: '..\\escaped.txt', data: Buffer.from('x') }]),
      'state.zip': zipOf([{ name: '.minefleet/launch.json', data: Buffer.from('{}') }]),
      'symlink.zip': zipOf([
        { name: 'ok.txt', data: Buffer.from('fine') },
        { name: 'link', data: Buffer.from('/etc/passwd'), mode: 0o120777 },
      ]),
      'bomb.zip': zipOf([
        { name: 'ok.txt', data: Buffer.from('fine') },
        { name: 'zeros.bin', deflated: await gigabyteOfZeros() },
      ]),
      'dotdot.tar.gz': await tarGzOf([
        { name: 'ok.txt', data: 'fine' },
        { name: '../escaped.txt', data: 'x' },
      ]),
      'symlink.tar.gz': await tarGzOf([
        { name: 'ok.txt', data: 'fine' },
        { name: 'link', type: 'symlink', linkname: '/etc' },
      ]),
      'garbage.zip': randomBytes(4096),
    };
    await mkdir(path.join(folder, 'hostile'), { recursive: true });
    for (const [name, bytes] of Object.entries(hostile))
      await writeFile(path.join(folder, 'hostile', name), bytes);
    const before = (await readdir(folder)).sort();
    for (const name of Object.keys(hostile)) {
      const res = await api.post(
        `/servers/${serverId}/files/extract`,
        { path: `hostile/${name}`, to: 'dest' },
        owner.token,
      );
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(res.body.error.code).toBe('ARCHIVE_UNSAFE');
    }
    expect((await readdir(folder)).sort()).toEqual(before);
    await expect(stat(path.join(path.dirname(folder), 'escaped.txt'))).rejects.toThrow();
    await expect(stat('/tmp/escaped.txt')).rejects.toThrow();
    expect(await readdir(path.join(folder, '.minefleet/files/extract'))).toEqual([]);
  }, 120_000);
});
