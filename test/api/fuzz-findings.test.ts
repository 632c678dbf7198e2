import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testBackends } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp } from '@minefleet/testkit/api';

/**
 * Requests the API fuzzer (test/fuzz, docs/security.md "Fuzzing") found answered with a 500 or without a
 * catalogued error code: each must be refused cleanly, with the API's error shape.
 */
describe.each(testBackends())('requests the fuzzer found on %s', (backend) => {
  let cp: RunningControlPlane;
  let owner: SignedUp;
  let serverId: string;

  beforeAll(async () => {
    cp = await startControlPlane(backend);
    owner = await cp.api.signup('findings');
    const created = await cp.api.post(
      '/servers',
      { name: 'findings', sku_id: 'starter', minecraft_version: '1.20.2' },
      owner.token,
    );
    serverId = created.body.id;
    await cp.api.waitForStatus(serverId, owner.token, 'stopped');
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('an unpaired surrogate in JSON text is INVALID_TEXT, not a failed query', async () => {
    for (const body of [
      '{"email":"\\ude00\\ude00\\u00e9@example.com","role":"viewer"}',
      '{"email":"a@example.com","role":"viewer","\\ud800":1}',
    ]) {
      const res = await cp.api.request('POST', '/api/v1/members', { token: owner.token, body });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_TEXT');
    }
    // A well-formed pair is text like any other.
    const pair = await cp.api.post('/members', { email: '😀@example.com', role: 'viewer' }, owner.token);
    expect(pair.body.error.code).not.toBe('INVALID_TEXT');
  });

  it('a malformed path (bad percent-encoding, an over-long segment) is INVALID_ID in the API’s error shape', async () => {
    for (const [method, path] of [
      ['POST', '/api/v1/me/2fa/totp%zz'],
      ['GET', `/api/v1/servers/${serverId}%c3%28`],
      ['PATCH', `/api/v1/backups/${'x'.repeat(300)}`],
    ] as const) {
      const res = await cp.api.request(method, path, { token: owner.token });
      expect(res.status, `${path} ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.body.error.code, path).toBe('INVALID_ID');
      expect(res.body.error.request_id).toEqual(expect.any(String));
    }
  });

  it('a revision or file version number past 32 bits is INVALID_ID, not a failed query', async () => {
    for (const n of ['9007199254740994', '2147483648']) {
      const res = await cp.api.post(`/servers/${serverId}/config/revisions/${n}/rollback`, {}, owner.token);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('INVALID_ID');
    }
    const version = await cp.api.get(
      `/servers/${serverId}/files/versions/2147483648?path=server.properties`,
      owner.token,
    );
    expect(version.status).toBe(400);
    expect(version.body.error.code).toBe('INVALID_ID');
  });
});
