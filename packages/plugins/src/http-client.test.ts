/**
 * The shared HTTP client against a local server that fails on purpose: retries with backoff on 429
 * and 5xx (honouring Retry-After), no retry on other errors, per-attempt timeouts, bounded bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainError } from '@minefleet/domain/errors';
import { startApiServer, type ApiServer, type Reply } from './fixtures/api-server.js';
import { apiUrl, HttpClient, type HttpClientOptions } from './http-client.js';

const USER_AGENT = 'minefleet-tests/0.1.0 (tests@minefleet.invalid)';
let api: ApiServer;
/** Per path: the replies to give in turn (the last one repeats). */
const script = new Map<string, Reply[]>();
const served = new Map<string, number>();

beforeAll(async () => {
  api = await startApiServer(({ url }) => {
    const replies = script.get(url.pathname);
    if (!replies) return undefined;
    const n = served.get(url.pathname) ?? 0;
    served.set(url.pathname, n + 1);
    return replies[Math.min(n, replies.length - 1)];
  });
});

afterAll(async () => {
  await api.close();
});

function client(options: Partial<HttpClientOptions> = {}): HttpClient {
  return new HttpClient('test', { userAgent: USER_AGENT, retryBaseDelayMs: 5, timeoutMs: 2_000, ...options });
}

function on(path: string, ...replies: Reply[]): URL {
  script.set(path, replies);
  served.delete(path);
  return new URL(path, api.baseUrl);
}

async function failure(promise: Promise<unknown>): Promise<DomainError> {
  const error = (await promise.catch((e: unknown) => e)) as DomainError;
  expect(error.code).toBe('PLUGIN_SOURCE_UNAVAILABLE');
  return error;
}

describe('HttpClient', () => {
  it('identifies itself and parses JSON', async () => {
    const url = on('/ok', { body: { hello: 'world' } });
    expect(await client().getJson(url)).toEqual({ hello: 'world' });
    const request = api.requests.findLast((r) => r.url.pathname === '/ok')!;
    expect(request.headers['user-agent']).toBe(USER_AGENT);
    expect(request.headers.accept).toBe('application/json');
  });

  it('answers null for 404', async () => {
    expect(await client().getJson(on('/missing', { status: 404, body: { error: 'not_found' } }))).toBeNull();
  });

  it('retries 429 after Retry-After and 5xx with backoff, then succeeds', async () => {
    const limited = on('/limited', { status: 429, headers: { 'retry-after': '0' }, body: {} }, { body: [1] });
    expect(await client().getJson(limited)).toEqual([1]);
    expect(served.get('/limited')).toBe(2);

    const flaky = on('/flaky', { status: 503, body: {} }, { status: 502, body: {} }, { body: [2] });
    expect(await client().getJson(flaky)).toEqual([2]);
    expect(served.get('/flaky')).toBe(3);
  });

  it('gives up after its retries, and never retries a client error', async () => {
    const down = on('/down', { status: 500, body: {} });
    const error = await failure(client({ retries: 2 }).getJson(down));
    expect(error.details).toMatchObject({ source: 'test', reason: 'status', status: 500, attempts: 3 });
    expect(served.get('/down')).toBe(3);

    const bad = on('/bad', { status: 400, body: { error: 'invalid_input' } });
    expect((await failure(client().getJson(bad))).details).toMatchObject({ status: 400, attempts: 1 });
    expect(served.get('/bad')).toBe(1);
  });

  it('caps a long Retry-After at its maximum wait', async () => {
    const url = on(
      '/slow-down',
      { status: 429, headers: { 'retry-after': '3600' }, body: {} },
      { body: ['ok'] },
    );
    const started = Date.now();
    expect(await client({ maxRetryDelayMs: 50 }).getJson(url)).toEqual(['ok']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out an attempt that never answers', async () => {
    const url = on('/hang', { hang: true });
    const started = Date.now();
    const error = await failure(client({ timeoutMs: 150, retries: 1 }).getJson(url));
    expect(error.details).toMatchObject({ reason: 'timeout', attempts: 2 });
    expect(served.get('/hang')).toBe(2);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses a body larger than its limit, declared or not', async () => {
    const big = Buffer.alloc(64 * 1024, 0x20);
    const declared = on('/big', { body: big });
    expect((await failure(client({ maxResponseBytes: 1024 }).getJson(declared))).details).toMatchObject({
      reason: 'too-large',
    });
    const chunked = on('/big-chunked', { headers: { 'transfer-encoding': 'chunked' }, body: big });
    expect((await failure(client({ maxResponseBytes: 1024 }).getJson(chunked))).details).toMatchObject({
      reason: 'too-large',
    });
  });

  it('refuses a body that is not JSON', async () => {
    const url = on('/html', { headers: { 'content-type': 'text/html' }, body: '<html>maintenance</html>' });
    expect((await failure(client().getJson(url))).details).toMatchObject({ reason: 'invalid-json' });
  });

  it('streams a download through redirects, cut off past the size it was promised', async () => {
    const file = Buffer.alloc(10_000, 7);
    on('/file', { body: file });
    const redirect = on('/redirect', { status: 302, headers: { location: '/file' }, body: '' });
    const chunks: Uint8Array[] = [];
    for await (const chunk of await client().stream(redirect, file.length)) chunks.push(chunk);
    expect(Buffer.concat(chunks).equals(file)).toBe(true);

    const tooBig = on('/too-big', { headers: { 'transfer-encoding': 'chunked' }, body: file });
    const read = async () => {
      for await (const chunk of await client().stream(tooBig, 1_000)) void chunk;
    };
    expect((await failure(read())).details).toMatchObject({ reason: 'too-large' });
  });

  it('joins paths under a base that has a path of its own', () => {
    expect(apiUrl('https://api.modrinth.com/v2', '/project/a b', { limit: 5, q: undefined }).href).toBe(
      'https://api.modrinth.com/v2/project/a%20b?limit=5',
    );
  });
});
