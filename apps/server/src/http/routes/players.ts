import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Clock } from '@minefleet/domain/clock';
import { DomainError } from '@minefleet/domain/errors';
import { parseListDate } from '@minefleet/domain/player-lists';
import type { PlayerChange as Change, PlayersService } from '@minefleet/services/players/players-service';
import { errors } from '../schemas/common.js';
import {
  BanBody,
  IdParams,
  IpBanBody,
  IpParams,
  KickBody,
  NameBody,
  OnlinePlayers,
  OpBody,
  PlayerChange,
  PlayerLists,
  PlayerParams,
  WhitelistSwitch,
  WhitelistSwitchResult,
} from '../schemas/players.js';
import { actorOf } from '../auth.js';
import { parseTimestamp } from '../time.js';

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A ban's end from `expires_at` (a time) or `expires_in` (a duration from now); undefined: permanent. */
type BanTermsBody = {
  reason?: string | undefined;
  expires_at?: string | undefined;
  expires_in?: string | undefined;
};

/** A ban's reason and end as the service takes them, and as the audit record shows them. */
function banTerms(body: BanTermsBody, now: number) {
  const expiresAt = banEnd(body, now);
  return {
    terms: { reason: body.reason, expiresAt },
    details: { reason: body.reason ?? null, expires_at: expiresAt?.toISOString() ?? null },
  };
}

