import { DomainError } from '@minefleet/domain/errors';
import type { Clock } from '@minefleet/domain/clock';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import {
  assertIp,
  assertOpLevel,
  assertPlayerName,
  banActive,
  banReason,
  findPlayer,
  formatListDate,
  removePlayer,
  upsertPlayer,
  type BanEntry,
  type IpBanEntry,
  type OpEntry,
  type WhitelistEntry,
} from '@minefleet/domain/player-lists';
import type { Actor } from '../actor.js';
import type { ConfigManager } from '../config-manager.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { PlayerSessions } from '../metrics/player-sessions.js';
import type { ServerRecord } from '../server-record.js';
import { OnlinePlayers, type OnlinePlayer } from './online-players.js';
import { offlineUuid, type MojangProfiles, type PlayerIdentity } from './player-identity.js';
import { onlineMode, PlayerListChanges, type PlayerChange } from './player-list-changes.js';

export type { OnlinePlayer } from './online-players.js';
export type { Applied, PlayerChange } from './player-list-changes.js';

export interface PlayerLists {
  whitelistEnabled: boolean;
  whitelist: WhitelistEntry[];
  ops: OpEntry[];
  bans: (BanEntry & { active: boolean })[];
  ipBans: (IpBanEntry & { active: boolean })[];
}

export interface BanRequest {
  reason?: string | undefined;
  /** End of the ban; absent for a permanent one. Must be in the future. */
  expiresAt?: Date | undefined;
}

/** Who bans appear to come from in the files, as vanilla writes `Server` for the console. */
const BAN_SOURCE = 'Minefleet';
const DEFAULT_OP_LEVEL = 4;

/**
 * Players of one server: who is online, and the whitelist, operators and bans, managed the same way
 * whatever the server's state. A running server gets console commands (it applies them and rewrites its
 * own list files, so the answer is confirmed by reading the file back); a stopped one has its list files
 * edited atomically under the server's lock, so no start reads a half-written list. Names resolve to the
 * UUID the server itself will use: offline-mode UUIDs for offline servers (flying-squid always), Mojang's
 * profile API for online-mode ones.
 *
 * The console-or-files mechanics are `player-list-changes.ts`; who is online and kicking,
 * `online-players.ts`.
 *
 * Permissions: player.list reads; player.kick, player.ban, player.whitelist and player.op each allow
 * their change; switching the whitelist on or off is a server setting (a configuration revision), so it
 * needs settings.update like every other setting.
 */
export class PlayersService {
  private readonly changes: PlayerListChanges;
  private readonly players: OnlinePlayers;

  constructor(
    private readonly deps: {
      lifecycle: LifecycleService;
      runtime: RuntimeDriver;
      config: ConfigManager;
      sessions: PlayerSessions;
      profiles: MojangProfiles;
      clock: Clock;
      /** How long to wait for a running server to confirm a change in its files. */
      confirmMs?: number;
    },
  ) {
    this.changes = new PlayerListChanges(deps);
    this.players = new OnlinePlayers(deps);
  }

  /** The name and UUID the server will see for `name`. */
  async identify(server: ServerRecord, name: string): Promise<PlayerIdentity> {
    assertPlayerName(name);
    if (!onlineMode(server)) return { name, uuid: offlineUuid(name) };
    return this.deps.profiles.lookup(name);
  }

  // ─── Reading ─────────────────────────────────────────────────────────────────────────────────

  /** Players online now: open sessions (join time), with the UUID the server gives them. */
  online(actor: Actor, serverId: string): Promise<OnlinePlayer[]> {
    return this.players.online(actor, serverId);
  }

