// The HTTP client of the Kubernetes API server used by the operator and the Kubernetes runtime driver.
import https from 'node:https';
import http from 'node:http';
import type { KubeConfig } from '@kubernetes/client-node';

/** An error answer of the API server, with its HTTP status and the Status object's reason. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export const isStatus = (error: unknown, status: number) =>
  error instanceof KubeError && error.status === status;

/** A short, stable reason for metrics and logs. */
export function errorReason(error: unknown): string {
  if (error instanceof KubeError) return error.reason || `HTTP${error.status}`;
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'Unknown';
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** What the operator and the driver need from the API server; tests may wrap it to arrange a real conflict. */
export interface KubeApi {
  request<T>(method: string, path: string, options?: RequestOptions): Promise<T>;
  /** Streams watch events until the server ends the watch (resolve) or the connection fails (reject). */
  watch<T>(
    path: string,
    query: RequestOptions['query'],
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void>;
}

export const PATCH = {
  apply: 'application/apply-patch+yaml',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
} as const;

function queryString(query: RequestOptions['query']): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) params.set(k, String(v));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * A small HTTP client of the API server over node:https, with the TLS material and credentials that
 * @kubernetes/client-node's KubeConfig resolves (kubeconfig file or in-cluster service account). One
 * keep-alive agent serves every request; credentials are re-read every minute (projected service
 * account tokens rotate).
 */
export class KubeClient implements KubeApi {
  private agent: https.Agent | http.Agent | undefined;
  private headers: Record<string, string> = {};
  private refreshedAt = 0;
  private readonly server: URL;

  constructor(
    private readonly kc: KubeConfig,
    private readonly options: {
      maxSockets?: number;
      userAgent?: string;
      /** Called after every request (not watches) with its verb, status and duration. */
      onResponse?: (method: string, path: string, status: number, seconds: number) => void;
    } = {},
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  private async prepare(): Promise<void> {
    if (this.agent && Date.now() - this.refreshedAt < 60_000) return;
    const opts: https.RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === 'string') headers[k] = v;
    if (opts.auth) headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    headers['User-Agent'] = this.options.userAgent ?? 'minefleet-operator';
    this.headers = headers;
    if (!this.agent) {
      const agentOptions = {
        keepAlive: true,
        maxSockets: this.options.maxSockets ?? 32,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
      };
      this.agent =
        this.server.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    }
    this.refreshedAt = Date.now();
  }

  private async open(method: string, path: string, options: RequestOptions): Promise<http.IncomingMessage> {
    await this.prepare();
    const url = new URL(path + queryString(options.query), this.server);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = mod.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            ...this.headers,
            Accept: 'application/json',
            ...(body !== undefined
              ? {
                  'Content-Type': options.contentType ?? 'application/json',
                  'Content-Length': Buffer.byteLength(body),
                }
              : {}),
          },
          signal: options.signal,
        },
        resolve,
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const started = performance.now();
    const res = await this.open(method, path, options);
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const status = res.statusCode ?? 0;
    this.options.onResponse?.(method, path, status, (performance.now() - started) / 1000);
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (status >= 400) {
      const s = (parsed ?? {}) as { reason?: string; message?: string; details?: unknown };
      throw new KubeError(
        status,
        s.reason ?? '',
        s.message ?? `HTTP ${status} from ${method} ${path}`,
        s.details,
      );
    }
    return parsed as T;
  }

  async watch<T>(
    path: string,
    query: RequestOptions['query'],
    onEvent: (event: WatchEvent<T>) => void,
    signal: AbortSignal,
  ): Promise<void> {
    const res = await this.open('GET', path, { query: { ...query, watch: true }, signal });
    if ((res.statusCode ?? 0) >= 400) {
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      const s = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
        reason?: string;
        message?: string;
      };
      throw new KubeError(res.statusCode ?? 0, s.reason ?? '', s.message ?? `watch ${path} failed`);
    }
    let buffered = '';
    res.setEncoding('utf8');
    for await (const chunk of res) {
      buffered += chunk as string;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
      }
    }
  }

  close(): void {
    this.agent?.destroy();
  }
}
