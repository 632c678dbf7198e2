import net from 'node:net';
import { createRequire } from 'node:module';
import mineflayer, { type Bot } from 'mineflayer';
import minecraftProtocol from 'minecraft-protocol';
import { Vec3 } from 'vec3';

/**
 * Real Minecraft clients for tests: mineflayer bots and server-list pings, offline auth, against servers
 * on this machine. Tests that check game mode or chat text use BOT_TEST_VERSION: flying-squid ignores
 * the configured game mode on 1.20.5+ and sends raw `&` colour codes on 1.21.x.
 */
export const BOT_TEST_VERSION = '1.20.2';

const require = createRequire(import.meta.url);

export interface Address {
  host: string;
  port: number;
}

export interface BlockPosition {
  x: number;
  y: number;
  z: number;
}

/** A TCP port nothing listens on right now (the kernel picks it; tests then bind it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a port can be bound (nothing holds it). */
export function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/**
 * Where placeBlockBeside tries, in order, relative to the bot's feet: two steps away (out of the bot's own
 * box), then three, so blocks an earlier test left beside the spot where the bot rejoins do not leave it
 * without a free one.
 */
export const SPOTS_BESIDE: readonly (readonly [dx: number, dz: number])[] = [
  [2, 0],
  [0, 2],
  [-2, 0],
  [0, -2],
  [2, 2],
  [-2, -2],
  [2, -2],
  [-2, 2],
  [3, 0],
  [0, 3],
  [-3, 0],
  [0, -3],
];

export interface PingAnswer {
  latencyMs: number;
  online: number;
  max: number;
  motd: string;
  version: string;
}

/** One server-list ping with minecraft-protocol (passing the version: ~5 ms instead of ~880 ms). */
export async function pingOnce(
  address: Address,
  version: string,
  timeoutMs = 2_000,
  /** The server address the client says it connects to (a gateway routes by it); `address.host` if unset. */
  serverHost?: string,
): Promise<PingAnswer> {
  const started = performance.now();
  const answer = (await minecraftProtocol.ping({
    ...address,
    ...(serverHost ? { host: serverHost, connect: connectTo(address) } : {}),
    version,
    closeTimeout: timeoutMs,
    noPongTimeout: 500,
  })) as {
    description?: unknown;
    players?: { online: number; max: number };
    version?: { name: string };
  };
  return {
    latencyMs: performance.now() - started,
    online: answer.players?.online ?? 0,
    max: answer.players?.max ?? 0,
    motd: textOf(answer.description),
    version: answer.version?.name ?? '',
  };
}

function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (!value || typeof value !== 'object') return '';
  const c = value as { text?: string; extra?: unknown[] };
  return (c.text ?? '') + (c.extra ?? []).map(textOf).join('');
}