  async lists(actor: Actor, serverId: string): Promise<PlayerLists> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'player.list');
    const files = this.changes.files(serverId);
    const now = this.deps.clock.now();
    const [whitelist, ops, bans, ipBans] = await Promise.all([
      files.read('whitelist'),
      files.read('ops'),
      files.read('bans'),
      files.read('ipBans'),
    ]);
    return {
      whitelistEnabled: server.serverProperties['white-list'] === true,
      whitelist,
      ops,
      bans: bans.map((b) => ({ ...b, active: banActive(b, now) })),
      ipBans: ipBans.map((b) => ({ ...b, active: banActive(b, now) })),
    };
  }

  // ─── Whitelist ───────────────────────────────────────────────────────────────────────────────

  /** On or off: the `white-list` setting, applied live where the server runs (admin, like any setting). */
  async setWhitelistEnabled(actor: Actor, serverId: string, enabled: boolean) {
    const result = await this.deps.config.update(actor, serverId, {
      serverProperties: { 'white-list': enabled },
    });
    return { enabled, applied: result.applied, revision: result.revision };
  }

  async whitelistAdd(actor: Actor, serverId: string, name: string): Promise<PlayerChange> {
    return this.changes.change(actor, serverId, {
      needs: 'player.whitelist',
      identify: (server) => this.identify(server, name),
      command: (p) => `whitelist add ${p.name}`,
      confirm: async (files, p) => !!findPlayer(await files.read('whitelist'), p),
      edit: async (files, p) => {
        await files.write(
          'whitelist',
          upsertPlayer(await files.read('whitelist'), { uuid: p.uuid, name: p.name }),
        );
      },
    });
  }

  async whitelistRemove(actor: Actor, serverId: string, name: string): Promise<PlayerChange> {
    return this.changes.change(actor, serverId, {
      needs: 'player.whitelist',
      identify: (_server, files) => this.changes.listed(files, 'whitelist', name),
      command: (p) => `whitelist remove ${p.name}`,
      confirm: async (files, p) => !findPlayer(await files.read('whitelist'), p),
      edit: async (files, p) => {
        await files.write('whitelist', removePlayer(await files.read('whitelist'), p));
      },
    });
  }

  // ─── Operators ───────────────────────────────────────────────────────────────────────────────

  async op(actor: Actor, serverId: string, name: string, level?: number): Promise<PlayerChange> {
    if (level !== undefined) assertOpLevel(level);
    const wanted = level ?? DEFAULT_OP_LEVEL;
    return this.changes.change(actor, serverId, {
      needs: 'player.op',
      identify: (server) => this.identify(server, name),
      command: (p, server) => {
        if (server.distribution === 'flying-squid') return `op ${p.name} ${wanted}`;
        // Vanilla's `op` takes no level: it gives op-permission-level (4 unless changed).
        if (level !== undefined && level !== DEFAULT_OP_LEVEL) {
          throw new DomainError(
            'PLAYER_CHANGE_NOT_LIVE',
            'A running Java server gives every operator the same level (op-permission-level); stop the server to set another level.',
            { level },
          );
        }
        return `op ${p.name}`;
      },
      confirm: async (files, p) => findPlayer(await files.read('ops'), p)?.level === wanted,
      edit: async (files, p) => {
        const ops = await files.read('ops');
        const entry: OpEntry = {
          uuid: p.uuid,
          name: p.name,
          level: wanted,
          bypassesPlayerLimit: findPlayer(ops, p)?.bypassesPlayerLimit ?? false,
        };
        await files.write('ops', upsertPlayer(ops, entry));
      },
    });
  }

  async deop(actor: Actor, serverId: string, name: string): Promise<PlayerChange> {
    return this.changes.change(actor, serverId, {
      needs: 'player.op',
      identify: (_server, files) => this.changes.listed(files, 'ops', name),
      command: (p) => `deop ${p.name}`,
      confirm: async (files, p) => !findPlayer(await files.read('ops'), p),
      edit: async (files, p) => {
        await files.write('ops', removePlayer(await files.read('ops'), p));
      },
    });
  }

  // ─── Kick ────────────────────────────────────────────────────────────────────────────────────

  kick(actor: Actor, serverId: string, name: string, reason?: string): Promise<PlayerChange> {
    return this.players.kick(actor, serverId, name, reason);
  }

  // ─── Bans ────────────────────────────────────────────────────────────────────────────────────

  async ban(actor: Actor, serverId: string, name: string, request: BanRequest = {}): Promise<PlayerChange> {
    const reason = banReason(request.reason);
    const expires = this.expiry(request.expiresAt);
    return this.changes.change(actor, serverId, {
      needs: 'player.ban',
      identify: (server) => this.identify(server, name),
      command: (p, server) => {
        if (server.distribution === 'flying-squid') {
          return expires ? `tempban ${p.name} ${expires.toISOString()} ${reason}` : `ban ${p.name} ${reason}`;
        }
        if (expires) throw this.notLive('A running Java server only bans until pardoned');
        return `ban ${p.name} ${reason}`;
      },
      confirm: async (files, p) => !!findPlayer(await files.read('bans'), p),
      edit: async (files, p) => {
        const entry: BanEntry = {
          uuid: p.uuid,
          name: p.name,
          created: formatListDate(new Date(this.deps.clock.now())),
          source: BAN_SOURCE,
          expires: expires ? formatListDate(expires) : 'forever',
          reason,
        };
        await files.write('bans', upsertPlayer(await files.read('bans'), entry));
      },
    });
  }

  async pardon(actor: Actor, serverId: string, name: string): Promise<PlayerChange> {
    return this.changes.change(actor, serverId, {
      needs: 'player.ban',
      identify: (_server, files) => this.changes.listed(files, 'bans', name),
      command: (p) => `pardon ${p.name}`,
      confirm: async (files, p) => !findPlayer(await files.read('bans'), p),
      edit: async (files, p) => {
        await files.write('bans', removePlayer(await files.read('bans'), p));
      },
    });
  }

  async banIp(
    actor: Actor,
    serverId: string,
    ipText: string,
    request: BanRequest = {},
  ): Promise<PlayerChange> {
    const ip = assertIp(ipText);
    const reason = banReason(request.reason);
    const expires = this.expiry(request.expiresAt);
    const change = await this.changes.changeIp(actor, serverId, ip, {
      needs: 'player.ban',
      command: (server) => {
        if (server.distribution === 'flying-squid') {
          return expires ? `tempban-ip ${ip} ${expires.toISOString()} ${reason}` : `ban-ip ${ip} ${reason}`;
        }
        if (expires) throw this.notLive('A running Java server only bans addresses until pardoned');
        return `ban-ip ${ip} ${reason}`;
      },
      confirm: (list) => list.some((e) => e.ip === ip),
      edit: (list) => [
        ...list.filter((e) => e.ip !== ip),
        {
          ip,
          created: formatListDate(new Date(this.deps.clock.now())),
          source: BAN_SOURCE,
          expires: expires ? formatListDate(expires) : 'forever',
          reason,
        },
      ],
    });
    return change;
  }

  async pardonIp(actor: Actor, serverId: string, ipText: string): Promise<PlayerChange> {
    const ip = assertIp(ipText);
    return this.changes.changeIp(actor, serverId, ip, {
      needs: 'player.ban',
      mustExist: true,
      command: () => `pardon-ip ${ip}`,
      confirm: (list) => !list.some((e) => e.ip === ip),
      edit: (list) => list.filter((e) => e.ip !== ip),
    });
  }

  // ─── Mechanics ───────────────────────────────────────────────────────────────────────────────

  private expiry(expiresAt: Date | undefined): Date | undefined {
    if (expiresAt === undefined) return undefined;
    if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= this.deps.clock.now()) {
      throw new DomainError('VALIDATION_FAILED', 'A ban ends in the future.', { field: 'expires_at' });
    }
    return expiresAt;
  }

  private notLive(what: string): DomainError {
    return new DomainError(
      'PLAYER_CHANGE_NOT_LIVE',
      `${what}: stop the server to ban until a date, or ban without an end.`,
      { field: 'expires_at' },
    );
  }
}
