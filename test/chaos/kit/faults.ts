import type { ChaosPlatform } from './platform.js';
import { call, sleep } from './resilient-api.js';
import type { Rng } from './rng.js';
import { S3_TIMEOUT_SECONDS } from './s3-store.js';

export const FAULT_KINDS = [
  'control-plane-kill',
  'game-kill-mid-save',
  'postgres-down',
  'postgres-latency',
  'postgres-reset',
  'nats-stop',
  'backup-disk-full',
  'backup-store-fail',
  's3-fail',
  's3-stall',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The faults a run can inject: the store's own (disk or S3), NATS only with two replicas. */
export function faultKindsFor(options: { store: 'disk' | 's3'; replicas: 1 | 2 }): FaultKind[] {
  const storeKinds: FaultKind[] =
    options.store === 's3' ? ['s3-fail', 's3-stall'] : ['backup-disk-full', 'backup-store-fail'];
  return FAULT_KINDS.filter(
    (k) =>
      (k !== 'nats-stop' || options.replicas === 2) && (!STORE_KINDS.includes(k) || storeKinds.includes(k)),
  );
}

const STORE_KINDS: readonly FaultKind[] = ['backup-disk-full', 'backup-store-fail', 's3-fail', 's3-stall'];

/** The workload step a fault is paired with: what it interrupts. */
export const OPERATIONS = ['build', 'backup', 'restore'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Shared between a workload step and the fault injected into it. */
export interface StepContext {
  serverId: string;
  /** The backup the step started (set once the API accepted it). */
  backupId?: string;
  /** Set by the fault: what it did, for the log. */
  note?: string;
}

export interface FaultScale {
  /** Longest outage windows (database down, NATS stopped), in ms. */
  maxOutageMs: number;
}

/** The steps a fault can be paired with (the store faults hit backups and the restores' safety copy). */
export function operationsFor(kind: FaultKind): readonly Operation[] {
  if (kind === 'game-kill-mid-save') return ['backup'];
  if (STORE_KINDS.includes(kind)) return ['backup', 'backup', 'restore'];
  return ['build', 'build', 'backup', 'restore'];
}

/**
 * Injects one fault at a random point of the running step and heals it again (a killed control plane
 * is started again on the same data, NATS and the database come back, the disk is emptied and made
 * writable). Resolves once the platform's surroundings are whole again; what the platform then does
 * is for the invariants to judge.
 */
export async function injectFault(
  kind: FaultKind,
  platform: ChaosPlatform,
  rng: Rng,
  ctx: StepContext,
  scale: FaultScale,
  /** Lets the workload step begin (the disk faults break the disk first, then let it run). */
  release: () => void,
  stepDone: Promise<unknown>,
): Promise<void> {
  if (kind === 's3-fail' || kind === 's3-stall' || !STORE_KINDS.includes(kind)) release();
  const outage = () => rng.int(500, scale.maxOutageMs);
  switch (kind) {
    case 'control-plane-kill': {
      await sleep(rng.int(0, 1500));
      const count = platform.replicas.length;
      const victims = count === 2 && rng.chance(0.3) ? [0, 1] : [rng.int(0, count - 1)];
      const downFor = rng.int(0, 1500);
      ctx.note = `killed replica ${victims.join('+')}, down ${downFor} ms`;
      for (const i of victims) await platform.killReplica(i);
      await sleep(downFor);
      await Promise.all(victims.map((i) => platform.startReplica(i)));
      return;
    }
    case 'game-kill-mid-save': {
      // Waits for the backup to be running (saving paused, world being flushed or archived), then kills.
      const deadline = Date.now() + 20_000;
      let phase = 'not seen running';
      let stepOver = false;
      void stepDone.finally(() => (stepOver = true)).catch(() => {});
      while (Date.now() < deadline && !(stepOver && !ctx.backupId)) {
        if (ctx.backupId) {
          const res = await call(platform, 'GET', `/backups/${ctx.backupId}`);
          if (res.body.status === 'running') {
            phase = 'running';
            break;
          }
          if (['completed', 'failed'].includes(res.body.status)) {
            phase = `already ${res.body.status}`;
            break;
          }
        }
        await sleep(10);
      }
      await sleep(rng.int(0, 200));
      const games = (await platform.gameProcesses()).filter((g) =>
        g.cmdline.includes(`servers/${ctx.serverId}`),
      );
      for (const game of games) {
        try {
          process.kill(game.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      ctx.note = `SIGKILLed ${games.length} game process(es), backup ${phase}`;
      return;
    }
    case 'postgres-down': {
      await sleep(rng.int(0, 1500));
      const ms = outage();
      ctx.note = `database unreachable ${ms} ms`;
      platform.proxy.setDown(true);
      await sleep(ms);
      platform.proxy.setDown(false);
      return;
    }
    case 'postgres-latency': {
      const latency = rng.int(50, 400);
      const ms = outage();
      ctx.note = `+${latency} ms per packet for ${ms} ms`;
      platform.proxy.setLatency(latency);
      await sleep(ms);
      platform.proxy.setLatency(0);
      return;
    }
    case 'postgres-reset': {
      await sleep(rng.int(0, 1500));
      ctx.note = `reset ${platform.proxy.resetAll()} connections`;
      return;
    }
    case 'nats-stop': {
      if (!platform.nats) throw new Error('nats-stop needs the two-replica scenario');
      await sleep(rng.int(0, 1000));
      const ms = outage();
      ctx.note = `NATS down ${ms} ms`;
      await platform.nats.stop();
      await sleep(ms);
      await platform.nats.start();
      return;
    }
    case 'backup-disk-full': {
      const disk = platform.disk!;
      await disk.fill();
      ctx.note = 'backup disk filled';
      release();
      await stepDone.catch(() => {});
      await disk.unfill();
      return;
    }
    case 'backup-store-fail': {
      const disk = platform.disk!;
      await disk.setReadOnly(true);
      ctx.note = 'backup store read-only';
      release();
      await stepDone.catch(() => {});
      await disk.setReadOnly(false);
      return;
    }
    case 's3-fail': {
      // Mid-transfer: every connection to the store reset, new ones refused, for a while.
      const proxy = platform.s3!.proxy;
      await sleep(rng.int(0, 800));
      const ms = outage();
      ctx.note = `S3 down ${ms} ms`;
      proxy.setDown(true);
      await sleep(ms);
      proxy.setDown(false);
      return;
    }
    case 's3-stall': {
      // A hung store: connections kept open, nothing moves, for longer than the requests' timeout.
      const proxy = platform.s3!.proxy;
      await sleep(rng.int(0, 800));
      // From just past one timeout (a retry gets through) to past the SDK's three attempts (it fails).
      const ms = rng.int(S3_TIMEOUT_SECONDS * 1000 + 500, S3_TIMEOUT_SECONDS * 4000 + 2000);
      ctx.note = `S3 stalled ${ms} ms`;
      proxy.setStalled(true);
      await sleep(ms);
      proxy.setStalled(false);
      return;
    }
  }
}
