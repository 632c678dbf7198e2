import { eq } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { servers } from '@minefleet/db/schema';
import type { Clock } from '@minefleet/domain/clock';
import { playerEventOf } from '@minefleet/domain/player-events';
import type { EventBus, EventSubscription, MetricsEventData } from '@minefleet/domain/ports/event-bus';
import type {
  PingResult,
  ProcessStats,
  RuntimeDriver,
  RuntimeEvent,
} from '@minefleet/domain/ports/runtime-driver';
import type { ServerStatus } from '@minefleet/domain/server-state';
import type { Logger } from '../logger.js';
import { DEFAULT_RETENTION, type MetricsRetention } from './metrics-query.js';
import type { MetricSampleRow, MetricsStore } from './metrics-store.js';
import type { PlayerSessions } from './player-sessions.js';
import { BackgroundWork } from '../background-work.js';

export interface MetricsSettings {
  /** How often every running server this replica owns is sampled. */
  intervalMs: number;
  pingTimeoutMs: number;
  /** Servers sampled at the same time (pings and /proc reads), so a large fleet does not burst. */
  concurrency: number;
  /** How often the leader downsamples and applies retention. */
  maintenanceIntervalMs: number;
  retention: MetricsRetention;
  sessionRetentionMs: number;
}

export const DEFAULT_METRICS_SETTINGS: MetricsSettings = {
  intervalMs: 10_000,
  pingTimeoutMs: 2_000,
  concurrency: 16,
  maintenanceIntervalMs: 60_000,
  retention: DEFAULT_RETENTION,
  sessionRetentionMs: 90 * 86_400_000,
};

/** What the collector knows of a server it owns, from its last round (for Prometheus). */
export interface CollectedServer {
  id: string;
  tenantId: string;
  name: string;
  status: ServerStatus;
  crashCount: number;
  maxPlayers: number;
  memoryMb: number;
  storageMb: number;
  /** The latest sample, if the server was running and answered. */
  sample?: MetricSampleRow;
}

/** After a join or leave line, the player count is refreshed this soon (the ping reflects it by then). */
const PLAYER_REFRESH_DELAY_MS = 250;
/**
 * How long after a join line a player may still be missing from the game's count (logging in, spawning):
 * a count of 0 does not close sessions opened within it.
 */
const COUNT_LAG_MS = 10_000;

/**
 * The metrics collector: every `intervalMs`, for each running server this replica owns, one server-list
 * ping (players online/max, latency) and one `stats()` (CPU, memory, disk, uptime, TPS/MSPT where the
 * distribution reports them honestly), written as raw samples in one statement, published as `metrics`
 * events, and kept as `players_online` on the server row. It also records player sessions from the
 * console lines of the servers it owns, and (on the leader) downsamples and applies retention.
 *
 * Cheap by construction: one query for the server list and one insert per round whatever the fleet
 * size, bounded concurrency, and the runtime shares one /proc scan across servers.
 */
export class MetricsCollector {
  private readonly latestSamples = new Map<string, MetricSampleRow>();
  private owned: CollectedServer[] = [];
  private readonly tenants = new Map<string, string>();
  /** Open sessions per server as far as this replica knows (absent: unknown, check once). */
  private readonly openSessions = new Map<string, number>();
  private readonly sessionChains = new Map<string, Promise<void>>();
  private readonly refreshTimers = new Map<string, NodeJS.Timeout>();
  private readonly work: BackgroundWork;
  private sampleTimer: NodeJS.Timeout | undefined;
  private maintenanceTimer: NodeJS.Timeout | undefined;
  private unsubscribeRuntime: (() => void) | undefined;
  private statusSubscription: EventSubscription | undefined;
  private running = false;
  private round: Promise<void> | undefined;
  /** Duration of the last round, for the control plane's own metrics. */
  lastRoundMs = 0;

