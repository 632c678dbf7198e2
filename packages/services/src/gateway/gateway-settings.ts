import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import type { Actor } from '../actor.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import {
  defaultSettings,
  SLEEP_MODES,
  type GatewayStore,
  type SleepMode,
  type WakeRow,
} from './gateway-store.js';
import type { SleepService } from './sleep-service.js';

export const MAX_HOSTNAMES = 10;
export const MAX_WAKERS = 100;

export interface GatewaySettingsPatch {
  sleep_enabled?: boolean | undefined;
  idle_after_seconds?: number | undefined;
  sleep_mode?: SleepMode | undefined;
  freeze_max_seconds?: number | undefined;
  proxy_protocol?: boolean | undefined;
  hostnames?: string[] | undefined;
  wakers?: string[] | undefined;
}

export interface GatewayView {
  sleep_enabled: boolean;
  idle_after_seconds: number;
  sleep_mode: SleepMode;
  freeze_max_seconds: number;
  proxy_protocol: boolean;
  /** `<server>.<tenant slug>.<game domain>`, when the platform has a game domain. */
  platform_hostname: string | null;
  hostnames: string[];
  wakers: string[];
  asleep_since: string | null;
  /** Median of the recent start times, in seconds (what a waking player waits). */
  expected_start_seconds: number | null;
  recent_start_seconds: number[];
  /** Running time saved by sleeping since the first of this month (UTC). */
  saved_seconds_this_month: number;
  last_status_at: string | null;
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const USERNAME = /^[A-Za-z0-9_]{1,16}$/;

/**
 * A custom hostname: a DNS name of at least two labels (lower-cased, trailing dot removed), optionally
 * `*.` + such a name for every name below a tenant's own domain. Names under the platform's game domain
 * are the platform's to hand out and are refused.
 */
export function normalizeCustomHostname(input: string, gameDomain: string): string {
  let name = input.trim().toLowerCase().replace(/\.+$/, '');
  const wildcard = name.startsWith('*.');
  if (wildcard) name = name.slice(2);
  const labels = name.split('.');
  if (
    name.length === 0 ||
    name.length > 253 ||
    labels.length < 2 ||
    !labels.every((l) => LABEL.test(l)) ||
    /^\d+$/.test(labels[labels.length - 1]!)
  ) {
    throw new DomainError('INVALID_HOSTNAME', `${input.slice(0, 100)} is not a valid hostname.`, {
      hostname: input.slice(0, 255),
    });
  }
  const domain = gameDomain.toLowerCase();
  if (domain && (name === domain || name.endsWith(`.${domain}`))) {
    throw new DomainError(
      'INVALID_HOSTNAME',
      `Names under ${domain} are given by the platform (<server>.<team>.${domain}).`,
      { hostname: input.slice(0, 255) },
    );
  }
  return wildcard ? `*.${name}` : name;
}

/** What users see and change of the gateway for their servers: sleep settings, hostnames, wakes. */
export class GatewaySettingsService {
  constructor(
    private readonly deps: {
      store: GatewayStore;
      lifecycle: LifecycleService;
      sleep: SleepService;
      clock: Clock;
      gameDomain: string;
    },
  ) {}

