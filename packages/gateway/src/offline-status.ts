import { plainText, type StatusJson } from './answers.js';
import type { Route } from './route-table.js';

const BUILT_IN_STATE_LINES: Record<string, string> = {
  sleeping: 'sleeping — join to start',
  frozen: 'paused — join to resume',
  starting: 'starting…',
  stopping: 'stopping…',
  stopped: 'offline',
  crashed: 'restarting after a crash…',
  failed: 'offline',
  deploying: 'being set up…',
  restoring: 'restoring a backup…',
};

function firstLine(description: unknown): string {
  return plainText(description).split('\n')[0]!.slice(0, 200);
}

/**
 * The status answered for a server that does not run: its last real status (`cached`), no players, and
 * a line under the MOTD saying its state (`hookLine` when the control plane gives one).
 */
export function stateStatus(
  route: Route,
  cached: StatusJson | undefined,
  hookLine: string | undefined,
  protocolVersion: number,
): StatusJson {
  const line = hookLine ?? BUILT_IN_STATE_LINES[route.status] ?? route.status;
  const motd = cached ? firstLine(cached.description) : 'A Minecraft server';
  return {
    ...(cached ?? {}),
    version: cached?.version ?? { name: 'Minefleet', protocol: protocolVersion },
    players: { max: cached?.players.max ?? 0, online: 0 },
    description: { text: '', extra: [motd, '\n', { text: line, color: 'gray' }] },
  };
}

export interface LegacyStatus {
  motd: string;
  online: number;
  max: number;
  version: string;
}

/**
 * The legacy (pre-1.7) ping's answer: for a known server its cached status (`online` counts only while
 * it runs), for an unknown host a line saying so, and without a host a hint to use a newer client.
 */
export function legacyStatus(
  host: string | null,
  route: Route | undefined,
  cached: StatusJson | undefined,
  online: number,
): LegacyStatus {
  const status: LegacyStatus = {
    motd: 'Minefleet — use a Minecraft 1.7 or newer client',
    online: 0,
    max: 0,
    version: 'Minefleet',
  };
  if (host && !route) return { ...status, motd: `Unknown server: ${host.slice(0, 60)}` };
  if (!route) return status;
  return {
    motd: cached ? firstLine(cached.description) : status.motd,
    online: route.status === 'running' ? online : 0,
    max: cached?.players.max ?? 0,
    version: cached?.version.name ?? 'Minefleet',
  };
}
