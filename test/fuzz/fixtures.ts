import { inArray } from 'drizzle-orm';
import type { Database } from '@minefleet/db/database';
import { apiKeys, backups, memberships, retentionPolicies, schedules, servers } from '@minefleet/db/schema';
import type { TestApi } from '@minefleet/testkit/api';
import { ROLES, type Role } from '@minefleet/domain/roles';

export interface Actor {
  tenant: 'A' | 'B';
  role: Role;
  email: string;
  password: string;
  tenantId: string;
  userId: string;
  token: string;
}

/** One tenant's world: a member of every role, two servers, a backup, a schedule, an API key. */
export interface TenantFixture {
  label: 'A' | 'B';
  tenantId: string;
  actors: Actor[];
  serverIds: string[];
  serverNames: string[];
  backupIds: string[];
  scheduleIds: string[];
  apiKeyIds: string[];
  /** Everything that names this tenant's data: none of it may show up in the other tenant's answers. */
  secrets: string[];
}

const VERSION = '1.20.2';

async function ok(res: Promise<{ status: number; body: any }>, what: string): Promise<any> {
  const r = await res;
  if (r.status >= 300) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

export async function login(
  api: TestApi,
  actor: Pick<Actor, 'email' | 'password' | 'tenantId'>,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const res = await api.post('/auth/login', {
      email: actor.email,
      password: actor.password,
      tenant_id: actor.tenantId,
    });
    // Sign-ins per account are limited (docs/security.md): wait as told, like a client would.
    if (res.status === 429 && attempt < 30) {
      const seconds = Number(res.body?.error?.details?.retry_after_seconds ?? 1);
      await new Promise((r) => setTimeout(r, Math.max(1, seconds) * 1000));
      continue;
    }
    return (await ok(Promise.resolve(res), `login ${actor.email}`)).token as string;
  }
}

export async function tenantFixture(api: TestApi, label: 'A' | 'B', marker: string): Promise<TenantFixture> {
  const owner = await api.signup(`fuzz-${label.toLowerCase()}-owner`);
  const actors: Actor[] = [{ tenant: label, role: 'owner', ...owner }];
  for (const role of ROLES.filter((r) => r !== 'owner')) {
    const user = await api.signup(`fuzz-${label.toLowerCase()}-${role}`);
    await ok(api.post('/members', { email: user.email, role }, owner.token), `add ${role}`);
    const member = { ...user, tenantId: owner.tenantId };
    actors.push({ tenant: label, role, ...member, token: await login(api, member) });
  }
  const serverIds: string[] = [];
  const serverNames: string[] = [];
  for (const n of [1, 2]) {
    const name = `${marker}-${n}`;
    const created = await ok(
      api.post('/servers', { name, sku_id: 'starter', minecraft_version: VERSION }, owner.token),
      'create server',
    );
    serverIds.push(created.id);
    serverNames.push(name);
  }
  for (const id of serverIds) await api.waitForStatus(id, owner.token, 'stopped', 60_000);
  // Retention keeps everything, so no backup disappears in the background while the fuzzer compares.
  await ok(
    api.request('PUT', `/api/v1/servers/${serverIds[0]}/backups/retention`, {
      token: owner.token,
      body: { keep_last: 1000, keep_daily: 0, keep_weekly: 0 },
    }),
    'retention',
  );
  const backup = await ok(
    api.post(`/servers/${serverIds[0]}/backups`, { name: `${marker}-backup` }, owner.token),
    'backup',
  );
  const schedule = await ok(
    api.post(
      `/servers/${serverIds[0]}/schedules`,
      { name: `${marker}-schedule`, cron: '0 4 1 1 *', action: 'backup', enabled: false },
      owner.token,
    ),
    'schedule',
  );
  const key = await ok(api.post('/api-keys', { name: `${marker}-key` }, owner.token), 'api key');
  const backupId = (backup.id ?? backup.backup?.id) as string;
  return {
    label,
    tenantId: owner.tenantId,
    actors,
    serverIds,
    serverNames,
    backupIds: [backupId],
    scheduleIds: [schedule.id],
    apiKeyIds: [key.id],
    secrets: [
      owner.tenantId,
      ...actors.flatMap((a) => [a.userId, a.email]),
      ...serverIds,
      ...serverNames,
      backupId,
      schedule.id,
      key.id,
      marker,
    ],
  };
}

/** Fields that background work changes on its own (status, timings, counters): left out of snapshots. */
const VOLATILE = new Set([
  'status',
  'statusReason',
  'updatedAt',
  'playersOnline',
  'generation',
  'port',
  'lastPort',
  'crashCount',
  'lastCrashAt',
  'startedAt',
  'sizeBytes',
  'sha256',
  'completedAt',
  'expiresAt',
  'error',
  'workerId',
  'nextRunAt',
  'lastRunAt',
  'lastStatus',
  'lastUsedAt',
  'storageKey',
  'minecraftVersion',
  'distribution',
]);

function stable(rows: Record<string, unknown>[]): string {
  return JSON.stringify(
    rows
      .map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => !VOLATILE.has(k))))
      .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
  );
}

/** The tenants' state a refused request must leave alone: servers, backups, schedules, members, keys. */
export async function snapshot(db: Database, tenantIds: string[]): Promise<string> {
  return db.system(async (tx) => {
    const serverRows = await tx.select().from(servers).where(inArray(servers.tenantId, tenantIds));
    const ids = serverRows.map((s) => s.id);
    const none = ['00000000-0000-0000-0000-000000000000'];
    return JSON.stringify({
      servers: stable(serverRows),
      backups: stable(await tx.select().from(backups).where(inArray(backups.tenantId, tenantIds))),
      schedules: stable(await tx.select().from(schedules).where(inArray(schedules.tenantId, tenantIds))),
      retention: stable(
        await tx
          .select()
          .from(retentionPolicies)
          .where(inArray(retentionPolicies.serverId, ids.length > 0 ? ids : none)),
      ),
      members: stable(await tx.select().from(memberships).where(inArray(memberships.tenantId, tenantIds))),
      keys: stable(await tx.select().from(apiKeys).where(inArray(apiKeys.tenantId, tenantIds))),
    });
  });
}

/** Waits (a while) until no backup of these tenants is pending or running. */
export async function backupsSettled(db: Database, tenantIds: string[], timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await db.system((tx) =>
      tx.select({ status: backups.status }).from(backups).where(inArray(backups.tenantId, tenantIds)),
    );
    if (!rows.some((r) => r.status === 'pending' || r.status === 'running')) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}
