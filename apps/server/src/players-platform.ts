import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Database } from '@minefleet/db/database';
import type { Clock } from '@minefleet/domain/clock';
import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { ConfigManager } from '@minefleet/services/config-manager';
import type { LifecycleService } from '@minefleet/services/lifecycle/lifecycle-service';
import { PlayerSessions } from '@minefleet/services/metrics/player-sessions';
import { MojangProfiles } from '@minefleet/services/players/player-identity';
import { PlayersService } from '@minefleet/services/players/players-service';
import { playerRoutes } from './http/routes/players.js';

export interface PlayersConfig {
  /** Mojang's account API (names to UUIDs for online-mode servers). */
  mojangApiUrl: string;
  mojangTimeoutMs: number;
  mojangCacheMs: number;
}

export class PlayersConfigError extends Error {}

export function loadPlayersConfig(env: NodeJS.ProcessEnv): PlayersConfig {
  const ms = (name: string, fallback: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new PlayersConfigError(`${name} must be a whole number from 1 to ${max} (got "${raw}").`);
    }
    return value;
  };
  const url = env.MINEFLEET_MOJANG_API_URL || 'https://api.mojang.com';
  if (!/^https?:\/\/[^\s]+$/.test(url)) {
    throw new PlayersConfigError(`MINEFLEET_MOJANG_API_URL must be an http(s) URL (got "${url}").`);
  }
  return {
    mojangApiUrl: url,
    mojangTimeoutMs: ms('MINEFLEET_MOJANG_TIMEOUT_MS', 5_000, 60_000),
    mojangCacheMs: ms('MINEFLEET_MOJANG_CACHE_MS', 3_600_000, 7 * 86_400_000),
  };
}

/** The players service (online list, whitelist, operators, bans) and its routes. */
export function createPlayersPlatform(options: {
  config: PlayersConfig;
  database: Database;
  lifecycle: LifecycleService;
  runtime: RuntimeDriver;
  configManager: ConfigManager;
  clock: Clock;
}): { players: PlayersService; routes: FastifyPluginAsyncTypebox[]; extraSchemas: { $id?: string }[] } {
  const players = new PlayersService({
    lifecycle: options.lifecycle,
    runtime: options.runtime,
    config: options.configManager,
    sessions: new PlayerSessions(options.database),
    profiles: new MojangProfiles({
      baseUrl: options.config.mojangApiUrl,
      timeoutMs: options.config.mojangTimeoutMs,
      ttlMs: options.config.mojangCacheMs,
      now: () => options.clock.now(),
    }),
    clock: options.clock,
  });
  return { players, routes: [playerRoutes({ players, clock: options.clock })], extraSchemas: [] };
}
