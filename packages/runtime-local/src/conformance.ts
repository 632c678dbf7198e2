import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError, type ErrorCode } from '@minefleet/domain/errors';
import type {
  ConsoleLine,
  ExitInfo,
  ProcessInfo,
  RuntimeDriver,
  RuntimeEvent,
  ServerSpec,
} from '@minefleet/domain/ports/runtime-driver';

/**
 * The conformance suite every RuntimeDriver passes (in the manner of Hono's router common.case.test):
 * one describe block, run against a harness that builds the driver and connects real clients. It runs one
 * server through its whole life, in order, as the lifecycle service would drive it; each step leaves the
 * server in the state the next expects. The Kubernetes driver runs it too (test/k8s/runtime-driver.test.ts),
 * with the features it lacks named: their steps are reported as skipped with the reason.
 */
export interface ConformanceHarness {
  /** A driver over the harness's state; called again to play a restarted control plane. */
  createDriver(): RuntimeDriver | Promise<RuntimeDriver>;
  /** A spec for a fresh server the driver can run, with a free port; properties include creative mode. */
  newSpec(): Promise<ServerSpec>;
  /** The address players use for a spec. */
  address(spec: ServerSpec): { host: string; port: number };
  /** Ends the game process from outside the driver, as a crash would (SIGKILL, a deleted pod, ...). */
  crash(spec: ServerSpec, process: ProcessInfo): Promise<void>;
  /** Whether the port is free again (after remove). */
  portIsFree(port: number): Promise<boolean>;
  players: ConformancePlayers;
  /** How long a start may take to answer a ping. */
  startTimeoutMs?: number;
  /**
   * Features the driver does not have, each with why. The steps that need one are reported as skipped
   * under a title naming the difference, and the driver must refuse the feature's methods with
   * RUNTIME_UNSUPPORTED (a step checks it). `crash`: the harness cannot end the game from outside.
   */
  unsupported?: Partial<Record<ConformanceFeature, string>>;
}

export type ConformanceFeature = 'console' | 'stats' | 'files' | 'logs' | 'crash';

export interface ConformancePlayers {
  join(
    address: { host: string; port: number },
    options: { username: string; version: string },
  ): Promise<ConformancePlayer>;
}

export interface ConformancePlayer {
  username: string;
  placeBlockBeside(): Promise<{ x: number; y: number; z: number }>;
  blockNameAt(position: { x: number; y: number; z: number }): Promise<string>;
  quit(): Promise<void>;
}

function expectThrownCode(run: () => unknown, code: ErrorCode): void {
  let error: unknown = null;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(isDomainError(error) ? error.code : error).toBe(code);
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(isDomainError(error) ? error.code : error).toBe(code);
}

/** Collects a driver's events so steps can wait for the one they expect. */
class EventLog {
  readonly events: RuntimeEvent[] = [];
  private readonly waiters: { match: (e: RuntimeEvent) => boolean; resolve: (e: RuntimeEvent) => void }[] =
    [];
  readonly unsubscribe: () => void;

  constructor(driver: RuntimeDriver) {
    this.unsubscribe = driver.onEvent((event) => {
      this.events.push(event);
      for (const waiter of [...this.waiters]) {
        if (waiter.match(event)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    });
  }

  /** Waits for a matching event (seen from `from` on) or fails after the timeout. */
  wait<E extends RuntimeEvent>(match: (e: RuntimeEvent) => e is E, timeoutMs = 15_000, from = 0): Promise<E> {
    const seen = this.events.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise<E>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no matching runtime event within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as E);
        },
      });
    });
  }

  exitOf(
    serverId: string,
    generation: number,
    timeoutMs?: number,
  ): Promise<{ type: 'exit'; serverId: string; exit: ExitInfo }> {
    return this.wait(
      (e): e is { type: 'exit'; serverId: string; exit: ExitInfo } =>
        e.type === 'exit' && e.serverId === serverId && e.exit.generation === generation,
      timeoutMs,
    );
  }

  consoleLine(
    serverId: string,
    test: (line: ConsoleLine) => boolean,
    from = 0,
  ): Promise<{ type: 'console'; serverId: string; line: ConsoleLine }> {
    return this.wait(
      (e): e is { type: 'console'; serverId: string; line: ConsoleLine } =>
        e.type === 'console' && e.serverId === serverId && test(e.line),
      15_000,
      from,
    );
  }
}

