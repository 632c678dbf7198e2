import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startS3rver, type S3rverProcess } from '@minefleet/testkit/s3rver';
import { FaultyTcpProxy } from './tcp-proxy.js';

const PREFIX = 'chaos/';
/** How long the control planes' S3 requests wait for a byte (MINEFLEET_S3_TIMEOUT_SECONDS). */
export const S3_TIMEOUT_SECONDS = 3;

/**
 * The chaos run's S3 backup store (`CHAOS_STORE=s3`): a real S3 server (s3rver) reached by the control
 * planes through a fault-injecting proxy, so the store can fail (connections reset and refused) or
 * stall (connections kept, nothing moves) without touching the server. The checks read the objects
 * from s3rver directly, past the proxy.
 */
export class ChaosS3 {
  private readonly client: S3Client;

  private constructor(
    readonly server: S3rverProcess,
    readonly proxy: FaultyTcpProxy,
  ) {
    this.client = new S3Client({
      endpoint: server.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: server.credentials,
    });
  }

  static async start(): Promise<ChaosS3> {
    const server = await startS3rver('minefleet-chaos');
    try {
      return new ChaosS3(server, await FaultyTcpProxy.start({ host: '127.0.0.1', port: server.port }));
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** The control planes' settings: the store through the proxy, with a short timeout for a stall. */
  env(): Record<string, string> {
    return {
      MINEFLEET_S3_BUCKET: this.server.bucket,
      MINEFLEET_S3_ENDPOINT: `http://127.0.0.1:${this.proxy.port}`,
      MINEFLEET_S3_ACCESS_KEY_ID: this.server.credentials.accessKeyId,
      MINEFLEET_S3_SECRET_ACCESS_KEY: this.server.credentials.secretAccessKey,
      MINEFLEET_S3_PREFIX: PREFIX,
      MINEFLEET_S3_TIMEOUT_SECONDS: String(S3_TIMEOUT_SECONDS),
    };
  }

  /** The names (`<backup id>.<extension>`) of the objects stored for one server. */
  async names(tenantId: string, serverId: string): Promise<string[]> {
    const folder = `${PREFIX}${tenantId}/${serverId}/`;
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.server.bucket, Prefix: folder, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        const rest = object.Key!.slice(folder.length);
        if (!rest.includes('/')) names.push(rest);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return names;
  }

  async hash(tenantId: string, serverId: string, name: string): Promise<{ sha256: string; size: number }> {
    const object = await this.client.send(
      new GetObjectCommand({ Bucket: this.server.bucket, Key: `${PREFIX}${tenantId}/${serverId}/${name}` }),
    );
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of object.Body as Readable) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  async destroy(): Promise<void> {
    this.client.destroy();
    await this.proxy.close().catch(() => {});
    await this.server.stop();
  }
}