/** Pings until the server answers; resolves with the answer and how long it took. */
export async function waitForPing(
  address: Address,
  version: string,
  timeoutMs = 20_000,
): Promise<PingAnswer & { waitedMs: number }> {
  const started = performance.now();
  let lastError: unknown;
  while (performance.now() - started < timeoutMs) {
    try {
      const answer = await pingOnce(address, version, 1_000);
      return { ...answer, waitedMs: performance.now() - started };
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  throw new Error(
    `no ping answer from ${address.host}:${address.port} in ${timeoutMs} ms: ${String(lastError)}`,
  );
}

/** A bot that joined: the mineflayer Bot plus the few actions tests need. */
export interface TestBot {
  bot: Bot;
  username: string;
  /** Resolves with the reason when the server disconnects the bot. */
  ended: Promise<string>;
  /** Places a block of `blockName` (creative mode) beside the bot; returns where. */
  placeBlockBeside(blockName?: string): Promise<BlockPosition>;
  /** The block's name at a position once its chunk has arrived. */
  blockNameAt(position: BlockPosition, timeoutMs?: number): Promise<string>;
  /** Waits for a chat/system message matching the pattern. */
  waitForMessage(pattern: RegExp, timeoutMs?: number): Promise<string>;
  quit(): Promise<void>;
}

/**
 * Connects a minecraft-protocol client to `address` whatever server address it announces (a gateway
 * routes by the announced one). Not the `stream` option: the client re-emits a given socket's `connect`
 * event on top of its own, and would send its handshake twice.
 */
function connectTo(address: Address): (client: { setSocket(socket: net.Socket): void }) => void {
  return (client) => client.setSocket(net.connect(address.port, address.host));
}

/** Joins a server with a mineflayer bot (offline auth); resolves once spawned, rejects when refused. */
export async function joinBot(
  address: Address,
  options: {
    username: string;
    version: string;
    timeoutMs?: number;
    /** The server address the client says it joins (a gateway routes by it); `address.host` if unset. */
    serverHost?: string;
  },
): Promise<TestBot> {
  return joinWith(address, options);
}

function joinWith(
  address: Address,
  options: { username: string; version: string; timeoutMs?: number; serverHost?: string },
): Promise<TestBot> {
  const bot = mineflayer.createBot({
    host: options.serverHost ?? address.host,
    port: address.port,
    ...(options.serverHost ? { connect: connectTo(address) } : {}),
    username: options.username,
    version: options.version,
    auth: 'offline',
    hideErrors: true,
    checkTimeoutInterval: 60_000,
  });
  let endReason = '';
  const ended = new Promise<string>((resolve) => {
    bot.once('kicked', (reason) => {
      endReason = typeof reason === 'string' ? reason : JSON.stringify(reason);
    });
    bot.once('end', (reason) => resolve(endReason || reason));
  });
  return new Promise<TestBot>((resolve, reject) => {
    const timer = setTimeout(() => {
      bot.end();
      reject(new Error(`${options.username} did not spawn within ${options.timeoutMs ?? 20_000} ms`));
    }, options.timeoutMs ?? 20_000);
    bot.once('spawn', () => {
      clearTimeout(timer);
      resolve(wrap(bot, options.username, ended));
    });
    bot.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    void ended.then((reason) => {
      clearTimeout(timer);
      reject(new Error(`${options.username} was disconnected: ${reason}`));
    });
  });
}

function wrap(bot: Bot, username: string, ended: Promise<string>): TestBot {
  return {
    bot,
    username,
    ended,
    async placeBlockBeside(blockName = 'stone') {
      // The prismarine-item of the bot's own version, as mineflayer itself builds it.
      const Item = (
        require('prismarine-item') as (v: string) => new (type: number, count: number) => unknown
      )(bot.version);
      const itemType = bot.registry.itemsByName[blockName]!.id;
      await bot.waitForChunksToLoad();
      await bot.creative.setInventorySlot(36, new Item(itemType, 1) as never);
      bot.setQuickBarSlot(0);
      // A bot that has just joined (on a loaded machine) may still be falling to the ground: the spot is
      // chosen from where it stands.
      for (let i = 0; i < 100 && !bot.entity.onGround; i++) await new Promise((r) => setTimeout(r, 50));
      const feet = bot.entity.position.floored();
      for (const [dx, dz] of SPOTS_BESIDE) {
        const target = feet.offset(dx, 0, dz);
        const below = bot.blockAt(target.offset(0, -1, 0));
        const at = bot.blockAt(target);
        // Only a full block under the spot: the world generator puts tall grass on one surface block in
        // ten, and the server replaces a plant (no collision box) instead of building on top of it, so the
        // placement would land one block lower than asked and its update at the spot never comes.
        if (!below || below.boundingBox !== 'block' || !at || at.name !== 'air') continue;
        await bot.placeBlock(below, new Vec3(0, 1, 0));
        return { x: target.x, y: target.y, z: target.z };
      }
      throw new Error('no free spot with solid ground beside the bot');
    },
    async blockNameAt(position, timeoutMs = 10_000) {
      const started = Date.now();
      for (;;) {
        const block = bot.blockAt(new Vec3(position.x, position.y, position.z));
        if (block) return block.name;
        if (Date.now() - started > timeoutMs) {
          // Where the bot stands tells a slow server (the bot beside the spot) from a bot that spawned or
          // was moved away from it (its chunk out of the view distance).
          const at = bot.entity?.position;
          throw new Error(
            `chunk at ${JSON.stringify(position)} never arrived (the bot stands at ${at ? `${at.x.toFixed(1)}, ${at.y.toFixed(1)}, ${at.z.toFixed(1)}` : 'no position yet'})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    waitForMessage(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          bot.off('messagestr', listener);
          reject(new Error(`no message matching ${String(pattern)} within ${timeoutMs} ms`));
        }, timeoutMs);
        const listener = (message: string): void => {
          if (!pattern.test(message)) return;
          clearTimeout(timer);
          bot.off('messagestr', listener);
          resolve(message);
        };
        bot.on('messagestr', listener);
      });
    },
    async quit() {
      if (!bot._client.socket || bot._client.socket.destroyed) return;
      const done = new Promise((resolve) => bot.once('end', resolve));
      bot.quit();
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 2_000))]);
    },
  };
}