function banEnd(body: BanTermsBody, now: number) {
  if (body.expires_at !== undefined && body.expires_in !== undefined) {
    throw new DomainError('VALIDATION_FAILED', 'Give expires_at or expires_in, not both.', {
      field: 'expires_in',
    });
  }
  if (body.expires_at !== undefined) return parseTimestamp(body.expires_at, 'expires_at');
  if (body.expires_in !== undefined) {
    const m = /^(\d+)(s|m|h|d)$/.exec(body.expires_in)!;
    return new Date(now + Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
  }
  return undefined;
}

/** Who was acted on goes into the audit record with the action. */
function audited(request: FastifyRequest, change: Change, extra: Record<string, unknown> = {}) {
  request.auditDetails = {
    ...(change.player ? { player: change.player.name, player_uuid: change.player.uuid } : {}),
    ...(change.ip ? { ip: change.ip } : {}),
    applied: change.applied,
    ...extra,
  };
  return change;
}

const expiresAt = (text: string) => parseListDate(text)?.toISOString() ?? null;

/**
 * Players of a server: online now, whitelist, operators, kicks and bans. Viewers read; operators manage
 * players; the whitelist switch is a server setting (admin). See docs/players.md.
 */
export function playerRoutes(options: { players: PlayersService; clock: Clock }): FastifyPluginAsyncTypebox {
  const { players } = options;
  const changeErrors = errors(400, 401, 403, 404, 409, 502);
  return async (app) => {
    app.get(
      '/servers/:id/players',
      {
        config: { permission: 'player.list' },
        schema: {
          tags: ['players'],
          summary: 'Players online now (name, UUID, since when)',
          description: 'Past sessions: `GET /servers/{id}/players/sessions`.',
          params: IdParams,
          response: { 200: OnlinePlayers, ...errors(400, 401, 404) },
        },
      },
      async (request) => ({
        players: (await players.online(actorOf(request), request.params.id)).map((p) => ({
          name: p.name,
          uuid: p.uuid,
          since: p.since ? p.since.toISOString() : null,
          ping_ms: p.pingMs,
        })),
      }),
    );

    app.get(
      '/servers/:id/players/lists',
      {
        config: { permission: 'player.list' },
        schema: {
          tags: ['players'],
          summary: 'Whitelist (and whether it is on), operators, player bans and IP bans',
          description:
            'Read from the server’s whitelist.json, ops.json, banned-players.json and banned-ips.json (vanilla formats), running or not.',
          params: IdParams,
          response: { 200: PlayerLists, ...errors(400, 401, 404) },
        },
      },
      async (request) => {
        const l = await players.lists(actorOf(request), request.params.id);
        return {
          whitelist: {
            enabled: l.whitelistEnabled,
            players: l.whitelist.map((e) => ({ name: e.name, uuid: e.uuid })),
          },
          ops: l.ops.map((e) => ({
            name: e.name,
            uuid: e.uuid,
            level: e.level,
            bypasses_player_limit: e.bypassesPlayerLimit === true,
          })),
          bans: l.bans.map((e) => ({
            name: e.name,
            uuid: e.uuid,
            reason: String(e.reason ?? ''),
            source: String(e.source ?? ''),
            created: String(e.created ?? ''),
            expires: String(e.expires ?? 'forever'),
            expires_at: expiresAt(String(e.expires ?? 'forever')),
            active: e.active,
          })),
          ip_bans: l.ipBans.map((e) => ({
            ip: e.ip,
            reason: String(e.reason ?? ''),
            source: String(e.source ?? ''),
            created: String(e.created ?? ''),
            expires: String(e.expires ?? 'forever'),
            expires_at: expiresAt(String(e.expires ?? 'forever')),
            active: e.active,
          })),
        };
      },
    );

    app.put(
      '/servers/:id/players/whitelist',
      {
        config: { permission: 'settings.update', audit: 'players.whitelist.switch' },
        schema: {
          tags: ['players'],
          summary: 'Switch the whitelist on or off (the `white-list` setting; live on a running server)',
          params: IdParams,
          body: WhitelistSwitch,
          response: { 200: WhitelistSwitchResult, ...errors(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const result = await players.setWhitelistEnabled(
          actorOf(request),
          request.params.id,
          request.body.enabled,
        );
        request.auditDetails = {
          enabled: result.enabled,
          applied: result.applied,
          revision: result.revision,
        };
        return result;
      },
    );

    app.post(
      '/servers/:id/players/whitelist',
      {
        config: { permission: 'player.whitelist', audit: 'players.whitelist.add' },
        schema: {
          tags: ['players'],
          summary: 'Add a player to the whitelist',
          params: IdParams,
          body: NameBody,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) =>
        audited(request, await players.whitelistAdd(actorOf(request), request.params.id, request.body.name)),
    );

    app.delete(
      '/servers/:id/players/whitelist/:name',
      {
        config: { permission: 'player.whitelist', audit: 'players.whitelist.remove' },
        schema: {
          tags: ['players'],
          summary: 'Remove a player from the whitelist',
          params: PlayerParams,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) =>
        audited(
          request,
          await players.whitelistRemove(actorOf(request), request.params.id, request.params.name),
        ),
    );

    app.post(
      '/servers/:id/players/ops',
      {
        config: { permission: 'player.op', audit: 'players.op' },
        schema: {
          tags: ['players'],
          summary: 'Make a player an operator (level 1–4, default 4)',
          params: IdParams,
          body: OpBody,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) =>
        audited(
          request,
          await players.op(actorOf(request), request.params.id, request.body.name, request.body.level),
          { level: request.body.level ?? 4 },
        ),
    );

    app.delete(
      '/servers/:id/players/ops/:name',
      {
        config: { permission: 'player.op', audit: 'players.deop' },
        schema: {
          tags: ['players'],
          summary: 'Take operator rights from a player',
          params: PlayerParams,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) =>
        audited(request, await players.deop(actorOf(request), request.params.id, request.params.name)),
    );

    app.post(
      '/servers/:id/players/kick',
      {
        config: { permission: 'player.kick', audit: 'players.kick' },
        schema: {
          tags: ['players'],
          summary: 'Disconnect a player, with a reason they see',
          params: IdParams,
          body: KickBody,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) =>
        audited(
          request,
          await players.kick(actorOf(request), request.params.id, request.body.name, request.body.reason),
          {
            reason: request.body.reason ?? null,
          },
        ),
    );

    app.post(
      '/servers/:id/players/bans',
      {
        config: { permission: 'player.ban', audit: 'players.ban' },
        schema: {
          tags: ['players'],
          summary: 'Ban a player, permanently or until a time (disconnects them if online)',
          params: IdParams,
          body: BanBody,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) => {
        const { terms, details } = banTerms(request.body, options.clock.now());
        const change = await players.ban(actorOf(request), request.params.id, request.body.name, terms);
        return audited(request, change, details);
      },
    );

    app.delete(
      '/servers/:id/players/bans/:name',
      {
        config: { permission: 'player.ban', audit: 'players.pardon' },
        schema: {
          tags: ['players'],
          summary: 'Lift a player’s ban',
          params: PlayerParams,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) =>
        audited(request, await players.pardon(actorOf(request), request.params.id, request.params.name)),
    );

    app.post(
      '/servers/:id/players/ip-bans',
      {
        config: { permission: 'player.ban', audit: 'players.ban_ip' },
        schema: {
          tags: ['players'],
          summary: 'Ban an IP address, permanently or until a time',
          params: IdParams,
          body: IpBanBody,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) => {
        const { terms, details } = banTerms(request.body, options.clock.now());
        const change = await players.banIp(actorOf(request), request.params.id, request.body.ip, terms);
        return audited(request, change, details);
      },
    );

    app.delete(
      '/servers/:id/players/ip-bans/:ip',
      {
        config: { permission: 'player.ban', audit: 'players.pardon_ip' },
        schema: {
          tags: ['players'],
          summary: 'Lift an IP ban',
          params: IpParams,
          response: { 200: PlayerChange, ...changeErrors },
        },
      },
      async (request) =>
        audited(request, await players.pardonIp(actorOf(request), request.params.id, request.params.ip)),
    );
  };
}
