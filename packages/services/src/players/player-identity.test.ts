import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { MojangProfiles, offlineUuid } from './player-identity.js';

// The Minecraft client library's own implementation, as an independent reference.
const { nameToMcOfflineUUID } = createRequire(import.meta.url)(
  'minecraft-protocol/src/datatypes/uuid.js',
) as {
  nameToMcOfflineUUID: (name: string) => string;
};

describe('offlineUuid', () => {
  it('matches the UUID minecraft-protocol gives an offline player (version 3, case-sensitive)', () => {
    for (const name of ['Steve', 'steve', 'Notch', 'a', 'Bot_1234567890ab']) {
      expect(offlineUuid(name)).toBe(nameToMcOfflineUUID(name));
      expect(offlineUuid(name)[14]).toBe('3');
    }
    expect(offlineUuid('Steve')).not.toBe(offlineUuid('steve'));
  });
});

describe('MojangProfiles against a local profile API', () => {
  let server: http.Server;
  let base: string;
  let hits = 0;
  let mode: 'ok' | 'slow' | 'error' | 'garbage' = 'ok';

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      hits++;
      const name = /\/users\/profiles\/minecraft\/(.+)$/.exec(req.url ?? '')?.[1] ?? '';
      if (mode === 'slow') return void setTimeout(() => res.writeHead(200).end('{}'), 1_000);
      if (mode === 'error') return void res.writeHead(500).end();
      if (mode === 'garbage')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":7}');
      if (name.toLowerCase() === 'jeb_') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ id: '853c80ef3c3749fdaa49938b674adae6', name: 'jeb_' }));
      }
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('resolves a name to the dashed UUID and the canonical name, once per TTL', async () => {
    let now = 0;
    const profiles = new MojangProfiles({ baseUrl: base, ttlMs: 1_000, now: () => now });
    hits = 0;
    const [a, b] = await Promise.all([profiles.lookup('JEB_'), profiles.lookup('jeb_')]);
    expect(a).toEqual({ name: 'jeb_', uuid: '853c80ef-3c37-49fd-aa49-938b674adae6' });
    expect(b).toEqual(a);
    expect(hits).toBe(1);
    await profiles.lookup('Jeb_');
    expect(hits).toBe(1);
    now = 2_000;
    await profiles.lookup('jeb_');
    expect(hits).toBe(2);
  });

  it('an unknown name is PLAYER_NOT_FOUND (and remembered)', async () => {
    const profiles = new MojangProfiles({ baseUrl: base });
    hits = 0;
    await expect(profiles.lookup('Nobody')).rejects.toMatchObject({ code: 'PLAYER_NOT_FOUND' });
    await expect(profiles.lookup('nobody')).rejects.toMatchObject({ code: 'PLAYER_NOT_FOUND' });
    expect(hits).toBe(1);
  });

  it('a slow, failing, garbled or unreachable API is PLAYER_LOOKUP_UNAVAILABLE, never a guess', async () => {
    try {
      mode = 'slow';
      const started = Date.now();
      await expect(
        new MojangProfiles({ baseUrl: base, timeoutMs: 200 }).lookup('jeb_'),
      ).rejects.toMatchObject({
        code: 'PLAYER_LOOKUP_UNAVAILABLE',
        message: expect.stringContaining('no answer in 200 ms'),
      });
      expect(Date.now() - started).toBeLessThan(900);
      mode = 'error';
      await expect(new MojangProfiles({ baseUrl: base }).lookup('jeb_')).rejects.toMatchObject({
        code: 'PLAYER_LOOKUP_UNAVAILABLE',
        details: { name: 'jeb_', status: 500 },
      });
      mode = 'garbage';
      await expect(new MojangProfiles({ baseUrl: base }).lookup('jeb_')).rejects.toMatchObject({
        code: 'PLAYER_LOOKUP_UNAVAILABLE',
      });
    } finally {
      mode = 'ok';
    }
    await expect(new MojangProfiles({ baseUrl: 'http://127.0.0.1:9' }).lookup('jeb_')).rejects.toMatchObject({
      code: 'PLAYER_LOOKUP_UNAVAILABLE',
    });
  });

  it('a failure is not cached: the next lookup asks again', async () => {
    const profiles = new MojangProfiles({ baseUrl: base });
    mode = 'error';
    await expect(profiles.lookup('jeb_')).rejects.toMatchObject({ code: 'PLAYER_LOOKUP_UNAVAILABLE' });
    mode = 'ok';
    await expect(profiles.lookup('jeb_')).resolves.toMatchObject({ name: 'jeb_' });
  });
});
