import { DomainError } from '@minefleet/domain/errors';
import type { IpBanEntry } from '@minefleet/domain/player-lists';
import { assertPlayerName } from '@minefleet/domain/player-lists';
import type { Permission } from '@minefleet/domain/permissions';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { ServerStatus } from '@minefleet/domain/server-state';
import type { Actor } from '../actor.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { ServerRecord } from '../server-record.js';
import {
  FilesPlayerLists,
  PlayerListFiles,
  type PlayerListStore,
  type PlayerListTypes,
} from './player-files.js';
import type { PlayerIdentity } from './player-identity.js';

/** How a change took effect: confirmed by the running server, sent to it, or written to its files. */
export type Applied = 'live' | 'sent' | 'file';

export interface PlayerChange {
  applied: Applied;
  /** `uuid` is null for a kick on an online-mode server (no account lookup just to disconnect someone). */
  player?: { name: string; uuid: string | null };
  ip?: string;
}

/** The running server applies console commands; a stopped one gets its files edited. */
export const LIVE: readonly ServerStatus[] = ['running', 'starting'];
const FILES: readonly ServerStatus[] = ['stopped', 'crashed', 'failed', 'sleeping'];

/** Whether the server checks players' accounts (flying-squid never does). */
export function onlineMode(server: ServerRecord): boolean {
  if (server.distribution === 'flying-squid') return false;
  return server.serverProperties['online-mode'] !== false;
}

/** A change of one player on a list: how to find them, the console command, and the file edit. */
export interface PlayerListChange {
  needs: Permission;
  identify: (server: ServerRecord, files: PlayerListStore) => Promise<PlayerIdentity>;
  command: (player: PlayerIdentity, server: ServerRecord) => string;
  confirm: (files: PlayerListStore, player: PlayerIdentity) => Promise<boolean>;
  edit: (files: PlayerListStore, player: PlayerIdentity) => Promise<void>;
}

/** A change of the address ban list. */
export interface IpBanChange {
  needs: Permission;
  /** The address must be on the list already (a pardon). */
  mustExist?: boolean;
  command: (server: ServerRecord) => string;
  confirm: (list: IpBanEntry[]) => boolean;
  edit: (list: IpBanEntry[]) => IpBanEntry[];
}

/**
 * Applies a change of a server's player lists in whichever way the server's state allows: console while
 * it runs (then wait for the server's own file to show it), the files under the server's lock while it
 * is stopped, so no start reads a half-written list.
 */
export class PlayerListChanges {
  constructor(
    private readonly deps: {
      lifecycle: LifecycleService;
      runtime: RuntimeDriver;
      /** How long to wait for a running server to confirm a change in its files. */
      confirmMs?: number;
    },
  ) {}

  /** The server's list files: in its folder here, or through the runtime's files port (Kubernetes). */
  files(serverId: string): PlayerListStore {
    const remote = this.deps.runtime.files?.();
    return remote
      ? new FilesPlayerLists(remote, serverId)
      : new PlayerListFiles(this.deps.runtime.workspace(serverId).root);
  }

  /** A player already on a list, matched by name (no account lookup needed to remove one). */
  async listed(
    files: PlayerListStore,
    kind: 'whitelist' | 'ops' | 'bans',
    name: string,
  ): Promise<PlayerIdentity> {
    assertPlayerName(name);
    const list: PlayerListTypes[typeof kind][] = await files.read(kind);
    const entry = list.find((e) => e.name.toLowerCase() === name.toLowerCase());
    if (!entry) {
      throw new DomainError(
        'PLAYER_NOT_FOUND',
        `${name} is not on the ${kind === 'bans' ? 'ban list' : kind === 'ops' ? 'operator list' : 'whitelist'}.`,
        {
          name,
        },
      );
    }
    return { name: entry.name, uuid: entry.uuid };
  }

  /** One player's change, after the actor's permission is checked. */
  async change(actor: Actor, serverId: string, how: PlayerListChange): Promise<PlayerChange> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, how.needs);
    const files = this.files(serverId);
    const player = await how.identify(server, files);
    const applied = await this.apply(server, {
      command: (s) => how.command(player, s),
      confirm: () => how.confirm(files, player),
      edit: () => how.edit(files, player),
    });
    return { applied, player };
  }

  /** One address's change, after the actor's permission is checked. */
  async changeIp(actor: Actor, serverId: string, ip: string, how: IpBanChange): Promise<PlayerChange> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, how.needs);
    const files = this.files(serverId);
    if (how.mustExist && !(await files.read('ipBans')).some((e) => e.ip === ip)) {
      throw new DomainError('PLAYER_NOT_FOUND', `${ip} is not banned.`, { ip });
    }
    const applied = await this.apply(server, {
      command: how.command,
      confirm: async () => how.confirm(await files.read('ipBans')),
      edit: async () => files.write('ipBans', how.edit(await files.read('ipBans'))),
    });
    return { applied, ip };
  }

  private async apply(
    server: ServerRecord,
    how: {
      command: (server: ServerRecord) => string;
      confirm: () => Promise<boolean>;
      edit: () => Promise<void>;
    },
  ): Promise<Applied> {
    if (LIVE.includes(server.status)) return this.applyLive(server, how);
    if (!FILES.includes(server.status)) throw busy(server.status);
    // Under the server's lock: a start waits for the edit, so it reads the old list or the new one.
    const live = await this.deps.lifecycle.exclusive(server.id, 'players', async () => {
      const now = await this.deps.lifecycle.load(server.id);
      if (!now) throw new DomainError('SERVER_NOT_FOUND', 'No such server.', { id: server.id });
      if (LIVE.includes(now.status)) return now;
      if (!FILES.includes(now.status)) throw busy(now.status);
      await how.edit();
      return null;
    });
    return live ? this.applyLive(live, how) : 'file';
  }

  private async applyLive(
    server: ServerRecord,
    how: { command: (server: ServerRecord) => string; confirm: () => Promise<boolean> },
  ): Promise<Applied> {
    await this.deps.runtime.sendCommand(server.id, how.command(server));
    const deadline = Date.now() + (this.deps.confirmMs ?? 5_000);
    while (Date.now() < deadline) {
      if (await how.confirm()) return 'live';
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return 'sent';
  }
}

function busy(status: ServerStatus): DomainError {
  return new DomainError('SERVER_BUSY', `The server is ${status}; try again when it is running or stopped.`, {
    status,
  });
}
