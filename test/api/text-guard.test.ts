import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp } from '@minefleet/testkit/api';

describe.each(testBackends())('NUL characters in requests on %s', (backend) => {
  let cp: RunningControlPlane;
  let a: SignedUp;

  beforeAll(async () => {
    cp = await startControlPlane(backend);
    a = await cp.api.signup('nul');
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('a NUL in a body text field is a 400 INVALID_TEXT naming the field, and creates nothing', async () => {
    const res = await cp.api.post(
      '/servers',
      { sku_id: 'starter\u0000', minecraft_version: '1.20.2', name: 'nul-test' },
      a.token,
    );
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TEXT', details: { field: 'body.sku_id' } });
    const list = await cp.api.get('/servers', a.token);
    expect(list.body.servers).toHaveLength(0);
  });

  it('nested values, object keys, query strings and path parameters are checked too', async () => {
    const nested = await cp.api.post(
      '/servers',
      { sku_id: 'starter', minecraft_version: '1.20.2', name: 'n', server_properties: { motd: 'a\u0000b' } },
      a.token,
    );
    expect(nested.status).toBe(400);
    expect(nested.body.error).toMatchObject({
      code: 'INVALID_TEXT',
      details: { field: 'body.server_properties.motd' },
    });
    const key = await cp.api.request('POST', '/api/v1/servers', {
      token: a.token,
      body: '{"sku_id":"starter","minecraft_version":"1.20.2","name":"k","server_properties":{"mo\\u0000td":"x"}}',
    });
    expect(key.status).toBe(400);
    expect(key.body.error.code).toBe('INVALID_TEXT');
    const query = await cp.api.get('/servers?search=a%00b', a.token);
    expect(query.status).toBe(400);
    expect(query.body.error.code).toBe('INVALID_TEXT');
    const login = await cp.api.post('/auth/login', { email: 'x\u0000@example.com', password: 'p' });
    expect(login.status).toBe(400);
    expect(login.body.error.code).toBe('INVALID_TEXT');
  });
});