export function runtimeDriverConformance(name: string, harness: ConformanceHarness): void {
  describe(`RuntimeDriver conformance: ${name}`, () => {
    let driver: RuntimeDriver;
    let log: EventLog;
    let spec: ServerSpec;
    let generation = 0;
    const placed: { x: number; y: number; z: number }[] = [];
    const startTimeout = harness.startTimeoutMs ?? 20_000;
    const missing = harness.unsupported ?? {};
    const has = (feature: ConformanceFeature) => missing[feature] === undefined;
    /** The title of a step whose checks of the named features are left out when the driver lacks them. */
    const partly = (title: string, checks: ConformanceFeature[]) => {
      const lacking = checks.filter((f) => !has(f));
      return lacking.length === 0 ? title : `${title} [without the ${lacking.join(', ')} checks on ${name}]`;
    };
    /** A step, or a named skip when the driver lacks a feature it needs. */
    const step = (needs: ConformanceFeature[], title: string, body: () => Promise<void>) => {
      const lacking = needs.filter((f) => !has(f));
      if (lacking.length === 0) it(title, body);
      else it.skip(`${title} [not on ${name}: ${lacking.map((f) => missing[f]).join('; ')}]`, body);
    };

    /** Started, answering the ping and, where the driver tells, ready: what the lifecycle calls running. */
    async function startAndPing(): Promise<ProcessInfo> {
      generation++;
      const info = await driver.start(spec, { generation });
      expect(info.generation).toBe(generation);
      const deadline = Date.now() + startTimeout;
      for (;;) {
        try {
          await driver.ping(spec.serverId, 1_000);
          if (!driver.ready || (await driver.ready(spec.serverId))) return info;
          if (Date.now() > deadline) throw new Error('answers the ping but never said it is ready');
          await new Promise((resolve) => setTimeout(resolve, 25));
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      }
    }

    beforeAll(async () => {
      driver = await harness.createDriver();
      log = new EventLog(driver);
      spec = await harness.newSpec();
    });

    afterAll(async () => {
      if (spec) await driver?.remove(spec.serverId).catch(() => {});
      await driver?.close();
    });

    it('lists the distribution and version it is asked to run', async () => {
      const catalogue = await driver.catalogue();
      const entry = catalogue.find((d) => d.distribution === spec.distribution);
      expect(entry?.available).toBe(true);
      expect(entry?.versions).toContain(spec.minecraftVersion);
    });

    it(
      partly('deploys a workspace and reports no process before the first start', [
        'files',
        'stats',
        'console',
      ]),
      async () => {
        await driver.deploy(spec);
        await driver.deploy(spec); // idempotent
        if (has('files')) {
          const workspace = driver.workspace(spec.serverId);
          expect(workspace.root).toContain(spec.serverId);
          expect(workspace.backupExcludes.length).toBeGreaterThan(0);
          // The deployed files take storage: the plan's limit is checked against this.
          expect(await driver.storageUsed(spec.serverId, { fresh: true })).toBeGreaterThan(0);
        }
        expect(await driver.inspect(spec.serverId)).toEqual({ state: 'absent' });
        if (has('stats')) expect(await driver.stats(spec.serverId)).toBeNull();
        if (has('console')) await expectCode(driver.sendCommand(spec.serverId, 'list'), 'SERVER_NOT_RUNNING');
        expect(await driver.stop(spec.serverId, { timeoutMs: 1_000 })).toBeNull();
        if (driver.ready) expect(await driver.ready(spec.serverId)).toBe(false);
      },
    );

    if (Object.keys(missing).length > 0)
      it(`refuses what it does not support with RUNTIME_UNSUPPORTED (${Object.keys(missing).join(', ')})`, async () => {
        const id = spec.serverId;
        if (!has('console')) await expectCode(driver.sendCommand(id, 'list'), 'RUNTIME_UNSUPPORTED');
        if (!has('stats')) await expectCode(driver.stats(id), 'RUNTIME_UNSUPPORTED');
        if (!has('logs'))
          await expectCode(driver.readLogs(id, { page: 1, perPage: 10 }), 'RUNTIME_UNSUPPORTED');
        if (!has('files')) {
          expectThrownCode(() => driver.workspace(id), 'RUNTIME_UNSUPPORTED');
          await expectCode(driver.storageUsed(id, { fresh: true }), 'RUNTIME_UNSUPPORTED');
        }
      });

    it('starts a process that answers the server-list ping with the configured settings', async () => {
      const info = await startAndPing();
      const observed = await driver.inspect(spec.serverId);
      expect(observed).toMatchObject({ state: 'alive', pid: info.pid, generation: info.generation });
      const pong = await driver.ping(spec.serverId);
      expect(pong.maxPlayers).toBe(spec.maxPlayers);
      expect(pong.motd).toContain(String(spec.properties.motd));
      expect(pong.onlinePlayers).toBe(0);
      await expectCode(driver.start(spec, { generation: generation + 1 }), 'INVALID_TRANSITION');
    });

    step(['stats'], 'reports process stats', async () => {
      const stats = await driver.stats(spec.serverId);
      expect(stats).not.toBeNull();
      expect(stats!.memoryBytes).toBeGreaterThan(10 * 1024 * 1024);
      expect(stats!.cpuPercent).toBeGreaterThanOrEqual(0);
      expect(stats!.diskBytes).toBeGreaterThan(0);
      expect(stats!.uptimeSeconds).toBeGreaterThanOrEqual(0);
    });

    step(['console'], 'lets a player join, shows console output of a command as console events', async () => {
      const player = await harness.players.join(harness.address(spec), {
        username: 'Conformer',
        version: spec.minecraftVersion,
      });
      try {
        expect((await driver.ping(spec.serverId)).onlinePlayers).toBe(1);
        const from = log.events.length;
        await driver.sendCommand(spec.serverId, 'list');
        await log.consoleLine(spec.serverId, (l) => l.source === 'command' && l.message === 'list', from);
        const answer = await log.consoleLine(
          spec.serverId,
          (l) => l.source !== 'command' && l.message.includes('Conformer'),
          from,
        );
        expect(answer.line.ts).toBeInstanceOf(Date);
        placed.push(await player.placeBlockBeside());
      } finally {
        await player.quit();
      }
    });

    it(
      partly('stops gracefully, flushing the world: the placed block survives a restart', ['console']),
      async () => {
        const stopped = log.exitOf(spec.serverId, generation);
        const exit = await driver.stop(spec.serverId, { timeoutMs: 20_000, beforeStop: ['save-all'] });
        expect(exit).toMatchObject({ code: 0, generation });
        expect((await stopped).exit.code).toBe(0);
        expect(await driver.inspect(spec.serverId)).toMatchObject({ state: 'exited', exit: { generation } });
        if (has('console')) await expectCode(driver.sendCommand(spec.serverId, 'list'), 'SERVER_NOT_RUNNING');

        await startAndPing();
        // The block was placed in the console step.
        if (!has('console')) return;
        const player = await harness.players.join(harness.address(spec), {
          username: 'Conformer',
          version: spec.minecraftVersion,
        });
        try {
          expect(await player.blockNameAt(placed[0]!)).toBe('stone');
        } finally {
          await player.quit();
        }
      },
    );

    it('kills at once and reports the exit with its generation', async () => {
      const killed = log.exitOf(spec.serverId, generation);
      const exit = await driver.kill(spec.serverId);
      expect(exit?.generation).toBe(generation);
      expect(exit?.code).not.toBe(0);
      await killed;
      expect(await driver.kill(spec.serverId)).toBeNull();
      if (driver.ready) expect(await driver.ready(spec.serverId)).toBe(false);
    });

    step(['crash'], 'reports an unexpected exit with the generation of the process that died', async () => {
      const info = await startAndPing();
      const exited = log.exitOf(spec.serverId, info.generation);
      await harness.crash(spec, info);
      const event = await exited;
      expect(event.exit.code).not.toBe(0);
      expect(await driver.inspect(spec.serverId)).toMatchObject({ state: 'exited' });
    });

    it(
      partly('leaves processes running on close; a new driver adopts them with a working console', [
        'console',
        'crash',
      ]),
      async () => {
        const info = await startAndPing();
        await driver.close();
        log.unsubscribe();
        driver = await harness.createDriver();
        log = new EventLog(driver);
        // The game outlives the driver that started it...
        const orphanVisitor = await harness.players.join(harness.address(spec), {
          username: 'Orphan',
          version: spec.minecraftVersion,
        });
        await orphanVisitor.quit();

        const adopted = await driver.adopt([spec.serverId, 'never-deployed']);
        expect(adopted.get(spec.serverId)).toMatchObject({
          state: 'alive',
          pid: info.pid,
          generation: info.generation,
        });
        expect(adopted.get('never-deployed')).toEqual({ state: 'absent' });
        // Readiness is the process's own word, so a driver that did not see it start knows it too.
        if (driver.ready) expect(await driver.ready(spec.serverId)).toBe(true);
        expect(await driver.adopt([spec.serverId])).toEqual(
          new Map([[spec.serverId, expect.objectContaining({ state: 'alive' })]]),
        );

        // ... and its console works through the new driver.
        if (has('console')) {
          const from = log.events.length;
          await driver.sendCommand(spec.serverId, 'say adopted');
          await log.consoleLine(
            spec.serverId,
            (l) => l.message.includes('adopted') && l.source !== 'command',
            from,
          );
        }
        expect((await driver.ping(spec.serverId)).onlinePlayers).toBe(0);

        // An adopted process is not the new driver's child: its end must still be seen, with its generation
        // (ended from outside where the harness can; otherwise killed through the new driver).
        const exited = log.exitOf(spec.serverId, info.generation);
        if (has('crash')) await harness.crash(spec, info);
        else await driver.kill(spec.serverId);
        await exited;
      },
    );

    it('adopted processes stop gracefully through the new driver', async () => {
      const info = await startAndPing();
      await driver.close();
      driver = await harness.createDriver();
      log = new EventLog(driver);
      expect((await driver.adopt([spec.serverId])).get(spec.serverId)).toMatchObject({
        state: 'alive',
        generation: info.generation,
      });
      const exit = await driver.stop(spec.serverId, { timeoutMs: 20_000 });
      expect(exit).toMatchObject({ code: 0, generation: info.generation });
    });

    step(
      ['logs'],
      // The server is stopped (by the step before): its log is still read.
      'answers log queries of a stopped server: level, text, time range, tail, pagination',
      async () => {
        const all = await driver.readLogs(spec.serverId, { page: 1, perPage: 1_000 });
        expect(all.total).toBeGreaterThan(10);
        const times = all.lines.map((l) => l.ts.getTime());
        expect([...times].sort((a, b) => a - b)).toEqual(times);
        expect(all.lines.some((l) => l.source === 'command' && l.message === 'list')).toBe(true);
        expect(all.lines.some((l) => l.source === 'platform')).toBe(true);

        const warnings = await driver.readLogs(spec.serverId, { level: 'warn', page: 1, perPage: 1_000 });
        expect(warnings.lines.every((l) => ['warn', 'error', 'fatal'].includes(l.level))).toBe(true);

        const found = await driver.readLogs(spec.serverId, { q: 'CONFORMER', page: 1, perPage: 1_000 });
        expect(found.total).toBeGreaterThan(0);
        expect(found.lines.every((l) => l.message.toLowerCase().includes('conformer'))).toBe(true);

        const tail = await driver.readLogs(spec.serverId, { tail: 5, page: 1, perPage: 1_000 });
        expect(tail.total).toBe(5);
        expect(tail.lines).toEqual(all.lines.slice(-5));

        const page1 = await driver.readLogs(spec.serverId, { page: 1, perPage: 3 });
        const page2 = await driver.readLogs(spec.serverId, { page: 2, perPage: 3 });
        expect(page1.total).toBe(all.total);
        expect(page1.lines).toEqual(all.lines.slice(-3));
        expect(page2.lines).toEqual(all.lines.slice(-6, -3));

        const middle = all.lines[Math.floor(all.lines.length / 2)]!.ts;
        const since = await driver.readLogs(spec.serverId, { since: middle, page: 1, perPage: 1_000 });
        expect(since.lines.every((l) => l.ts >= middle)).toBe(true);
        const until = await driver.readLogs(spec.serverId, { until: middle, page: 1, perPage: 1_000 });
        expect(until.total + since.total).toBeGreaterThanOrEqual(all.total);
      },
    );

    it(partly('removes everything it holds for the server, idempotently', ['files', 'logs']), async () => {
      await startAndPing();
      const root = has('files') ? driver.workspace(spec.serverId).root : undefined;
      if (has('files')) expect(await driver.storageUsed(spec.serverId)).toBeGreaterThan(0);
      await driver.remove(spec.serverId);
      await driver.remove(spec.serverId);
      expect(await driver.inspect(spec.serverId)).toEqual({ state: 'absent' });
      expect(await harness.portIsFree(spec.port)).toBe(true);
      if (has('files')) {
        // Nothing of it is counted any more (no measurement of the removed files is kept).
        expect(await driver.storageUsed(spec.serverId)).toBe(0);
        expect(driver.workspace(spec.serverId).root).toBe(root);
      }
      if (has('logs')) {
        const logs = await driver.readLogs(spec.serverId, { page: 1, perPage: 10 });
        expect(logs.total).toBe(0);
      }
    });
  });
}
