import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import type { SignedUp, TestApi } from '@minefleet/testkit/api';

/** An open Server-Sent Events console stream, read as text. */
async function openStream(url: string, token: string) {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  let text = '';
  let ended = false;
  const reading = (async () => {
    if (!response.body) return;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    } catch {
      // aborted by the test
    }
    ended = true;
  })();
  return {
    response,
    text: () => text,
    ended: () => ended,
    async waitEnded(timeoutMs: number) {
      await Promise.race([reading, new Promise((r) => setTimeout(r, timeoutMs))]);
      return ended;
    },
    close() {
      controller.abort();
      return reading;
    },
  };
}

describe('the SSE console stream keeps checking its caller', () => {
  let cp: RunningControlPlane;
  let api: TestApi;
  let owner: SignedUp;
  let serverId: string;
  let streamUrl: string;

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend(), {
      env: { MINEFLEET_CONSOLE_STREAM_RECHECK_SECONDS: '0.3', MINEFLEET_CONSOLE_STREAMS_PER_USER: '2' },
    });
    api = cp.api;
    owner = await api.signup('stream-owner');
    const created = await api.post(
      '/servers',
      { name: 'streamed', sku_id: 'starter', minecraft_version: '1.20.2' },
      owner.token,
    );
    serverId = created.body.id;
    streamUrl = `${cp.url}/api/v1/servers/${serverId}/console/stream`;
    await api.waitForStatus(serverId, owner.token, 'stopped');
  });
  afterAll(async () => {
    await cp?.close();
  });

  it('a removed member stops receiving the console (the stream ends with an error event)', async () => {
    const user = await api.signup('stream-operator');
    await api.post('/members', { email: user.email, role: 'operator' }, owner.token);
    const token = (
      await api.post('/auth/login', { email: user.email, password: user.password, tenant_id: owner.tenantId })
    ).body.token as string;
    const stream = await openStream(streamUrl, token);
    expect(stream.response.status).toBe(200);
    expect(await stream.waitEnded(1000)).toBe(false);
    expect((await api.delete(`/members/${user.userId}`, owner.token)).status).toBe(204);
    expect(await stream.waitEnded(5000)).toBe(true);
    expect(stream.text()).toMatch(/event: error\ndata: \{"code":"UNAUTHENTICATED"/);
  });

  it('a member demoted to viewer is cut off too', async () => {
    const user = await api.signup('stream-demoted');
    await api.post('/members', { email: user.email, role: 'operator' }, owner.token);
    const token = (
      await api.post('/auth/login', { email: user.email, password: user.password, tenant_id: owner.tenantId })
    ).body.token as string;
    const stream = await openStream(streamUrl, token);
    expect(stream.response.status).toBe(200);
    expect((await api.patch(`/members/${user.userId}`, { role: 'viewer' }, owner.token)).status).toBe(200);
    expect(await stream.waitEnded(5000)).toBe(true);
    expect(stream.text()).toMatch(/event: error\ndata: \{"code":"FORBIDDEN"/);
  });

  it('caps the streams one user holds open; closing one frees its slot', async () => {
    const first = await openStream(streamUrl, owner.token);
    const second = await openStream(streamUrl, owner.token);
    let again: Awaited<ReturnType<typeof openStream>> | undefined;
    try {
      expect([first.response.status, second.response.status]).toEqual([200, 200]);
      const third = await openStream(streamUrl, owner.token);
      expect(third.response.status).toBe(429);
      await third.waitEnded(5000);
      expect(JSON.parse(third.text()).error.code).toBe('STREAM_LIMIT');
      await first.close();
      again = await openStream(streamUrl, owner.token);
      for (let i = 0; again.response.status === 429 && i < 20; i++) {
        await new Promise((r) => setTimeout(r, 100));
        again = await openStream(streamUrl, owner.token);
      }
      expect(again.response.status).toBe(200);
    } finally {
      await Promise.all([first.close(), second.close(), again?.close()]);
    }
  });
});
