import { NodeHttpHandler } from '@smithy/node-http-handler';
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BackupStore } from '@minefleet/domain/ports/backup-store';
import { DomainError } from '@minefleet/domain/errors';
import { assertValidKey, assertValidPrefix } from './store-keys.js';

export interface S3BackupStoreConfig {
  bucket: string;
  /** Key prefix inside the bucket (e.g. `minefleet/`), so one bucket can serve several installations. */
  prefix?: string;
  /** Custom endpoint for MinIO, Cloudflare R2, Backblaze B2, Ceph...; omit for AWS. */
  endpoint?: string;
  /** AWS region; S3-compatible services often accept any (R2 wants `auto`). */
  region?: string;
  /** Omit to use the AWS SDK's default chain (environment, profile, instance role). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** `bucket` in the path rather than the host name: needed by MinIO and most self-hosted servers. */
  forcePathStyle?: boolean;
  /** Multipart part size; S3's minimum is 5 MiB. Memory used by a `put` is about partSize × queueSize. */
  partSize?: number;
  queueSize?: number;
  /**
   * Milliseconds to connect, and of socket inactivity before a request fails (defaults 10 s and 60 s):
   * without them a store that stops answering holds a backup, a restore or a delete forever.
   */
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

export const S3_CONNECT_TIMEOUT_MS = 10_000;
export const S3_IDLE_TIMEOUT_MS = 60_000;

const MIN_PART_SIZE = 5 * 1024 * 1024;

/**
 * Archives as objects in an S3-compatible bucket. `put` is a multipart upload (lib-storage): an object
 * appears only when CompleteMultipartUpload succeeds, and a failed or aborted upload is aborted so its
 * parts are dropped (keep a bucket lifecycle rule for incomplete uploads as a safety net: a process
 * killed mid-upload cannot abort anything).
 */
export class S3BackupStore implements BackupStore {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(config: S3BackupStoreConfig, client?: S3Client) {
    this.bucket = config.bucket;
    this.prefix = config.prefix ?? '';
    if (this.prefix !== '') assertValidPrefix(this.prefix);
    this.partSize = Math.max(MIN_PART_SIZE, config.partSize ?? 8 * 1024 * 1024);
    this.queueSize = Math.max(1, config.queueSize ?? 2);
    this.client =
      client ??
      new S3Client({
        region: config.region ?? 'us-east-1',
        ...(config.endpoint !== undefined ? { endpoint: config.endpoint } : {}),
        ...(config.credentials !== undefined ? { credentials: config.credentials } : {}),
        forcePathStyle: config.forcePathStyle ?? false,
        requestHandler: new NodeHttpHandler({
          connectionTimeout: config.connectTimeoutMs ?? S3_CONNECT_TIMEOUT_MS,
          // Until the answer starts, and then between bytes of a streamed body.
          requestTimeout: config.idleTimeoutMs ?? S3_IDLE_TIMEOUT_MS,
          socketTimeout: config.idleTimeoutMs ?? S3_IDLE_TIMEOUT_MS,
          // Without it the handler only logs a warning when the timeout passes.
          throwOnRequestTimeout: true,
        }),
        // The SDK's default since 2025 adds CRC32 checksums sent as aws-chunked trailers, which many
        // S3-compatible servers (older MinIO, R2 for some calls, s3rver) reject. Only when required.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
  }

  async put(
    key: string,
    body: AsyncIterable<Uint8Array>,
    options: { signal?: AbortSignal } = {},
  ): Promise<{ sizeBytes: number }> {
    assertValidKey(key);
    options.signal?.throwIfAborted();
    let sizeBytes = 0;
    let bodyError: { error: unknown } | undefined;
    const counted = Readable.from(
      (async function* () {
        try {
          for await (const chunk of body) {
            sizeBytes += chunk.length;
            yield chunk;
          }
        } catch (error) {
          bodyError = { error };
          throw error;
        }
      })(),
      { objectMode: false },
    );
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.prefix + key, Body: counted },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    const onAbort = (): void => {
      void upload.abort().catch(() => undefined);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } catch (error) {
      // Nothing was completed, so the key still holds what it held before (or nothing).
      counted.destroy();
      if (options.signal?.aborted) throw options.signal.reason;
      // The body's own failure is the cause; lib-storage may report the abort call's error instead.
      if (bodyError !== undefined) throw bodyError.error;
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
    return { sizeBytes };
  }

  async get(key: string): Promise<AsyncIterable<Uint8Array>> {
    assertValidKey(key);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      if (response.Body === undefined) throw notFound(key);
      return response.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw notFound(key);
      throw error;
    }
  }

  async stat(key: string): Promise<{ sizeBytes: number; modifiedAt: Date } | null> {
    assertValidKey(key);
    try {
      const head = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }),
      );
      return { sizeBytes: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }

  async *list(prefix: string): AsyncIterable<{ key: string; sizeBytes: number }> {
    assertValidPrefix(prefix);
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + prefix,
          ...(continuationToken !== undefined ? { ContinuationToken: continuationToken } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key.slice(this.prefix.length), sizeBytes: object.Size ?? 0 };
      }
      continuationToken = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (continuationToken !== undefined);
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }

  /** Closes the client's sockets (tests, shutdown). */
  destroy(): void {
    this.client.destroy();
  }
}

function notFound(key: string): DomainError {
  return new DomainError('BACKUP_NOT_FOUND', `No archive under ${key}`, { key });
}

function isMissing(error: unknown): boolean {
  if (!(error instanceof S3ServiceException)) return false;
  return error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404;
}