  async get(actor: Actor, serverId: string): Promise<GatewayView> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'server.read');
    return this.view(server.id, server.tenantId, server.name);
  }

  private async view(serverId: string, tenantId: string, name: string): Promise<GatewayView> {
    const settings = (await this.deps.store.settings(serverId)) ?? defaultSettings(serverId, tenantId);
    const hostnames = await this.deps.store.hostnames(serverId);
    const slug = this.deps.gameDomain ? await this.deps.store.slug(tenantId) : null;
    const now = this.deps.clock.now();
    const month = new Date(now);
    const monthStart = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth(), 1));
    const slept = await this.deps.store.asleepSince(serverId, monthStart);
    const current = settings.asleepSince
      ? now - Math.max(settings.asleepSince.getTime(), monthStart.getTime())
      : 0;
    const starts = settings.startDurationsMs;
    const sorted = [...starts].sort((a, b) => a - b);
    return {
      sleep_enabled: settings.sleepEnabled,
      idle_after_seconds: settings.idleAfterSeconds,
      sleep_mode: settings.sleepMode as SleepMode,
      freeze_max_seconds: settings.freezeMaxSeconds,
      proxy_protocol: settings.proxyProtocol,
      platform_hostname: slug ? `${name}.${slug}.${this.deps.gameDomain}` : null,
      hostnames,
      wakers: settings.wakers,
      asleep_since: settings.asleepSince?.toISOString() ?? null,
      expected_start_seconds:
        sorted.length > 0 ? Math.round(sorted[Math.floor(sorted.length / 2)]! / 100) / 10 : null,
      recent_start_seconds: starts.map((ms) => Math.round(ms / 100) / 10),
      saved_seconds_this_month: Math.round((slept + current) / 1000),
      last_status_at: settings.lastStatusAt?.toISOString() ?? null,
    };
  }

  async update(actor: Actor, serverId: string, patch: GatewaySettingsPatch): Promise<GatewayView> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'gateway.update');
    if (patch.sleep_mode !== undefined && !SLEEP_MODES.includes(patch.sleep_mode))
      throw new DomainError('VALIDATION_FAILED', 'sleep_mode is stop or freeze.', { field: 'sleep_mode' });
    const hostnames = patch.hostnames?.map((h) => normalizeCustomHostname(h, this.deps.gameDomain));
    if (hostnames && new Set(hostnames).size > MAX_HOSTNAMES)
      throw new DomainError('VALIDATION_FAILED', `At most ${MAX_HOSTNAMES} hostnames per server.`, {
        field: 'hostnames',
      });
    const wakers = patch.wakers?.map((w) => w.trim());
    if (wakers && (wakers.length > MAX_WAKERS || !wakers.every((w) => USERNAME.test(w))))
      throw new DomainError(
        'VALIDATION_FAILED',
        `wakers are up to ${MAX_WAKERS} Minecraft usernames (1–16 of A-Z, a-z, 0-9, _).`,
        { field: 'wakers' },
      );
    if (hostnames) await this.deps.store.setHostnames(serverId, server.tenantId, [...new Set(hostnames)]);
    await this.deps.store.saveSettings(serverId, server.tenantId, {
      ...(patch.sleep_enabled !== undefined ? { sleepEnabled: patch.sleep_enabled } : {}),
      ...(patch.idle_after_seconds !== undefined ? { idleAfterSeconds: patch.idle_after_seconds } : {}),
      ...(patch.sleep_mode !== undefined ? { sleepMode: patch.sleep_mode } : {}),
      ...(patch.freeze_max_seconds !== undefined ? { freezeMaxSeconds: patch.freeze_max_seconds } : {}),
      ...(patch.proxy_protocol !== undefined ? { proxyProtocol: patch.proxy_protocol } : {}),
      ...(wakers ? { wakers: [...new Set(wakers)] } : {}),
    });
    await this.deps.sleep.reload([serverId]);
    return this.view(server.id, server.tenantId, server.name);
  }

  async wakes(actor: Actor, serverId: string, limit: number): Promise<WakeRow[]> {
    await this.deps.lifecycle.authorize(actor, serverId, 'server.read');
    return this.deps.store.wakes(serverId, Math.min(Math.max(limit, 1), 100));
  }

  /** Wakes a sleeping or frozen server now (as a login would); answers without waiting for it. */
  async wake(actor: Actor, serverId: string): Promise<void> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'control.start');
    if (server.status !== 'sleeping' && server.status !== 'frozen')
      throw new DomainError('INVALID_TRANSITION', `Cannot wake a server that is ${server.status}.`, {
        status: server.status,
      });
    void this.deps.sleep
      .wake({ serverId }, { username: '', address: '' }, undefined, { bypassWakers: true })
      .catch(() => {});
  }
}
