import { readFile } from 'node:fs/promises';
import { pingOnce, BOT_TEST_VERSION } from '@minefleet/testkit/minecraft';
import type { ChaosPlatform } from './platform.js';
import { call, sleep } from './resilient-api.js';

export const INVARIANTS = [
  'api-answers',
  'no-stuck-server',
  'no-stuck-backup',
  'no-duplicate-process',
  'no-duplicate-port',
  'backup-checksum',
  'autosave-on',
  'world-intact',
] as const;
export type Invariant = (typeof INVARIANTS)[number];

export interface Violation {
  invariant: Invariant;
  detail: string;
}

const TRANSITIONAL = new Set(['deploying', 'starting', 'stopping', 'restoring', 'deleting']);
const BACKUP_IN_PROGRESS = new Set(['pending', 'running', 'restoring']);

export interface CheckLimits {
  /** The API must answer (health and an authenticated list) within this after a fault is healed. */
  apiMs: number;
  /** The longest a server may stay in a transitional status, or a backup pending/running. */
  transitionalMs: number;
}

/**
 * The invariants every fault is followed by, checked from outside the way an operator would see
 * them: the API, the processes and listening sockets on this machine, and the bytes in the store.
 */
export class InvariantChecks {
  readonly checked: Record<Invariant, number> = Object.fromEntries(INVARIANTS.map((i) => [i, 0])) as Record<
    Invariant,
    number
  >;
  readonly apiRecoveryMs: number[] = [];

  constructor(
    private readonly platform: ChaosPlatform,
    private readonly limits: CheckLimits,
  ) {}

  count(invariant: Invariant): void {
    this.checked[invariant]++;
  }

  /** Every live replica answers /health and an authenticated request; how long that took. */
  async apiAnswers(since: number): Promise<Violation[]> {
    this.count('api-answers');
    const violations: Violation[] = [];
    // A replica that died by itself is a failure; it is started again so the run goes on.
    for (const exit of this.platform.unexpectedExits.splice(0))
      violations.push({ invariant: 'api-answers', detail: exit });
    for (let i = 0; i < this.platform.replicas.length; i++)
      if (!this.platform.replicas[i]) await this.platform.startReplica(i);
    for (const replica of this.platform.liveReplicas()) {
      const deadline = since + this.limits.apiMs;
      for (;;) {
        let status = 0;
        try {
          const health = await replica.api.get('/health');
          const list = await replica.api.get('/servers', this.platform.user.token);
          status = health.status === 200 ? list.status : health.status;
        } catch {
          // not answering yet
        }
        if (status === 200) {
          this.apiRecoveryMs.push(Date.now() - since);
          break;
        }
        if (Date.now() > deadline) {
          violations.push({
            invariant: 'api-answers',
            detail: `${replica.url} not answering ${this.limits.apiMs} ms after the fault (last status ${status})`,
          });
          break;
        }
        await sleep(100);
      }
    }
    return violations;
  }

  /**
   * Waits until no server is in a transitional status and no backup is in progress; a server or
   * backup still in one after the limit (counted from `since`) is stuck.
   */
  async settle(
    serverIds: readonly string[],
    since: number,
  ): Promise<{ violations: Violation[]; servers: any[] }> {
    this.count('no-stuck-server');
    this.count('no-stuck-backup');
    const deadline = since + this.limits.transitionalMs;
    for (;;) {
      const servers = await Promise.all(
        serverIds.map(async (id) => (await call(this.platform, 'GET', `/servers/${id}`)).body),
      );
      const backups = (await Promise.all(serverIds.map((id) => this.backupsOf(id)))).flat();
      const stuckServers = servers.filter((s) => TRANSITIONAL.has(s.status));
      const stuckBackups = backups.filter((b) => BACKUP_IN_PROGRESS.has(b.status));
      if (stuckServers.length === 0 && stuckBackups.length === 0) return { violations: [], servers };
      if (Date.now() > deadline) {
        return {
          servers,
          violations: [
            ...stuckServers.map((s) => ({
              invariant: 'no-stuck-server' as const,
              detail: `server ${s.id} still ${s.status} (${s.status_reason ?? 'no reason'}) ${this.limits.transitionalMs} ms after the fault`,
            })),
            ...stuckBackups.map((b) => ({
              invariant: 'no-stuck-backup' as const,
              detail: `backup ${b.id} (${b.type}) still ${b.status} ${this.limits.transitionalMs} ms after the fault`,
            })),
          ],
        };
      }
      await sleep(250);
    }
  }

  async backupsOf(serverId: string): Promise<any[]> {
    const res = await call(
      this.platform,
      'GET',
      `/servers/${serverId}/backups?per_page=100&sort=-created_at`,
    );
    return res.body.backups as any[];
  }

