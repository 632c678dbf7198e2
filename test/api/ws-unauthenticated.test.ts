import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { primaryBackend } from '@minefleet/testkit/databases';
import { startControlPlane, type RunningControlPlane } from '@minefleet/testkit/control-plane';
import { MAX_UNAUTHENTICATED_PER_ADDRESS } from '@minefleet/server/http/websocket/ws-route';

/** WebSocket slots waiting for their first (auth) message are bounded per address. */
describe('unauthenticated WebSocket connections', () => {
  let cp: RunningControlPlane;
  const sockets: WebSocket[] = [];
  beforeAll(async () => {
    cp = await startControlPlane(primaryBackend());
  });
  afterAll(async () => {
    for (const s of sockets) s.terminate();
    await cp?.close();
  });

  const open = () =>
    new Promise<{ socket: WebSocket; closed: Promise<number> }>((resolve, reject) => {
      const socket = new WebSocket(`${cp.url.replace('http', 'ws')}/api/v1/ws`);
      sockets.push(socket);
      const closed = new Promise<number>((done) => socket.once('close', (code) => done(code)));
      socket.once('open', () => resolve({ socket, closed }));
      socket.once('error', reject);
    });

  it('an address holds a bounded number of connections that have not authenticated', async () => {
    const held = [];
    for (let i = 0; i < MAX_UNAUTHENTICATED_PER_ADDRESS; i++) held.push(await open());
    const extra = await open();
    expect(await Promise.race([extra.closed, new Promise((r) => setTimeout(() => r('open'), 3000))])).toBe(
      1013,
    );
    // One that authenticates frees its slot for the next.
    const user = await cp.api.signup('ws-slots');
    held[0]!.socket.send(JSON.stringify({ type: 'auth', token: user.token }));
    await new Promise((r) => setTimeout(r, 500));
    const next = await open();
    expect(await Promise.race([next.closed, new Promise((r) => setTimeout(() => r('open'), 1000))])).toBe(
      'open',
    );
  });
});
