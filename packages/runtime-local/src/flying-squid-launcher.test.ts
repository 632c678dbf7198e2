import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleLine, RuntimeEvent, ServerSpec } from '@minefleet/domain/ports/runtime-driver';
import {
  BOT_TEST_VERSION,
  freePort,
  joinBot,
  pingOnce,
  SPOTS_BESIDE,
  waitForPing,
  type TestBot,
} from '@minefleet/testkit/minecraft';
import { createLocalDriver } from './create-local-driver.js';
import type { LocalDriver } from './local-driver.js';

// What the flying-squid launcher adds to flying-squid, seen from real clients: admission (player limit,
// whitelist, operators), platform plugins, console commands, the SIGTERM flush, tick measurement.
// One server for the file; each test leaves it running for the next.
let dataDir: string;
let driver: LocalDriver;
let spec: ServerSpec;
let generation = 0;
const events: RuntimeEvent[] = [];
const address = (): { host: string; port: number } => ({ host: spec.bindHost, port: spec.port });

function consoleLines(): ConsoleLine[] {
  return events.flatMap((e) => (e.type === 'console' && e.serverId === spec.serverId ? [e.line] : []));
}

async function waitForLine(
  test: (line: ConsoleLine) => boolean,
  from: number,
  timeoutMs = 10_000,
): Promise<ConsoleLine> {
  const started = Date.now();
  for (;;) {
    const found = consoleLines().slice(from).find(test);
    if (found) return found;
    if (Date.now() - started > timeoutMs) throw new Error('expected console line did not appear');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function start(
  options: { preStartCommands?: string[]; propertyOverrides?: Record<string, string> } = {},
): Promise<number> {
  generation++;
  const from = consoleLines().length;
  const info = await driver.start(spec, { generation, ...options });
  await waitForPing(address(), spec.minecraftVersion);
  // Admission opens once the launcher has run the pre-start commands.
  await waitForLine((l) => l.message.startsWith('Done: accepting players'), from, 15_000);
  // What the platform waits for before it calls the server running.
  expect(await driver.ready(spec.serverId)).toBe(true);
  return info.pid;
}

const PLUGINS: Record<string, string> = {
  'a-first.js': `module.exports.server = (serv, ctx) => { ctx.log.info('server hook, greeting=' + ctx.config.greeting) }`,
  'b.js': `
    const fs = require('fs'); const path = require('path')
    module.exports.server = async (serv, ctx) => { await new Promise(r => setTimeout(r, 10)); ctx.log.info('server hook') }
    module.exports.player = (player, serv, ctx) => {
      fs.mkdirSync(ctx.dataDir, { recursive: true })
      fs.appendFileSync(path.join(ctx.dataDir, 'joined.txt'), player._client.username + '\\n')
      ctx.log.info('player hook for ' + player._client.username)
    }`,
  'c.js.disabled': `module.exports.server = (serv, ctx) => { ctx.log.info('disabled plugin ran') }`,
  'broken.js': `throw new Error('broken on purpose')`,
};

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'minefleet-squid-'));
  driver = createLocalDriver({ dataDir });
  driver.onEvent((event) => events.push(event));
  spec = {
    serverId: randomUUID(),
    tenantId: randomUUID(),
    name: 'launcher',
    distribution: 'flying-squid',
    minecraftVersion: BOT_TEST_VERSION,
    bindHost: '127.0.0.1',
    port: await freePort(),
    memoryMb: 512,
    cpuMillicores: 1000,
    maxPlayers: 2,
    properties: {
      motd: 'Launcher tests',
      gamemode: 'creative',
      'level-type': 'flat',
      'view-distance': 3,
      pvp: false,
    },
  };
  await driver.deploy(spec);
  const plugins = driver.workspace(spec.serverId).pluginsDir;
  for (const [name, source] of Object.entries(PLUGINS)) await writeFile(path.join(plugins, name), source);
  await writeFile(path.join(plugins, 'load-order.json'), JSON.stringify(['b', 'a-first', 'missing']));
  await mkdir(path.join(plugins, 'a-first'));
  await writeFile(path.join(plugins, 'a-first', 'config.json'), JSON.stringify({ greeting: 'ahoy' }));
  await writeFile(
    path.join(driver.workspace(spec.serverId).root, 'ops.json'),
    JSON.stringify([{ name: 'Boss', level: 4 }]),
  );
  await start({ preStartCommands: ['whitelist add Boss'], propertyOverrides: { motd: 'Just this once' } });
});

