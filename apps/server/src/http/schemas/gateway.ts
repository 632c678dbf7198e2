import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from './common.js';

const SleepMode = Type.Union([Type.Literal('stop'), Type.Literal('freeze')], {
  description: 'stop: the world is saved and the process ends; freeze: the process is paused in memory.',
});

export const GatewaySettings = Type.Object(
  {
    sleep_enabled: Type.Boolean(),
    idle_after_seconds: Type.Integer({ description: 'Seconds with no player before the server sleeps.' }),
    sleep_mode: SleepMode,
    freeze_max_seconds: Type.Integer({ description: 'A frozen server is stopped for real after this long.' }),
    proxy_protocol: Type.Boolean({ description: 'The gateway sends a PROXY v2 header to the game.' }),
    platform_hostname: Nullable(Type.String({ description: '<server>.<team>.<game domain>' })),
    hostnames: Type.Array(Type.String(), {
      description: 'Custom hostnames (unique platform-wide; *.domain allowed).',
    }),
    wakers: Type.Array(Type.String(), { description: 'Players who may wake the server; empty: anyone.' }),
    asleep_since: Nullable(Timestamp),
    expected_start_seconds: Nullable(Type.Number()),
    recent_start_seconds: Type.Array(Type.Number()),
    saved_seconds_this_month: Type.Integer({
      description: 'Running time saved by sleeping this month (UTC).',
    }),
    last_status_at: Nullable(Timestamp),
  },
  { $id: 'GatewaySettings' },
);

export const GatewaySettingsPatch = Type.Object(
  {
    sleep_enabled: Type.Optional(Type.Boolean()),
    idle_after_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 7 * 86_400 })),
    sleep_mode: Type.Optional(SleepMode),
    freeze_max_seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 30 * 86_400 })),
    proxy_protocol: Type.Optional(Type.Boolean()),
    hostnames: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 10 })),
    wakers: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 16 }), { maxItems: 100 })),
  },
  { additionalProperties: false },
);

export const Wake = Type.Object(
  {
    id: Uuid,
    at: Timestamp,
    player: Nullable(Type.String()),
    from_status: Type.String(),
    outcome: Type.String({ description: 'ready, too_slow (told to join again), failed or refused.' }),
    duration_ms: Nullable(Type.Integer()),
    asleep_ms: Nullable(Type.Integer()),
    message: Nullable(Type.String()),
  },
  { $id: 'Wake' },
);

export const WakeList = Type.Object({ wakes: Type.Array(Wake) });
