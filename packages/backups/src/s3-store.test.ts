import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBackupStoreConformance } from './conformance.js';
import { S3BackupStore } from './s3-store.js';
import { createBackupStore } from './create-store.js';

/**
 * A real S3 HTTP server (s3rver) on loopback, in its own process with its own folder. A child process
 * because s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers
 * through its legacy provider: the flag is given to that process, not to the tests.
 */
async function startS3(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  const directory = await mkdtemp(path.join(tmpdir(), 'mf-s3rver-'));
  const script = `
    const S3rver = require('s3rver');
    new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(directory)},
      configureBuckets: [{ name: 'minefleet-test', configs: [] }] })
      .run().then((a) => console.log(JSON.stringify({ port: a.port })), (e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script], {
    cwd: path.dirname(fileURLToPath(import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

const PART = 5 * 1024 * 1024;

function storeFor(endpoint: string, prefix: string): S3BackupStore {
  return new S3BackupStore({
    endpoint,
    bucket: 'minefleet-test',
    prefix,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    forcePathStyle: true,
    partSize: PART,
  });
}

runBackupStoreConformance('S3 (s3rver on loopback)', async () => {
  const s3 = await startS3();
  const store = storeFor(s3.endpoint, 'conformance/');
  return {
    store,
    chunkThreshold: PART,
    cleanup: async () => {
      store.destroy();
      await s3.stop();
    },
  };
});

describe('S3BackupStore specifics', () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3.stop();
  });

  it('keeps installations apart by prefix', async () => {
    const a = storeFor(s3.endpoint, 'install-a/');
    const b = storeFor(s3.endpoint, 'install-b/');
    try {
      await a.put('srv/one', Readable.from([Buffer.from('a')]));
      await b.put('srv/two', Readable.from([Buffer.from('b')]));
      const keysOf = async (store: S3BackupStore): Promise<string[]> => {
        const keys: string[] = [];
        for await (const entry of store.list('')) keys.push(entry.key);
        return keys;
      };
      expect(await keysOf(a)).toEqual(['srv/one']);
      expect(await keysOf(b)).toEqual(['srv/two']);
      expect(await b.stat('srv/one')).toBeNull();
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('fails its health check for a bucket that does not exist', async () => {
    const store = new S3BackupStore({
      endpoint: s3.endpoint,
      bucket: 'no-such-bucket',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
    });
    try {
      await expect(store.check()).rejects.toBeDefined();
    } finally {
      store.destroy();
    }
  });

  it('is what createBackupStore builds from S3 settings', async () => {
    const store = createBackupStore({
      kind: 's3',
      bucket: 'minefleet-test',
      endpoint: s3.endpoint,
      prefix: 'from-env/',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      forcePathStyle: true,
    });
    expect(store.kind).toBe('s3');
    await store.check();
    await store.put('x/y', Readable.from([Buffer.from('env')]));
    const direct = storeFor(s3.endpoint, 'from-env/');
    try {
      expect((await direct.stat('x/y'))?.sizeBytes).toBe(3);
    } finally {
      direct.destroy();
      (store as S3BackupStore).destroy();
    }
  });
});