afterAll(async () => {
  await driver?.remove(spec.serverId);
  await driver?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('flying-squid launcher', () => {
  it('runs pre-start commands before admitting players and applies overrides to this start only', async () => {
    const lines = consoleLines();
    const added = lines.findIndex((l) => l.message === 'Added Boss to the whitelist');
    const done = lines.findIndex((l) => l.message.startsWith('Done: accepting players'));
    expect(added).toBeGreaterThan(-1);
    expect(added).toBeLessThan(done);
    expect((await pingOnce(address(), spec.minecraftVersion)).motd).toBe('Just this once');
    const saved = JSON.parse(
      await readFile(path.join(driver.workspace(spec.serverId).root, 'flying-squid.json'), 'utf8'),
    ) as { motd: string; 'online-mode': boolean };
    expect(saved.motd).toBe('Launcher tests');
    expect(saved['online-mode']).toBe(false);
  });

  it("never shows the host's absolute path of the server folder on the console or in the log", async () => {
    const lines = consoleLines();
    expect(lines.some((l) => l.message.includes('Server listening on port'))).toBe(true);
    const root = driver.workspace(spec.serverId).root;
    expect(lines.filter((l) => l.message.includes(root)).map((l) => l.message)).toEqual([]);
    expect(lines.filter((l) => l.message.includes(dataDir)).map((l) => l.message)).toEqual([]);
    const logged = await driver.readLogs(spec.serverId, { page: 1, perPage: 1000 });
    expect(logged.lines.filter((l) => l.message.includes(dataDir))).toEqual([]);
  });

  it('loads platform plugins in load order with their config, skips disabled and broken ones', () => {
    const lines = consoleLines().map((l) => `${l.level} ${l.message}`);
    const index = (text: string): number => lines.findIndex((l) => l.includes(text));
    expect(index('[b] server hook')).toBeGreaterThan(-1);
    expect(index('[b] server hook')).toBeLessThan(index('[a-first] server hook, greeting=ahoy'));
    expect(lines.some((l) => l.startsWith('warn') && l.includes('"missing"'))).toBe(true);
    expect(lines.some((l) => l.startsWith('error') && l.includes('plugin broken failed to load'))).toBe(true);
    expect(index('disabled plugin ran')).toBe(-1);
  });

  it('makes nobody operator by default, only those in ops.json', async () => {
    const from = consoleLines().length;
    const guest = await joinBot(address(), { username: 'Guest', version: spec.minecraftVersion });
    try {
      const refused = guest.waitForMessage(/permission/i);
      guest.bot.chat('/save-all');
      await refused;
      const boss = await joinBot(address(), { username: 'Boss', version: spec.minecraftVersion });
      try {
        boss.bot.chat('/whitelist list');
        await waitForLine((l) => l.message.includes('whitelisted players: Boss'), from);
      } finally {
        await boss.quit();
      }
      // The player hook of plugin b ran for the joining player.
      await waitForLine((l) => l.message === '[b] player hook for Guest', from);
      const joined = await readFile(
        path.join(driver.workspace(spec.serverId).pluginsDir, 'b', 'joined.txt'),
        'utf8',
      );
      expect(joined.split('\n')).toEqual(expect.arrayContaining(['Guest', 'Boss']));
    } finally {
      await guest.quit();
    }
  });

  it('enforces max-players at login', async () => {
    const bots: TestBot[] = [];
    try {
      bots.push(await joinBot(address(), { username: 'One', version: spec.minecraftVersion }));
      bots.push(await joinBot(address(), { username: 'Two', version: spec.minecraftVersion }));
      await expect(joinBot(address(), { username: 'Three', version: spec.minecraftVersion })).rejects.toThrow(
        /full/,
      );
      expect((await pingOnce(address(), spec.minecraftVersion)).online).toBe(2);
      const from = consoleLines().length;
      await driver.sendCommand(spec.serverId, 'list');
      await waitForLine(
        (l) => /There are 2 of a max of 2 players online: (One, Two|Two, One)/.test(l.message),
        from,
      );
    } finally {
      for (const bot of bots) await bot.quit();
    }
  });

  it('enforces the whitelist when switched on, and records the switch', async () => {
    await driver.sendCommand(spec.serverId, 'whitelist on');
    try {
      await expect(
        joinBot(address(), { username: 'Stranger', version: spec.minecraftVersion }),
      ).rejects.toThrow(/white-listed/);
      const from = consoleLines().length;
      await driver.sendCommand(spec.serverId, 'whitelist add Friend');
      await waitForLine((l) => l.message === 'Added Friend to the whitelist', from);
      const friend = await joinBot(address(), { username: 'Friend', version: spec.minecraftVersion });
      await friend.quit();
      const root = driver.workspace(spec.serverId).root;
      const settings = JSON.parse(await readFile(path.join(root, 'flying-squid.json'), 'utf8')) as Record<
        string,
        unknown
      >;
      expect(settings['white-list']).toBe(true);
      const list = JSON.parse(await readFile(path.join(root, 'whitelist.json'), 'utf8')) as {
        name: string;
        uuid: string;
      }[];
      expect(list.map((e) => e.name).sort()).toEqual(['Boss', 'Friend']);
    } finally {
      await driver.sendCommand(spec.serverId, 'whitelist off');
    }
  });

  it('pauses and resumes world saving, and saves on demand', async () => {
    const from = consoleLines().length;
    await driver.sendCommand(spec.serverId, 'save-off');
    await waitForLine((l) => l.message === 'Automatic saving is now disabled', from);
    await driver.sendCommand(spec.serverId, 'save-on');
    await waitForLine((l) => l.message === 'Automatic saving is now enabled', from);
    await driver.sendCommand(spec.serverId, 'save-all');
    await waitForLine((l) => /^Saved the game \(\d+ ms\)$/.test(l.message), from);
  });

  it('measures the tick loop', async () => {
    // TPS is reported once the meter holds 2 s of ticks (and only if the launcher answers in time).
    let stats = await driver.stats(spec.serverId);
    for (let i = 0; i < 20 && stats?.tps === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      stats = await driver.stats(spec.serverId);
    }
    const seen = JSON.stringify(stats);
    // 20 ticks a second at most (setInterval of 50 ms, no catching up); fewer only when starved.
    expect(stats?.tps, seen).toBeGreaterThan(5);
    expect(stats?.tps, seen).toBeLessThanOrEqual(21);
    expect(stats?.mspt, seen).toBeGreaterThanOrEqual(0);
    expect(stats?.mspt, seen).toBeLessThan(50);
  });

  it('builds a block beside a player on full ground only, never on a plant', async () => {
    // The default world generator puts tall grass on one surface block in ten; the server replaces a plant
    // instead of building on it. Every spot the testkit tries but the last stands on a plant here.
    const bot = await joinBot(address(), { username: 'Gardener', version: spec.minecraftVersion });
    type Position = ReturnType<typeof bot.bot.entity.position.floored>;
    const set = async (at: Position, block: string): Promise<void> => {
      await driver.sendCommand(spec.serverId, `setblock ${at.x} ${at.y} ${at.z} ${block}`);
      for (let i = 0; i < 100 && bot.bot.blockAt(at)?.name !== block; i++)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bot.bot.blockAt(at)?.name).toBe(block);
    };
    for (let i = 0; i < 100 && !bot.bot.entity.onGround; i++) await new Promise((r) => setTimeout(r, 50));
    const feet = bot.bot.entity.position.floored();
    const spots = SPOTS_BESIDE.map(([dx, dz]) => feet.offset(dx, 0, dz));
    const last = spots[spots.length - 1]!;
    try {
      for (const spot of spots) {
        await set(spot, 'air');
        await set(spot.offset(0, -1, 0), spot === last ? 'stone' : 'tall_grass');
      }
      expect(await bot.placeBlockBeside('stone')).toEqual({ x: last.x, y: last.y, z: last.z });
      expect(await bot.blockNameAt(last)).toBe('stone');
      for (const spot of spots.slice(0, -1)) {
        expect(await bot.blockNameAt(spot.offset(0, -1, 0))).toBe('tall_grass');
        expect(await bot.blockNameAt(spot)).toBe('air');
      }
    } finally {
      // The ground as the next test expects it: full blocks, nothing on them.
      for (const spot of spots) {
        await set(spot, 'air');
        await set(spot.offset(0, -1, 0), 'stone');
      }
      await bot.quit();
    }
  });

  it('flushes the world on SIGTERM: a block placed just before survives, exit code 0', async () => {
    const bot = await joinBot(address(), { username: 'Builder', version: spec.minecraftVersion });
    const where = await bot.placeBlockBeside();
    const proc = await driver.inspect(spec.serverId);
    if (proc.state !== 'alive') throw new Error('not running');
    const exited = new Promise<RuntimeEvent>((resolve) => {
      const off = driver.onEvent((e) => {
        if (e.type === 'exit' && e.serverId === spec.serverId) {
          off();
          resolve(e);
        }
      });
    });
    process.kill(proc.pid, 'SIGTERM'); // at once: no chunk-save interval has passed since the block
    const exit = await exited;
    expect(exit).toMatchObject({ exit: { code: 0, generation: proc.generation } });
    await bot.ended;

    await start();
    const again = await joinBot(address(), { username: 'Builder', version: spec.minecraftVersion });
    try {
      expect(await again.blockNameAt(where)).toBe('stone');
    } finally {
      await again.quit();
    }
  });
});
