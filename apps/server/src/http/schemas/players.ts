import { Type } from '@sinclair/typebox';
import { PLAYER_NAME_PATTERN } from '@minefleet/domain/player-lists';
import { IdParams, Nullable, Timestamp, Uuid } from './common.js';

export const PlayerName = Type.String({
  minLength: 1,
  maxLength: 16,
  pattern: PLAYER_NAME_PATTERN,
  description: 'A Minecraft name: 1–16 characters of A-Z, a-z, 0-9 and _.',
});
const PlayerUuid = Type.String({ maxLength: 36, description: 'The UUID the server knows the player by.' });
const Ip = Type.String({ minLength: 2, maxLength: 39, description: 'An IPv4 or IPv6 address.' });
const Reason = Type.String({ maxLength: 200, description: 'One line, shown to the player.' });

export const PlayerParams = Type.Object({ id: Uuid, name: PlayerName });
export const IpParams = Type.Object({ id: Uuid, ip: Ip });
export { IdParams };

export const OnlinePlayers = Type.Object({
  players: Type.Array(
    Type.Object({
      name: Type.String(),
      uuid: Nullable(PlayerUuid),
      since: Nullable(Timestamp),
      ping_ms: Nullable(
        Type.Number({ description: 'Round trip of the player’s connection, where the server reports it.' }),
      ),
    }),
  ),
});

const Expiry = Type.String({ description: 'End of a ban (vanilla text, `forever` for none).' });

export const PlayerLists = Type.Object({
  whitelist: Type.Object({
    enabled: Type.Boolean({ description: 'The `white-list` setting.' }),
    players: Type.Array(Type.Object({ name: Type.String(), uuid: PlayerUuid })),
  }),
  ops: Type.Array(
    Type.Object({
      name: Type.String(),
      uuid: PlayerUuid,
      level: Type.Integer({ minimum: 0, maximum: 4 }),
      bypasses_player_limit: Type.Boolean(),
    }),
  ),
  bans: Type.Array(
    Type.Object({
      name: Type.String(),
      uuid: PlayerUuid,
      reason: Type.String(),
      source: Type.String(),
      created: Type.String(),
      expires: Expiry,
      expires_at: Nullable(Timestamp),
      active: Type.Boolean({ description: 'False once the end has passed (the server ignores it then).' }),
    }),
  ),
  ip_bans: Type.Array(
    Type.Object({
      ip: Type.String(),
      reason: Type.String(),
      source: Type.String(),
      created: Type.String(),
      expires: Expiry,
      expires_at: Nullable(Timestamp),
      active: Type.Boolean(),
    }),
  ),
});

export const PlayerChange = Type.Object({
  applied: Type.Union([Type.Literal('live'), Type.Literal('sent'), Type.Literal('file')], {
    description:
      '`live`: the running server applied it (read back from its list file); `sent`: sent to its console, not confirmed yet; `file`: written to the stopped server’s files, in force at the next start.',
  }),
  player: Type.Optional(Type.Object({ name: Type.String(), uuid: Nullable(Type.String()) })),
  ip: Type.Optional(Type.String()),
});

export const WhitelistSwitch = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });
export const WhitelistSwitchResult = Type.Object({
  enabled: Type.Boolean(),
  applied: Type.Union([Type.Literal('live'), Type.Literal('on_restart')]),
  revision: Type.Integer({ description: 'The configuration revision that recorded the switch.' }),
});

export const NameBody = Type.Object({ name: PlayerName }, { additionalProperties: false });
export const OpBody = Type.Object(
  {
    name: PlayerName,
    level: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 4,
        description: '1 spawn protection bypass, 2 cheat commands, 3 moderation, 4 everything (default).',
      }),
    ),
  },
  { additionalProperties: false },
);
export const KickBody = Type.Object(
  { name: PlayerName, reason: Type.Optional(Reason) },
  { additionalProperties: false },
);

const BanEnd = {
  expires_at: Type.Optional(
    Type.String({ maxLength: 40, description: 'End of the ban, ISO-8601. Absent: permanent.' }),
  ),
  expires_in: Type.Optional(
    Type.String({
      maxLength: 12,
      pattern: '^[0-9]{1,9}(s|m|h|d)$',
      description: 'Or a duration from now: 30m, 12h, 7d.',
    }),
  ),
};
export const BanBody = Type.Object(
  { name: PlayerName, reason: Type.Optional(Reason), ...BanEnd },
  { additionalProperties: false },
);
export const IpBanBody = Type.Object(
  { ip: Ip, reason: Type.Optional(Reason), ...BanEnd },
  { additionalProperties: false },
);
