import { BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';
import {
  FAULT_KINDS,
  faultKindsFor,
  injectFault,
  operationsFor,
  type FaultKind,
  type Operation,
  type StepContext,
} from './faults.js';
import { INVARIANTS, InvariantChecks, type Invariant, type Violation } from './invariants.js';
import { ChaosPlatform } from './platform.js';
import { call, sleep } from './resilient-api.js';
import { Rng } from './rng.js';
import { backup, build, pruneBackups, restore, type StepOutcome } from './workload.js';
import { judgeWorld, markersNear, observeMarkers, PALETTE, spawnOf, WorldLedger } from './world.js';

export interface ChaosOptions {
  seed: number;
  faults: number;
  replicas: 1 | 2;
  /** The backup store: a tmpfs disk (default) or S3 (s3rver behind a faulty proxy). */
  store?: 'disk' | 's3';
  /** Only these fault kinds (of those the store and replicas allow). */
  only?: FaultKind[];
  servers: number;
  /** Stop injecting this long after the first fault (the report says how many fit). */
  budgetMs: number;
  maxOutageMs: number;
  /** Each fault kind once, in an order the seed shuffles (the short run), instead of random picks. */
  eachKindOnce?: boolean;
  /** Only these workload steps where the fault allows them (CHAOS_STEPS, to study one). */
  steps?: Operation[] | undefined;
  /** Each replica's whole output is appended to a file here (CHAOS_LOG_DIR). */
  logDir?: string | undefined;
  log: (line: string) => void;
}

export interface ChaosReport {
  seed: number;
  replicas: number;
  servers: number;
  faults: number;
  faultsByKind: Record<FaultKind, number>;
  operations: Record<string, number>;
  invariantsChecked: Record<Invariant, number>;
  backupsVerified: number;
  restoresWhole: number;
  restoresRolledBack: number;
  repairs: number;
  apiRecoveryMsMax: number;
  violations: (Violation & { fault: number; kind: FaultKind })[];
  durationMs: number;
}

const LIMITS = { apiMs: 15_000, transitionalMs: 120_000 };
const STEP_TIMEOUT_MS = 120_000;
const PROCESS_GRACE_MS = 15_000;

/**
 * The chaos run: a platform of real processes, servers that bots check, and `faults` rounds of one
 * workload step (build, backup or restore) with one fault injected at a random point of it, then every
 * invariant. Violations are collected, not thrown, so one run reports all it found.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const rng = new Rng(options.seed);
  const log = options.log;
  log(
    `chaos: seed ${options.seed} (CHAOS_SEED=${options.seed} reproduces), ${options.faults} faults, ${options.replicas} replica(s), ${options.store ?? 'disk'} store`,
  );
  const store = options.store ?? 'disk';
  const platform = await ChaosPlatform.start({
    replicas: options.replicas,
    store,
    backupDiskMb: 48,
    log,
    logDir: options.logDir,
  });
  const checks = new InvariantChecks(platform, LIMITS);
  const report: ChaosReport = {
    seed: options.seed,
    replicas: options.replicas,
    servers: options.servers,
    faults: 0,
    faultsByKind: Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>,
    operations: {},
    invariantsChecked: checks.checked,
    backupsVerified: 0,
    restoresWhole: 0,
    restoresRolledBack: 0,
    repairs: 0,
    apiRecoveryMsMax: 0,
    violations: [],
    durationMs: 0,
  };
  try {
    platform.user = await platform.api.signup('chaos');
    const servers: { id: string; ledger: WorldLedger }[] = [];
    for (let i = 0; i < options.servers; i++) {
      const res = await platform.api.post(
        '/servers',
        { name: `chaos-${i}`, sku_id: 'starter', minecraft_version: BOT_TEST_VERSION, start: true },
        platform.user.token,
      );
      if (res.status !== 202) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`);
      servers.push({ id: res.body.id as string, ledger: new WorldLedger() });
    }
    for (const server of servers) {
      const running = await platform.api.waitForStatus(server.id, platform.user.token, 'running', 90_000);
      server.ledger.markers = markersNear(await spawnOf(running.address, 'ChaosBot'));
      for (const [i, m] of server.ledger.markers.entries())
        await call(platform, 'POST', `/servers/${server.id}/commands`, {
          command: `setblock ${m.x} ${m.y} ${m.z} ${PALETTE[i]}`,
        });
      await sleep(1_500); // saved by the game's own one-second save
      server.ledger.known = await observeMarkers(running.address, 'ChaosBot', server.ledger.markers);
      // A first backup, so a restore can be the step a fault hits from the first round on.
      const first = await backup(platform, server.ledger, { serverId: server.id }, STEP_TIMEOUT_MS);
      log(`chaos: server ${server.id} markers ${server.ledger.known.join(', ')}, ${first.summary}`);
    }
    const kinds = faultKindsFor({ store, replicas: options.replicas }).filter(
      (k) => !options.only || options.only.includes(k),
    );
    if (kinds.length === 0) throw new Error('CHAOS_KINDS leaves no fault this run can inject');
    const order = rng.shuffle(kinds);
    const verified = new Set<string>();
    const firstFault = Date.now();
    log(`chaos: platform up in ${Math.round((firstFault - started) / 1000)} s`);
    for (let n = 0; n < options.faults && Date.now() - firstFault < options.budgetMs; n++) {
      const kind = options.eachKindOnce ? order[n % order.length]! : rng.pick(kinds);
      const server = rng.pick(servers);
      const allowed = operationsFor(kind).filter((o) => !options.steps || options.steps.includes(o));
      const operation = rng.pick(allowed.length > 0 ? allowed : operationsFor(kind));
      const ctx: StepContext = { serverId: server.id };
      report.operations[operation] = (report.operations[operation] ?? 0) + 1;
      let release!: () => void;
      const go = new Promise<void>((resolve) => (release = resolve));
      const step: Promise<StepOutcome> = go.then(() =>
        operation === 'build'
          ? build(platform, rng, server.ledger, ctx)
          : operation === 'backup'
            ? backup(platform, server.ledger, ctx, STEP_TIMEOUT_MS)
            : restore(platform, rng, server.ledger, ctx, STEP_TIMEOUT_MS),
      );
      const roundStart = Date.now();
      const [outcome] = await Promise.all([
        step,
        injectFault(kind, platform, rng, ctx, { maxOutageMs: options.maxOutageMs }, release, step),
      ]);
      report.faults++;
      report.faultsByKind[kind]++;
      const healedAt = Date.now();
      log(`chaos: #${n} ${kind}: step and fault over (${outcome.summary}; ${ctx.note ?? ''}), checking`);
      const found = await checkRound(
        platform,
        checks,
        servers,
        server,
        outcome,
        verified,
        report,
        healedAt,
        log,
      );
      for (const v of found) report.violations.push({ ...v, fault: n, kind });
      log(
        `chaos: #${n} ${kind} during ${outcome.summary} [${ctx.note ?? ''}] ${Date.now() - roundStart} ms` +
          (found.length
            ? ` VIOLATIONS: ${found.map((v) => `${v.invariant}: ${v.detail}`).join('; ')}`
            : ' ok'),
      );
      if (n % 5 === 4) for (const s of servers) await pruneBackups(platform, s.ledger, s.id, 6);
    }
  } finally {
    report.apiRecoveryMsMax = Math.max(0, ...checks.apiRecoveryMs);
    report.durationMs = Date.now() - started;
    await platform.close();
  }
  log(
    `chaos: ${report.faults} faults in ${Math.round(report.durationMs / 1000)} s, ${report.violations.length} violations`,
  );
  log(`chaos: ${JSON.stringify({ ...report, violations: report.violations.length })}`);
  return report;
}

async function checkRound(
  platform: ChaosPlatform,
  checks: InvariantChecks,
  servers: { id: string; ledger: WorldLedger }[],
  hit: { id: string; ledger: WorldLedger },
  outcome: StepOutcome,
  verified: Set<string>,
  report: ChaosReport,
  healedAt: number,
  log: (line: string) => void,
): Promise<Violation[]> {
  const violations: Violation[] = [];
  violations.push(...(await checks.apiAnswers(healedAt)));
  const ids = servers.map((s) => s.id);
  let settled = await checks.settle(ids, healedAt);
  log(`chaos:   settled: ${settled.servers.map((s) => s.status).join(', ')}`);
  violations.push(...settled.violations);
  if (settled.violations.length > 0) {
    // A stuck server or backup: what the database is doing is the first thing to know.
    log(`chaos:   database sessions:\n${await platform.databaseActivity()}`);
  }
  // A server the fault left crashed, failed or stopped is started again (the workload wants it up).
  const startAnswers = new Map<string, string>();
  for (const server of settled.servers.filter(
    (s) => s.status !== 'running' && !['restoring'].includes(s.status),
  )) {
    report.repairs++;
    const answer = await call(platform, 'POST', `/servers/${server.id}/start`, {});
    startAnswers.set(server.id, `${answer.status} ${answer.body?.error?.code ?? answer.body?.status ?? ''}`);
  }
  if (settled.servers.some((s) => s.status !== 'running')) {
    settled = await checks.settle(ids, Date.now());
    violations.push(...settled.violations);
    const down = settled.servers.filter((s) => s.status !== 'running');
    if (down.length > 0)
      violations.push(
        ...down.map((s) => ({
          invariant: 'no-stuck-server' as const,
          detail: `server ${s.id} ${s.status} after a start (answered ${startAnswers.get(s.id) ?? 'not asked'}): ${s.status_reason ?? ''}`,
        })),
      );
  }
  // A killed game takes its owner a moment to notice (the status still says running): processes and
  // ports are judged once they agree with the statuses, or after PROCESS_GRACE_MS.
  const graceEnd = Date.now() + PROCESS_GRACE_MS;
  checks.count('no-duplicate-process');
  checks.count('no-duplicate-port');
  for (;;) {
    const found = [...(await checks.processes(settled.servers)), ...(await checks.ports(settled.servers))];
    if (found.length === 0 || Date.now() > graceEnd) {
      violations.push(...found);
      if (found.length > 0) await clearOrphans(platform, settled.servers, log);
      break;
    }
    await sleep(500);
    settled = await checks.settle(ids, Date.now());
    violations.push(...settled.violations);
  }
  const sums = await checks.backupChecksums(ids, verified);
  report.backupsVerified += sums.checked;
  violations.push(...sums.violations);
  violations.push(...(await checks.autosave(settled.servers)));
  log(`chaos:   processes, ports, ${sums.checked} new checksums, autosave checked`);
  const address = settled.servers.find((s) => s.id === hit.id)?.address;
  if (address && settled.servers.find((s) => s.id === hit.id)?.status === 'running') {
    checks.count('world-intact');
    const observed = await observeMarkers(address, 'ChaosBot', hit.ledger.markers).catch(
      (error: unknown) => error as Error,
    );
    if (observed instanceof Error) {
      violations.push({
        invariant: 'world-intact',
        detail: `no bot could check the world: ${observed.message}`,
      });
    } else {
      const verdict = judgeWorld(observed, outcome.before, outcome.restored);
      if (!verdict.ok) violations.push({ invariant: 'world-intact', detail: verdict.why });
      else if (outcome.restored && verdict.restoredWhole) report.restoresWhole++;
      else if (outcome.restored) report.restoresRolledBack++;
      hit.ledger.known = observed;
    }
  }
  return violations;
}

/**
 * After a process violation has been recorded: a game process whose server is not meant to have one
 * (the platform refuses to start the server while it lives) is killed, the way an operator would,
 * and the server started again, so the rounds that follow test the next fault instead of finding the
 * same orphan.
 */
async function clearOrphans(platform: ChaosPlatform, servers: readonly any[], log: (line: string) => void) {
  const games = await platform.gameProcesses();
  for (const server of servers.filter((s) => ['stopped', 'crashed', 'failed'].includes(s.status))) {
    const orphans = games.filter((g) => g.cmdline.includes(`servers/${server.id}`));
    for (const orphan of orphans) {
      try {
        process.kill(orphan.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (orphans.length === 0) continue;
    log(`chaos:   killed ${orphans.length} orphan game process(es) of ${server.status} server ${server.id}`);
    await sleep(1_000);
    await call(platform, 'POST', `/servers/${server.id}/start`, {});
  }
}

export { INVARIANTS };
