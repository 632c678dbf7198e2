import type { ConsoleLine } from '@minefleet/domain/ports/runtime-driver';
import type { ApiKeyRecord } from '@minefleet/services/api-keys';
import type { StoredSample } from '@minefleet/services/metrics/metrics-store';
import type { TenantRecord, UserRecord } from '@minefleet/services/accounts';
import type { MemberRecord } from '@minefleet/services/members';
import type { ServerRecord } from '@minefleet/services/servers';
import type { SkuRecord } from '@minefleet/services/skus';
import type { RuntimeKind } from '../kubernetes-runtime.js';

/** Records (camelCase, Dates) to the API's JSON shapes (snake_case, ISO strings). */

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

export function toUser(u: UserRecord) {
  return {
    id: u.id,
    email: u.email,
    display_name: u.displayName,
    email_verified: u.emailVerifiedAt !== null,
    is_platform_admin: u.isPlatformAdmin,
    created_at: u.createdAt.toISOString(),
  };
}

export function toTenant(t: TenantRecord) {
  return { id: t.id, name: t.name, created_at: t.createdAt.toISOString() };
}

export function toApiKey(k: ApiKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    permissions: k.permissions ?? null,
    prefix: k.prefix,
    user_id: k.userId,
    created_at: k.createdAt.toISOString(),
    expires_at: iso(k.expiresAt),
    last_used_at: iso(k.lastUsedAt),
  };
}

export function toMember(m: MemberRecord) {
  return {
    user_id: m.userId,
    email: m.email,
    display_name: m.displayName,
    role: m.role,
    custom_role: m.customRole,
    created_at: m.createdAt.toISOString(),
  };
}

export function toSku(s: SkuRecord) {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    cpu_millicores: s.cpuMillicores,
    memory_mb: s.memoryMb,
    storage_mb: s.storageMb,
    max_players: s.maxPlayers,
    monthly_price_cents: s.monthlyPriceCents,
    currency: s.currency,
    default_properties: s.defaultProperties,
    backup_storage_bytes: s.backupStorageBytes,
    available: s.available,
  };
}

/** What a server's representation takes from the installation: its runtime, and where players connect. */
export interface ServerView {
  /** The runtime game servers run on (one per installation: `MINEFLEET_RUNTIME`). */
  runtime: RuntimeKind;
  address(s: ServerRecord): { host: string; port: number } | null;
}

/** The installation's view of servers, ready for these records (server-addressing.ts). */
export interface ServerAddressing {
  view(servers: readonly ServerRecord[]): Promise<ServerView>;
}

export function toServer(s: ServerRecord, view: ServerView) {
  return {
    id: s.id,
    name: s.name,
    sku_id: s.skuId,
    minecraft_version: s.minecraftVersion,
    distribution: s.distribution,
    region: s.region,
    status: s.status,
    desired_state: s.desiredState,
    status_reason: s.statusReason,
    runtime: view.runtime,
    address: view.address(s),
    max_players: s.maxPlayers,
    server_properties: s.serverProperties,
    players_online: s.status === 'running' ? s.playersOnline : null,
    resources: { cpu_millicores: s.cpuMillicores, memory_mb: s.memoryMb, storage_mb: s.storageMb },
    config_revision: s.configRevision,
    created_at: s.createdAt.toISOString(),
    updated_at: s.updatedAt.toISOString(),
    started_at: iso(s.startedAt),
  };
}

export function toLogLine(l: ConsoleLine) {
  return { ts: l.ts.toISOString(), level: l.level, source: l.source, message: l.message };
}

/** The newest metrics sample, as `include=performance` shows it. */
export function toPerformance(s: StoredSample) {
  return {
    ts: s.ts.toISOString(),
    players_online: s.playersOnline,
    max_players: s.maxPlayers,
    cpu_percent: s.cpuPercent,
    memory_bytes: s.memoryBytes,
    disk_bytes: s.diskBytes,
    tps: s.tps,
    mspt: s.mspt,
    ping_ms: s.pingMs,
    uptime_seconds: s.uptimeSeconds,
  };
}
