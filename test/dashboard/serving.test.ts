import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardPlugin } from '@minefleet/server/http/dashboard';

/**
 * The dashboard's static serving rules, against a small built-looking folder: cache headers, gzip, ETag
 * revalidation, the SPA fallback, and paths that must never be answered from it.
 */
describe('dashboard serving', () => {
  let dir: string;
  let app: FastifyInstance;
  const bigScript = `console.log(${JSON.stringify('x'.repeat(5000))});`;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-dist-'));
    await mkdir(path.join(dir, 'assets'));
    await writeFile(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
    await writeFile(path.join(dir, 'assets', 'index-abc123.js'), bigScript);
    await writeFile(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    await writeFile(path.join(os.tmpdir(), 'minefleet-secret.txt'), 'TOP-SECRET-CONTENT-42');
    app = Fastify();
    // Stand-ins for what the real app registers around the plugin: an API route and its JSON 404.
    app.get('/api/v1/health', async () => ({ status: 'ok' }));
    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send({ error: { code: 'ROUTE_NOT_FOUND', message: `No route ${request.url}` } }),
    );
    await app.register(dashboardPlugin({ root: dir }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
    await rm(path.join(os.tmpdir(), 'minefleet-secret.txt'), { force: true });
  });

  it('serves hashed assets immutable and gzipped, and revalidates index.html by ETag', async () => {
    const js = await app.inject({
      url: '/assets/index-abc123.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(js.statusCode).toBe(200);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(js.rawPayload).toString()).toBe(bigScript);
    const plain = await app.inject({ url: '/assets/index-abc123.js' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(bigScript);

    const index = await app.inject({ url: '/' });
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    const again = await app.inject({ url: '/', headers: { 'if-none-match': String(index.headers.etag) } });
    expect(again.statusCode).toBe(304);
    expect((await app.inject({ url: '/favicon.svg' })).headers['cache-control']).toBe('public, max-age=3600');
    expect((await app.inject({ method: 'HEAD', url: '/servers' })).statusCode).toBe(200);
  });

  it('answers index.html for app paths, 404 for missing files, and leaves the API alone', async () => {
    for (const url of ['/servers', '/servers/0a1b/console', '/login?next=%2Fservers'])
      expect((await app.inject({ url })).body).toContain('id="app"');
    expect((await app.inject({ url: '/assets/gone.js' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/robots.txt' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/v1/health' })).json()).toEqual({ status: 'ok' });
    for (const url of ['/api/v1/nope', '/api', '/metrics/x']) {
      const res = await app.inject({ url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: 'ROUTE_NOT_FOUND' } });
    }
  });

  it.each([
    '/../minefleet-secret.txt',
    '/%2e%2e/minefleet-secret.txt',
    '/assets/%2e%2e/%2e%2e/minefleet-secret.txt',
    '/..%2fminefleet-secret.txt',
    '/%00index.html',
    '/%E0%A4%A',
  ])('never serves a file outside the folder: %s', async (url) => {
    const res = await app.inject({ url });
    expect(res.body).not.toContain('TOP-SECRET-CONTENT-42');
  });

  it('says how to build when the dashboard is not built', async () => {
    const bare = Fastify();
    await bare.register(dashboardPlugin({ root: path.join(dir, 'nowhere') }));
    const res = await bare.inject({ url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await bare.close();
  });
});