  constructor(
    private readonly deps: {
      db: Database;
      store: MetricsStore;
      sessions: PlayerSessions;
      runtime: RuntimeDriver;
      events: EventBus;
      clock: Clock;
      logger: Logger;
      owns: (serverId: string) => boolean;
      leads: () => boolean;
      settings: MetricsSettings;
    },
  ) {
    this.work = new BackgroundWork(deps.logger);
  }

  private get settings(): MetricsSettings {
    return this.deps.settings;
  }

  /** Servers this replica owns, with their latest sample (for the Prometheus gauges). */
  servers(): readonly CollectedServer[] {
    return this.owned;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.unsubscribeRuntime = this.deps.runtime.onEvent((event) => this.onRuntimeEvent(event));
    this.statusSubscription = await this.deps.events.subscribe({ types: ['status'] }, (event) => {
      if (event.type !== 'status' || !this.deps.owns(event.serverId)) return;
      if (event.data.status !== 'running') this.track(this.closeSessions(event.serverId, new Date(event.ts)));
    });
    this.scheduleSample(Math.min(1_000, this.settings.intervalMs));
    this.maintenanceTimer = setInterval(() => {
      if (this.deps.leads()) this.track(this.maintain());
    }, this.settings.maintenanceIntervalMs);
    this.maintenanceTimer.unref();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.sampleTimer);
    clearInterval(this.maintenanceTimer);
    for (const timer of this.refreshTimers.values()) clearTimeout(timer);
    this.refreshTimers.clear();
    this.unsubscribeRuntime?.();
    await this.statusSubscription?.unsubscribe().catch(() => {});
    await this.round;
    await this.work.drain();
  }

  private track(work: Promise<unknown>): void {
    this.work.run('metrics', {}, () => work);
  }

  private scheduleSample(delayMs: number): void {
    if (!this.running) return;
    this.sampleTimer = setTimeout(() => {
      const started = this.deps.clock.now();
      this.round = this.sampleOnce()
        .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'metrics round failed'))
        .finally(() => {
          this.round = undefined;
          const elapsed = this.deps.clock.now() - started;
          this.scheduleSample(Math.max(0, this.settings.intervalMs - elapsed));
        });
    }, delayMs);
    this.sampleTimer.unref();
  }

  /** One round over every running server this replica owns. */
  async sampleOnce(): Promise<void> {
    const started = performance.now();
    const all = await this.deps.db.system((tx) =>
      tx
        .select({
          id: servers.id,
          tenantId: servers.tenantId,
          name: servers.name,
          status: servers.status,
          crashCount: servers.crashCount,
          maxPlayers: servers.maxPlayers,
          memoryMb: servers.memoryMb,
          storageMb: servers.storageMb,
          playersOnline: servers.playersOnline,
        })
        .from(servers),
    );
    const mine = all.filter((s) => this.deps.owns(s.id));
    for (const s of mine) this.tenants.set(s.id, s.tenantId);
    const running = mine.filter((s) => s.status === 'running');

    const rows: MetricSampleRow[] = [];
    await forEachLimit(running, this.settings.concurrency, async (server) => {
      const row = await this.sample(server.id, server.tenantId, server.maxPlayers);
      // Live views get each sample at once; the history is written for the whole round below.
      // Ownership may move during a round: only what this replica still owns goes out.
      if (row && this.deps.owns(row.serverId)) {
        rows.push(row);
        this.publish(row);
      }
    });
    const kept = rows.filter((row) => this.deps.owns(row.serverId));
    await this.deps.store.insertRaw(kept);
    const byId = new Map(running.map((s) => [s.id, s]));
    const changes: { serverId: string; players: number }[] = [];
    for (const row of kept) {
      const players = row.playersOnline;
      if (players === null || players === undefined) continue;
      if (byId.get(row.serverId)?.playersOnline !== players)
        changes.push({ serverId: row.serverId, players });
      if (players === 0 && this.openSessions.get(row.serverId) !== 0) {
        // A game counts a player only once it has spawned: a session opened just before the count (its
        // join line came first) stays open; its own leave line, or a later count, closes it.
        this.track(this.closeSessions(row.serverId, row.ts, new Date(row.ts.getTime() - COUNT_LAG_MS)));
      }
    }
    await this.deps.store.setPlayers(changes);

    this.latestSamples.clear();
    for (const row of kept) this.latestSamples.set(row.serverId, row);
    this.owned = mine.map((s) => {
      const sample = this.latestSamples.get(s.id);
      return {
        id: s.id,
        tenantId: s.tenantId,
        name: s.name,
        status: s.status,
        crashCount: s.crashCount,
        maxPlayers: s.maxPlayers,
        memoryMb: s.memoryMb,
        storageMb: s.storageMb,
        ...(sample ? { sample } : {}),
      };
    });
    this.lastRoundMs = performance.now() - started;
  }

  /** Ping and stats of one server; null when it answered neither (it is stopping or crashed). */
  private async sample(
    serverId: string,
    tenantId: string,
    maxPlayers: number,
  ): Promise<MetricSampleRow | null> {
    const [ping, stats] = await Promise.allSettled([
      this.deps.runtime.ping(serverId, this.settings.pingTimeoutMs),
      this.deps.runtime.stats(serverId),
    ]);
    const p: PingResult | null = ping.status === 'fulfilled' ? ping.value : null;
    const s: ProcessStats | null = stats.status === 'fulfilled' ? stats.value : null;
    if (!p && !s) return null;
    return {
      tenantId,
      serverId,
      resolution: 'raw',
      ts: new Date(this.deps.clock.now()),
      playersOnline: p?.onlinePlayers ?? null,
      maxPlayers: p?.maxPlayers ?? maxPlayers,
      cpuPercent: s?.cpuPercent ?? null,
      memoryBytes: s?.memoryBytes ?? null,
      diskBytes: s?.diskBytes ?? null,
      tps: s?.tps ?? null,
      mspt: s?.mspt ?? null,
      pingMs: p?.latencyMs ?? null,
      uptimeSeconds: s?.uptimeSeconds ?? null,
    };
  }

  private publish(row: MetricSampleRow): void {
    const data: MetricsEventData = {};
    if (row.playersOnline !== null && row.playersOnline !== undefined)
      data.players_online = row.playersOnline;
    if (row.maxPlayers !== null && row.maxPlayers !== undefined) data.max_players = row.maxPlayers;
    if (row.cpuPercent !== null && row.cpuPercent !== undefined) data.cpu_percent = row.cpuPercent;
    if (row.memoryBytes !== null && row.memoryBytes !== undefined) data.memory_bytes = row.memoryBytes;
    if (row.diskBytes !== null && row.diskBytes !== undefined) data.disk_bytes = row.diskBytes;
    if (row.pingMs !== null && row.pingMs !== undefined) data.ping_ms = row.pingMs;
    data.tps = row.tps ?? null;
    data.mspt = row.mspt ?? null;
    this.deps.events
      .publish({
        type: 'metrics',
        tenantId: row.tenantId,
        serverId: row.serverId,
        ts: row.ts.toISOString(),
        data,
      })
      .catch((error: unknown) => this.deps.logger.warn({ err: error }, 'metrics event not published'));
  }

  // ─── Player sessions ─────────────────────────────────────────────────────────────────────────

  private onRuntimeEvent(event: RuntimeEvent): void {
    if (!this.running || event.type !== 'console' || !this.deps.owns(event.serverId)) return;
    const player = playerEventOf(event.line);
    if (!player) return;
    const { serverId } = event;
    const at = event.line.ts;
    this.inOrder(serverId, async () => {
      const tenantId = this.tenants.get(serverId) ?? (await this.tenantOf(serverId));
      if (!tenantId) return;
      if (player.kind === 'join') {
        await this.deps.sessions.join(tenantId, serverId, player.name, at);
        this.openSessions.set(serverId, (this.openSessions.get(serverId) ?? 0) + 1);
      } else {
        await this.deps.sessions.leave(serverId, player.name, at);
        const open = this.openSessions.get(serverId);
        if (open !== undefined) this.openSessions.set(serverId, Math.max(0, open - 1));
      }
    });
    this.refreshPlayersSoon(serverId);
  }

  /** Session writes of one server run one after the other, so a quick join + leave keeps its order. */
  private inOrder(serverId: string, work: () => Promise<void>): void {
    const previous = this.sessionChains.get(serverId) ?? Promise.resolve();
    const next = previous.then(work).catch((error: unknown) => {
      this.deps.logger.warn({ err: error, serverId }, 'player session not recorded');
    });
    this.sessionChains.set(serverId, next);
    this.track(
      next.finally(() => {
        if (this.sessionChains.get(serverId) === next) this.sessionChains.delete(serverId);
      }),
    );
  }

  private closeSessions(serverId: string, at: Date, joinedBefore?: Date): Promise<void> {
    return new Promise((resolve) =>
      this.inOrder(serverId, async () => {
        await this.deps.sessions.closeAll(serverId, at, joinedBefore);
        // All closed, or some left open (joined within the lag): then the count is not known here.
        if (joinedBefore) this.openSessions.delete(serverId);
        else this.openSessions.set(serverId, 0);
        resolve();
      }),
    );
  }

  private async tenantOf(serverId: string): Promise<string | undefined> {
    const [row] = await this.deps.db.system((tx) =>
      tx.select({ tenantId: servers.tenantId }).from(servers).where(eq(servers.id, serverId)),
    );
    if (row) this.tenants.set(serverId, row.tenantId);
    return row?.tenantId;
  }

  /** A join or leave changes the count now: ping shortly after and update the server row and live views. */
  private refreshPlayersSoon(serverId: string): void {
    if (this.refreshTimers.has(serverId)) return;
    const timer = setTimeout(() => {
      this.refreshTimers.delete(serverId);
      this.track(this.refreshPlayers(serverId));
    }, PLAYER_REFRESH_DELAY_MS);
    timer.unref();
    this.refreshTimers.set(serverId, timer);
  }

  private async refreshPlayers(serverId: string): Promise<void> {
    if (!this.running || !this.deps.owns(serverId)) return;
    const ping = await this.deps.runtime.ping(serverId, this.settings.pingTimeoutMs).catch(() => null);
    const tenantId = this.tenants.get(serverId);
    if (!ping || !tenantId) return;
    await this.deps.store.setPlayers([{ serverId, players: ping.onlinePlayers }]);
    await this.deps.events.publish({
      type: 'metrics',
      tenantId,
      serverId,
      ts: new Date(this.deps.clock.now()).toISOString(),
      data: { players_online: ping.onlinePlayers, max_players: ping.maxPlayers, ping_ms: ping.latencyMs },
    });
  }

  // ─── Downsampling and retention (leader only) ────────────────────────────────────────────────

  /** Rolls raw samples up into 1-minute and 1-hour rows, then drops what is past its retention. */
  async maintain(): Promise<void> {
    const now = this.deps.clock.now();
    // From whole-minute and whole-hour boundaries (a bucket is always recomputed from all its rows), a
    // few minutes back so samples written late by a slow round are still counted.
    const minute = 60_000;
    const hour = 3_600_000;
    await this.deps.store.downsample(
      new Date(Math.floor((now - 5 * minute) / minute) * minute),
      new Date(Math.floor((now - hour) / hour) * hour),
    );
    await this.deps.store.prune(now, this.settings.retention);
    await this.deps.sessions.closeOrphans(new Date(now));
    await this.deps.sessions.prune(new Date(now - this.settings.sessionRetentionMs));
  }
}

/** Runs `fn` over `items` with at most `limit` at a time. */
async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}
