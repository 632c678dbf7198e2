import { BOT_TEST_VERSION, joinBot, type BlockPosition } from '@minefleet/testkit/minecraft';

/** Blocks the chaos run sets and reads back: distinct names so a mixed world is visible. */
export const PALETTE = [
  'stone',
  'oak_planks',
  'cobblestone',
  'bricks',
  'sandstone',
  'gold_block',
  'iron_block',
  'diamond_block',
] as const;

/**
 * Marker blocks high in the air beside where the bot spawns (flying-squid looks for a spawn zone from a
 * random point and can end up hundreds of blocks away; the bot's saved position keeps it there).
 */
export function markersNear(spawn: BlockPosition): BlockPosition[] {
  return [1, 3, 5, 7].map((dx) => ({ x: spawn.x + dx, y: 120, z: spawn.z + 1 }));
}

export const MARKER_COUNT = 4;

/** What each marker may hold: a set per marker (after a fault, any of several values can be right). */
export type Acceptable = Set<string>[];

export const exactly = (values: readonly string[]): Acceptable => values.map((v) => new Set([v]));

/**
 * The model of one server's world: the marker values the last bot check saw (`known`), and for each
 * backup the chaos run asked for, the marker values at that moment (what a restore of it must bring
 * back, whole).
 */
export class WorldLedger {
  known: string[] = Array.from({ length: MARKER_COUNT }, () => 'air');
  markers: BlockPosition[] = [];
  readonly snapshots = new Map<string, string[]>();
}

/**
 * Joins the server with a mineflayer bot and reads every marker block. Retried: a server that has just
 * come back may refuse the first login.
 */
export async function observeMarkers(
  address: { host: string; port: number },
  username: string,
  markers: readonly BlockPosition[],
  timeoutMs = 45_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    let bot;
    try {
      bot = await joinBot(address, { username, version: BOT_TEST_VERSION, timeoutMs: 20_000 });
      await bot.bot.waitForChunksToLoad();
      const names: string[] = [];
      for (const marker of markers) names.push(await bot.blockNameAt(marker, 15_000));
      return names;
    } catch (error) {
      last = `${String(error)} (bot at ${bot?.bot.entity?.position?.toString() ?? 'unknown'})`;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await bot?.quit().catch(() => {});
    }
  }
  throw new Error(`no bot could read the markers at ${address.host}:${address.port}: ${String(last)}`);
}

/**
 * Whether what the bot saw is allowed: either every marker within `before` (the world as it was, any
 * of the values a fault may have left), or — when a restore ran — every marker equal to the restored
 * backup's snapshot. Anything else is a lost or half-restored world.
 */
export function judgeWorld(
  observed: readonly string[],
  before: Acceptable,
  restored?: readonly string[],
): { ok: true; restoredWhole: boolean } | { ok: false; why: string } {
  const matchesRestore = restored !== undefined && observed.every((v, i) => v === restored[i]);
  if (matchesRestore) return { ok: true, restoredWhole: true };
  const matchesBefore = observed.every((v, i) => before[i]!.has(v));
  if (matchesBefore) return { ok: true, restoredWhole: false };
  const describe = (a: Acceptable) => a.map((s) => [...s].join('|')).join(', ');
  return {
    ok: false,
    why:
      `markers ${observed.join(', ')}; allowed before: ${describe(before)}` +
      (restored ? `; or the restored backup whole: ${restored.join(', ')}` : ''),
  };
}

/** Where the bot stands after joining (retried like observeMarkers). */
export async function spawnOf(
  address: { host: string; port: number },
  username: string,
): Promise<BlockPosition> {
  const deadline = Date.now() + 45_000;
  for (;;) {
    let bot;
    try {
      bot = await joinBot(address, { username, version: BOT_TEST_VERSION, timeoutMs: 20_000 });
      const at = bot.bot.entity.position.floored();
      return { x: at.x, y: at.y, z: at.z };
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      await bot?.quit().catch(() => {});
    }
  }
}
