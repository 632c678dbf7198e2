import type { FaultKind, StepContext } from './faults.js';
import type { ChaosPlatform } from './platform.js';
import { call, sleep } from './resilient-api.js';
import type { Rng } from './rng.js';
import { exactly, MARKER_COUNT, PALETTE, type Acceptable, type WorldLedger } from './world.js';

/** What a workload step leaves for the world check. */
export interface StepOutcome {
  /** Marker values allowed if no restore took effect. */
  before: Acceptable;
  /** The restored backup's marker values, when the step was a restore. */
  restored?: string[];
  summary: string;
}

const FINISHED = new Set(['completed', 'failed']);
let backupCounter = 0;

const refusal = (body: any): string =>
  `${body?.error?.code ?? ''}: ${String(body?.error?.message ?? '').slice(0, 120)}`;

/** Polls a backup until it is completed or failed (through faults: the API may be away meanwhile). */
export async function waitForBackupEnd(platform: ChaosPlatform, id: string, timeoutMs: number): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call(platform, 'GET', `/backups/${id}`, undefined, timeoutMs);
    if (res.status === 404 || FINISHED.has(res.body.status)) return res.body;
    if (Date.now() > deadline) return res.body;
    await sleep(150);
  }
}

/** Sets 1–3 markers to new blocks through the console API (`setblock`). */
export async function build(
  platform: ChaosPlatform,
  rng: Rng,
  ledger: WorldLedger,
  ctx: StepContext,
): Promise<StepOutcome> {
  const before = exactly(ledger.known);
  const changes: string[] = [];
  for (let n = rng.int(1, 3); n > 0; n--) {
    const i = rng.int(0, MARKER_COUNT - 1);
    const m = ledger.markers[i]!;
    const block = rng.pick(PALETTE.filter((b) => !before[i]!.has(b)));
    const res = await call(platform, 'POST', `/servers/${ctx.serverId}/commands`, {
      command: `setblock ${m.x} ${m.y} ${m.z} ${block}`,
    }).catch((error: unknown) => ({ status: 0, body: String(error) }));
    // Sent or not (a refused command is fine while the server restarts), the block may now be either.
    before[i]!.add(block);
    changes.push(`${i}=${block}:${res.status}`);
  }
  return { before, summary: `build ${changes.join(' ')}` };
}

/** Asks for a backup and waits for its end; a completed one records the markers it must hold. */
export async function backup(
  platform: ChaosPlatform,
  ledger: WorldLedger,
  ctx: StepContext,
  timeoutMs: number,
): Promise<StepOutcome> {
  const snapshot = [...ledger.known];
  const res = await call(
    platform,
    'POST',
    `/servers/${ctx.serverId}/backups`,
    { name: `chaos-${(backupCounter++).toString(36)}-${Date.now().toString(36)}` },
    timeoutMs,
  );
  if (res.status !== 202)
    return { before: exactly(snapshot), summary: `backup refused ${res.status} ${refusal(res.body)}` };
  ctx.backupId = res.body.id as string;
  const end = await waitForBackupEnd(platform, ctx.backupId, timeoutMs);
  if (end.status === 'completed') ledger.snapshots.set(ctx.backupId, snapshot);
  return {
    before: exactly(snapshot),
    summary: `backup ${end.status}${end.error ? ` (${String(end.error).slice(0, 80)})` : ''}`,
  };
}

/** Restores a completed backup of the chaos run's own (its markers known) and waits for the server. */
export async function restore(
  platform: ChaosPlatform,
  rng: Rng,
  ledger: WorldLedger,
  ctx: StepContext,
  timeoutMs: number,
): Promise<StepOutcome> {
  const before = exactly(ledger.known);
  const candidates = [...ledger.snapshots.keys()];
  if (candidates.length === 0) return { before, summary: 'restore skipped (no backup yet)' };
  const id = rng.pick(candidates);
  const restored = ledger.snapshots.get(id)!;
  const res = await call(platform, 'POST', `/servers/${ctx.serverId}/backups/${id}/restore`, {}, timeoutMs);
  if (res.status !== 202) return { before, summary: `restore refused ${res.status} ${refusal(res.body)}` };
  ctx.backupId = id;
  const deadline = Date.now() + timeoutMs;
  // The restore is over when the backup is no longer `restoring` and the server left `restoring`.
  for (;;) {
    const b = await call(platform, 'GET', `/backups/${id}`, undefined, timeoutMs);
    const s = await call(platform, 'GET', `/servers/${ctx.serverId}`, undefined, timeoutMs);
    if (b.body.status !== 'restoring' && !['restoring', 'stopping'].includes(s.body.status)) break;
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  return { before, restored, summary: `restore of ${id.slice(0, 8)}` };
}

/** Old backups are deleted (through the API) so the small backup disk never fills by itself. */
export async function pruneBackups(
  platform: ChaosPlatform,
  ledger: WorldLedger,
  serverId: string,
  keep: number,
) {
  const list = (await call(platform, 'GET', `/servers/${serverId}/backups?per_page=100&sort=-created_at`))
    .body.backups as { id: string; status: string }[];
  const done = list.filter((b) => b.status === 'completed' || b.status === 'failed');
  for (const b of done.slice(keep)) {
    const res = await call(platform, 'DELETE', `/backups/${b.id}`);
    if (res.status < 300) ledger.snapshots.delete(b.id);
  }
}

export type { FaultKind };
