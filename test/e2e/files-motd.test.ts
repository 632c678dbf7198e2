import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { BOT_TEST_VERSION, pingOnce } from '@minefleet/testkit/minecraft';

/**
 * server.properties edited through the files API is the server's settings (docs/files.md): a new MOTD
 * saved as a file shows in a real flying-squid server's server-list ping after a restart.
 */
describe('files: server.properties MOTD', () => {
  let cp: RunningControlPlane;

  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend());
  }, 300_000);
  afterAll(async () => {
    await cp?.close();
  });

  it('edits the MOTD in server.properties through the files API and sees it in the ping after a restart', async () => {
    const { api } = cp;
    const user = await api.signup('files-motd');
    const created = await api.post(
      '/servers',
      { name: 'motd', sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
      user.token,
    );
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    await api.waitForStatus(id, user.token, 'running', 60_000);
    const before = await pingOnce(created.body.address, BOT_TEST_VERSION);
    expect(JSON.stringify(before)).not.toContain('Edited through the files API');

    const existing = await api.get(`/servers/${id}/files/content?path=server.properties`, user.token);
    const headers: Record<string, string> =
      existing.status === 200 ? { 'if-match': existing.body.etag } : { 'if-none-match': '*' };
    const text =
      existing.status === 200
        ? (existing.body.content as string).replace(/^motd=.*$/m, 'motd=Edited through the files API')
        : 'motd=Edited through the files API\n';
    const saved = await api.request('PUT', `/api/v1/servers/${id}/files/content?path=server.properties`, {
      token: user.token,
      body: { content: text.includes('motd=') ? text : `${text}motd=Edited through the files API\n` },
      headers,
    });
    expect(saved.status, JSON.stringify(saved.body)).toBeLessThan(300);

    expect((await api.post(`/servers/${id}/restart`, {}, user.token)).status).toBe(202);
    await api.waitForServer(id, user.token, (s) => s.status === 'running' && s.started_at !== null, 60_000);
    let motd = '';
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        motd = JSON.stringify(await pingOnce(created.body.address, BOT_TEST_VERSION));
        if (motd.includes('Edited through the files API')) break;
      } catch {
        // restarting
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(motd).toContain('Edited through the files API');
  }, 240_000);
});
