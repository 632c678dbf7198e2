import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** packages/backups, which has s3rver among its development dependencies (from src/ or dist/ alike). */
const BACKUPS_PACKAGE = fileURLToPath(new URL('../../backups', import.meta.url));

export interface S3rverProcess {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  bucket: string;
  /** The credentials s3rver accepts. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A real S3 HTTP server (s3rver) on loopback, in its own process with its own folder and one bucket. A
 * child process because s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only
 * offers through its legacy provider: the flag is given to that process, not to the tests.
 */
export async function startS3rver(bucket = 'minefleet-test'): Promise<S3rverProcess> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'mf-s3rver-'));
  const script = `
    const S3rver = require('s3rver');
    new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: ${JSON.stringify(directory)},
      configureBuckets: [{ name: ${JSON.stringify(bucket)}, configs: [] }] })
      .run().then((a) => console.log(JSON.stringify({ port: a.port })), (e) => { console.error(e); process.exit(1); });`;
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script], {
    cwd: BACKUPS_PACKAGE,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    bucket,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }
      await rm(directory, { recursive: true, force: true });
    },
  };
}
