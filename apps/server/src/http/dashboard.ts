import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export interface DashboardOptions {
  /** The built dashboard (apps/dashboard/dist); found next to this package by default. */
  root?: string;
  /** Most bytes of files kept in memory (raw + gzip); files past it are read on each request. */
  cacheBytes?: number;
}

/** apps/dashboard/dist, from apps/server/{src,dist}/http/dashboard.{ts,js}. */
export function defaultDashboardRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dashboard/dist');
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.svg', '.json', '.map', '.txt', '.webmanifest']);

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip: Buffer | undefined;
  etag: string;
}

/**
 * Serves the dashboard's single-page app at the root: hashed files under /assets/ with immutable
 * caching, index.html with `no-cache` (so a new deploy is picked up at once), and index.html for any
 * other GET path without a file extension so deep links like /servers/<id>/console survive a reload.
 * /api/... and /metrics... are never answered here: they fall through to the API's JSON 404.
 *
 * A small handler rather than @fastify/static: a few dozen files, an in-memory cache with gzip, and the
 * SPA fallback rules in one place.
 */
export function dashboardPlugin(options: DashboardOptions = {}): FastifyPluginAsyncTypebox {
  const root = path.resolve(options.root ?? defaultDashboardRoot());
  const cacheLimit = options.cacheBytes ?? 32 * 1024 * 1024;
  const cache = new Map<string, CachedFile>();
  let cached = 0;

  async function load(file: string): Promise<CachedFile | undefined> {
    let info;
    try {
      info = await stat(file);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit;
    const body = await readFile(file);
    const ext = path.extname(file);
    const gzip = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : undefined;
    const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 20)}"`;
    const entry: CachedFile = { mtimeMs: info.mtimeMs, size: info.size, body, gzip, etag };
    const cost = body.length + (gzip?.length ?? 0);
    if (cached + cost <= cacheLimit) {
      if (hit) cached -= hit.body.length + (hit.gzip?.length ?? 0);
      cache.set(file, entry);
      cached += cost;
    }
    return entry;
  }

  async function send(
    request: FastifyRequest,
    reply: FastifyReply,
    file: string,
    entry: CachedFile,
    cacheControl: string,
  ) {
    void reply
      .header('content-type', TYPES[path.extname(file)] ?? 'application/octet-stream')
      .header('cache-control', cacheControl)
      .header('etag', entry.etag)
      .header('vary', 'accept-encoding')
      .header('x-content-type-options', 'nosniff');
    if (request.headers['if-none-match'] === entry.etag) return reply.code(304).send();
    const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (entry.gzip && acceptsGzip) return reply.header('content-encoding', 'gzip').send(entry.gzip);
    return reply.send(entry.body);
  }

  // Fastify plugins are async by contract; this one has nothing to await while registering.
  return async (app) => {
    app.get('/*', { config: { permission: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const pathname = request.url.split('?')[0] ?? '/';
      // The API and the Prometheus endpoint keep their own 404s, whatever path is asked.
      if (/^\/(api|metrics)(\/|$)/.test(pathname)) return reply.callNotFound();

      let decoded: string;
      try {
        decoded = decodeURIComponent(pathname);
      } catch {
        return reply.callNotFound();
      }
      if (decoded.includes('\0')) return reply.callNotFound();
      const file = path.resolve(root, `.${path.posix.normalize(decoded)}`);
      // Never serve anything outside the dashboard folder, whatever the path says.
      if (file !== root && !file.startsWith(root + path.sep)) return reply.callNotFound();

      if (decoded !== '/' && !decoded.endsWith('/')) {
        const entry = await load(file);
        if (entry) {
          const immutable = decoded.startsWith('/assets/');
          return send(
            request,
            reply,
            file,
            entry,
            immutable
              ? 'public, max-age=31536000, immutable'
              : decoded === '/index.html'
                ? 'no-cache'
                : 'public, max-age=3600',
          );
        }
        // A missing script or image must not be answered with HTML; only page paths fall back.
        if (decoded.startsWith('/assets/') || path.posix.extname(decoded) !== '') return reply.callNotFound();
      }

      const index = path.join(root, 'index.html');
      const entry = await load(index);
      if (!entry) {
        return reply
          .code(503)
          .header('content-type', 'text/plain; charset=utf-8')
          .header('cache-control', 'no-store')
          .send('The dashboard is not built. Run `npm run build` (it builds apps/dashboard).\n');
      }
      return send(request, reply, index, entry, 'no-cache');
    });
  };
}