  /** One game process per server at most, one for a running server, none for a stopped one. */
  async processes(servers: readonly any[]): Promise<Violation[]> {
    const violations: Violation[] = [];
    const cps = await this.platform.controlPlanePids();
    const expected = this.platform.liveReplicas().length;
    if (cps.length !== expected)
      violations.push({
        invariant: 'no-duplicate-process',
        detail: `${cps.length} control-plane processes on the data folder, ${expected} expected (${cps.join(', ')})`,
      });
    const games = await this.platform.gameProcesses();
    for (const server of servers) {
      const mine = games.filter((g) => g.cmdline.includes(`servers/${server.id}`));
      const want =
        server.status === 'running' ? 1 : ['stopped', 'crashed', 'failed'].includes(server.status) ? 0 : -1;
      if (mine.length > 1 || (want >= 0 && mine.length !== want))
        violations.push({
          invariant: 'no-duplicate-process',
          detail: `server ${server.id} is ${server.status} with ${mine.length} game processes (${mine.map((g) => g.pid).join(', ')})`,
        });
    }
    return violations;
  }

  /** Each running server's port: its own, one listening socket on it, and the game answers there. */
  async ports(servers: readonly any[]): Promise<Violation[]> {
    const violations: Violation[] = [];
    const running = servers.filter((s) => s.status === 'running');
    const ports = running.map((s) => s.address?.port as number);
    if (new Set(ports).size !== ports.length)
      violations.push({
        invariant: 'no-duplicate-port',
        detail: `two running servers share a port: ${ports.join(', ')}`,
      });
    const listeners = await listeningSockets();
    for (const server of running) {
      const port = server.address.port as number;
      const count = listeners.get(port) ?? 0;
      if (count !== 1)
        violations.push({
          invariant: 'no-duplicate-port',
          detail: `server ${server.id}: ${count} listening sockets on port ${port}`,
        });
      try {
        await pingOnce({ host: '127.0.0.1', port }, BOT_TEST_VERSION, 5_000);
      } catch (error) {
        violations.push({
          invariant: 'no-duplicate-port',
          detail: `server ${server.id} running but no ping answer on ${port}: ${String(error)}`,
        });
      }
    }
    return violations;
  }

  /** A completed backup's archive is in the store with its recorded size and SHA-256; a failed one left nothing. */
  async backupChecksums(
    serverIds: readonly string[],
    verified: Set<string>,
  ): Promise<{ violations: Violation[]; checked: number }> {
    this.count('backup-checksum');
    const violations: Violation[] = [];
    let checked = 0;
    for (const serverId of serverIds) {
      const files = await this.platform.storedArchives(serverId);
      for (const backup of await this.backupsOf(serverId)) {
        const stored = files.filter((f) => f.startsWith(`${backup.id}.`));
        if (backup.status === 'failed' && stored.length > 0)
          violations.push({
            invariant: 'backup-checksum',
            detail: `failed backup ${backup.id} left ${stored.join(', ')} in the store`,
          });
        if (backup.status !== 'completed' || verified.has(`${backup.id}:${backup.sha256}`)) continue;
        if (stored.length !== 1) {
          violations.push({
            invariant: 'backup-checksum',
            detail: `completed backup ${backup.id} has ${stored.length} files in the store`,
          });
          continue;
        }
        const { sha256, size } = await this.platform.hashArchive(serverId, stored[0]!);
        checked++;
        if (sha256 !== backup.sha256 || size !== backup.size_bytes)
          violations.push({
            invariant: 'backup-checksum',
            detail: `completed backup ${backup.id}: stored ${size} B sha256 ${sha256}, recorded ${backup.size_bytes} B ${backup.sha256}`,
          });
        else verified.add(`${backup.id}:${backup.sha256}`);
      }
    }
    return { violations, checked };
  }

  /**
   * A running server's last word on automatic saving, since its current process started, is "enabled"
   * (no backup is running now). Lines of an earlier process do not count: a game killed between
   * `save-off` and `save-on` leaves "disabled" as its last line, and the next process starts with saving
   * on and says nothing about it.
   */
  async autosave(servers: readonly any[]): Promise<Violation[]> {
    this.count('autosave-on');
    const violations: Violation[] = [];
    for (const server of servers.filter((s) => s.status === 'running')) {
      const res = await call(
        this.platform,
        'GET',
        `/servers/${server.id}/logs?q=${encodeURIComponent('Automatic saving is now')}&tail=20`,
      );
      const since = server.started_at ? Date.parse(server.started_at as string) : 0;
      const lines = (res.body.logs as { ts: string; message: string }[])
        .filter((l) => Date.parse(l.ts) >= since)
        .sort((a, b) => a.ts.localeCompare(b.ts));
      const last = lines.at(-1);
      if (last && !/enabled/.test(last.message))
        violations.push({
          invariant: 'autosave-on',
          detail: `server ${server.id}: last saving line "${last.message}" at ${last.ts}`,
        });
    }
    return violations;
  }
}

/** Listening TCP sockets on this machine by local port (from /proc/net/tcp and tcp6). */
async function listeningSockets(): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || fields[3] !== '0A') continue;
      const port = parseInt(fields[1]!.split(':')[1]!, 16);
      counts.set(port, (counts.get(port) ?? 0) + 1);
    }
  }
  return counts;
}
