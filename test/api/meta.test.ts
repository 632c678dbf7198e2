import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '@minefleet/domain/errors';
import { ERROR_STATUS } from '@minefleet/server/http/error-status';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';

describe('error catalogue', () => {
  it('gives every code an HTTP status and a row in docs/errors.md', async () => {
    const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    for (const code of ERROR_CODES) {
      expect(ERROR_STATUS[code], code).toBeGreaterThanOrEqual(400);
      expect(doc, `docs/errors.md lacks ${code}`).toMatch(
        new RegExp(`\\|\\s*\`${code}\`\\s*\\|\\s*${ERROR_STATUS[code]}\\s*\\|`),
      );
    }
  });
});

describe.each(testBackends())('meta endpoints on %s', (backend) => {
  let cp: RunningControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane(backend, {
      env: { MINEFLEET_BODY_LIMIT_BYTES: '2048', MINEFLEET_CORS_ORIGINS: 'https://panel.example.com' },
    });
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('health: no auth, no-store, CORS allowed, database latency', async () => {
    const res = await cp.api.get('/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.body).toMatchObject({
      status: 'ok',
      version: expect.any(String),
      uptime_seconds: expect.any(Number),
    });
    expect(res.body.checks.database).toMatchObject({
      status: 'ok',
      backend: backend === 'pglite' ? 'pglite' : 'postgres',
    });
    expect(res.body.checks.database.latency_ms).toBeGreaterThanOrEqual(0);
    expect(res.body.checks.runtime).toMatchObject({ status: 'ok', driver: 'local' });
  });

  it('OpenAPI 3.1 describes every route with schemas', async () => {
    const res = await cp.api.get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, methods] of Object.entries(res.body.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(methods)) {
        documented.add(`${method.toUpperCase()} ${path}`);
        expect(op.responses, `${method} ${path}`).toBeDefined();
        const success = Object.keys(op.responses).find((s) => s.startsWith('2'));
        expect(success, `${method} ${path} has a success response`).toBeDefined();
        expect(op.summary, `${method} ${path} has a summary`).toBeTruthy();
      }
    }
    const routes = cp.controlPlane.app.printRoutes({ commonPrefix: false }).split('\n').filter(Boolean);
    expect(routes.length).toBeGreaterThan(0);
    // Every API route (but the document itself and the docs UI) is in the document.
    const expected = [
      'GET /api/v1/health',
      'POST /api/v1/auth/signup',
      'POST /api/v1/auth/login',
      'GET /api/v1/me',
      'POST /api/v1/api-keys',
      'GET /api/v1/api-keys',
      'DELETE /api/v1/api-keys/{id}',
      'GET /api/v1/members',
      'POST /api/v1/members',
      'PATCH /api/v1/members/{user_id}',
      'DELETE /api/v1/members/{user_id}',
      'GET /api/v1/skus',
      'POST /api/v1/servers',
      'GET /api/v1/servers',
      'GET /api/v1/servers/{id}',
      'PATCH /api/v1/servers/{id}',
      'PUT /api/v1/servers/{id}',
      'DELETE /api/v1/servers/{id}',
      'GET /api/v1/servers/{id}/config/revisions',
      'POST /api/v1/servers/{id}/config/revisions/{n}/rollback',
      'POST /api/v1/servers/{id}/start',
      'POST /api/v1/servers/{id}/stop',
      'POST /api/v1/servers/{id}/restart',
      'POST /api/v1/servers/{id}/kill',
      'POST /api/v1/servers/{id}/commands',
      'GET /api/v1/servers/{id}/logs',
    ];
    for (const route of expected) expect(documented, route).toContain(route);
    expect(res.body.components.schemas.Server.properties.status.enum).toContain('running');
    expect(res.body.components.schemas.ErrorBody.properties.error.properties.code.enum).toEqual(ERROR_CODES);
  });

  it('serves an interactive docs page', async () => {
    const res = await cp.api.request('GET', '/api/v1/docs/');
    expect(res.status).toBe(200);
    expect(String(res.body)).toContain('swagger');
  });

  it('exports Prometheus metrics with the HTTP duration histogram by route and status', async () => {
    await cp.api.get('/health');
    const refused = await cp.api.request('GET', '/metrics');
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('UNAUTHENTICATED');
    // No token configured: one was generated into the data folder, private to the control plane's user.
    const file = path.join(cp.dataDir, 'metrics-token');
    expect((await readFile(file, 'utf8')).trim()).toBe(cp.metricsToken);
    expect((await stat(file)).mode & 0o077).toBe(0);
    const res = await cp.api.request('GET', '/metrics', {
      headers: { authorization: `Bearer ${cp.metricsToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = String(res.body);
    expect(text).toContain('minefleet_process_cpu_user_seconds_total');
    expect(text).toMatch(
      /minefleet_http_request_duration_seconds_bucket\{[^}]*route="\/api\/v1\/health"[^}]*status_code="200"/,
    );
    // What the alert rules read about the platform's own dependencies (deploy/monitoring/alerts.yml).
    expect(text).toMatch(/^minefleet_db_up 1$/m);
    expect(text).toMatch(/^minefleet_backup_store_up\{kind="local"\} 1$/m);
    expect(text).toMatch(/^minefleet_ws_max_connections \d+$/m);
  });

  it('sets security headers, request ids and the configured CORS origin', async () => {
    const res = await cp.api.get('/health');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const echoed = await cp.api.request('GET', '/api/v1/skus', { headers: { 'x-request-id': 'trace-123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-123');
    expect(echoed.body.error.request_id).toBe('trace-123');
    const preflight = await cp.api.request('OPTIONS', '/api/v1/servers', {
      headers: { origin: 'https://panel.example.com', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://panel.example.com');
    const foreign = await cp.api.request('OPTIONS', '/api/v1/servers', {
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('bounds request bodies: 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await cp.api.post('/auth/login', { email: 'a@example.com', password: 'x'.repeat(5000) });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('answers unknown routes with 404 ROUTE_NOT_FOUND and the error shape', async () => {
    const res = await cp.api.get('/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('ROUTE_NOT_FOUND');
    const wrongType = await cp.api.request('POST', '/api/v1/auth/login', {
      body: '<email/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });
});
