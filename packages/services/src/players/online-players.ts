import { DomainError } from '@minefleet/domain/errors';
import { assertPlayerName, banReason } from '@minefleet/domain/player-lists';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import { scopeOf, type Actor } from '../actor.js';
import type { LifecycleService } from '../lifecycle/lifecycle-service.js';
import type { PlayerSessions } from '../metrics/player-sessions.js';
import { offlineUuid } from './player-identity.js';
import { LIVE, onlineMode, type PlayerChange } from './player-list-changes.js';

export interface OnlinePlayer {
  name: string;
  uuid: string | null;
  /** Join time from the recorded session; null when the join line was missed. */
  since: Date | null;
  pingMs: number | null;
}

/**
 * The players connected to a running server: who they are (the server's own list where it reports one,
 * the recorded sessions otherwise) and kicking one.
 */
export class OnlinePlayers {
  constructor(
    private readonly deps: {
      lifecycle: LifecycleService;
      runtime: RuntimeDriver;
      sessions: PlayerSessions;
    },
  ) {}

  /** Players online now: open sessions (join time), with the UUID the server gives them. */
  async online(actor: Actor, serverId: string): Promise<OnlinePlayer[]> {
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'player.list');
    if (!LIVE.includes(server.status)) return [];
    const { items } = await this.deps.sessions.list(scopeOf(actor), {
      serverId,
      online: true,
      page: 1,
      perPage: 500,
    });
    const offline = !onlineMode(server);
    const live = await this.connected(serverId);
    const sessions = new Map(items.map((s) => [s.playerName.toLowerCase(), s]));
    const uuidOf = (name: string, known: string | null | undefined) =>
      known ?? (offline ? offlineUuid(name) : null);
    // Where the server reports who is connected, that list is the truth (with each ping); the sessions
    // add since when. Otherwise the open sessions are the list.
    const players: OnlinePlayer[] = live
      ? live.map((p) => {
          const session = sessions.get(p.name.toLowerCase());
          return {
            name: p.name,
            uuid: uuidOf(p.name, p.uuid ?? session?.playerUuid),
            since: session?.joinedAt ?? null,
            pingMs: p.pingMs,
          };
        })
      : items.map((s) => ({
          name: s.playerName,
          uuid: uuidOf(s.playerName, s.playerUuid),
          since: s.joinedAt,
          pingMs: null,
        }));
    return players.sort((a, b) => a.name.localeCompare(b.name));
  }

  async kick(actor: Actor, serverId: string, name: string, reason?: string): Promise<PlayerChange> {
    assertPlayerName(name);
    const text = banReason(reason, 'Kicked by an operator.');
    const server = await this.deps.lifecycle.authorize(actor, serverId, 'player.kick');
    if (!LIVE.includes(server.status)) {
      throw new DomainError('SERVER_NOT_RUNNING', 'Only a running server has players to kick.', {
        status: server.status,
      });
    }
    // Where the server says who is connected, kicking someone who is not is a clear 404, not a no-op.
    const live = await this.connected(serverId);
    const connected = live?.find((p) => p.name.toLowerCase() === name.toLowerCase());
    if (live && !connected) {
      throw new DomainError('PLAYER_NOT_FOUND', `${name} is not online.`, { name });
    }
    await this.deps.runtime.sendCommand(serverId, `kick ${connected?.name ?? name} ${text}`);
    const offline = !onlineMode(server);
    return {
      applied: 'sent',
      player: {
        name: connected?.name ?? name,
        uuid: connected?.uuid ?? (offline ? offlineUuid(connected?.name ?? name) : null),
      },
    };
  }

  /** The server's own list of who is connected; null where the runtime cannot tell (or fails to). */
  private connected(serverId: string) {
    return (this.deps.runtime.players?.(serverId) ?? Promise.resolve(null)).catch(() => null);
  }
}
