import { createHash } from 'node:crypto';
import { DomainError } from '@minefleet/domain/errors';

export interface PlayerIdentity {
  name: string;
  uuid: string;
}

function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The UUID an offline-mode server gives a name: Java's UUID.nameUUIDFromBytes("OfflinePlayer:" + name),
 * a version-3 (MD5) UUID. Case matters, as on the server.
 */
export function offlineUuid(name: string): string {
  const hash = createHash('md5').update(`OfflinePlayer:${name}`, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x30;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  return dashed(hash.toString('hex'));
}

export interface MojangProfilesOptions {
  /** Base URL of Mojang's account API (tests point it at a local server). */
  baseUrl: string;
  timeoutMs: number;
  /** How long an answer (found or not found) is reused. */
  ttlMs: number;
  /** Most names remembered (oldest dropped first). */
  maxEntries: number;
  now?: () => number;
}

export const DEFAULT_MOJANG_OPTIONS: MojangProfilesOptions = {
  baseUrl: 'https://api.mojang.com',
  timeoutMs: 5_000,
  ttlMs: 3_600_000,
  maxEntries: 10_000,
};

/**
 * Online-mode names to UUIDs through Mojang's profile API, the lookup the server itself makes. Answers
 * (also "no such account") are cached; concurrent lookups of one name share one request; an unreachable
 * or failing API is PLAYER_LOOKUP_UNAVAILABLE, never a guessed UUID.
 */
export class MojangProfiles {
  private readonly cache = new Map<string, { at: number; value: PlayerIdentity | null }>();
  private readonly inflight = new Map<string, Promise<PlayerIdentity | null>>();
  private readonly options: MojangProfilesOptions;

  constructor(options: Partial<MojangProfilesOptions> = {}) {
    this.options = { ...DEFAULT_MOJANG_OPTIONS, ...options };
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }

  /** The account of this name; PLAYER_NOT_FOUND when none has it. */
  async lookup(name: string): Promise<PlayerIdentity> {
    const key = name.toLowerCase();
    const cached = this.cache.get(key);
    let value: PlayerIdentity | null;
    if (cached && this.now() - cached.at < this.options.ttlMs) value = cached.value;
    else {
      let pending = this.inflight.get(key);
      if (!pending) {
        pending = this.fetchProfile(name).finally(() => this.inflight.delete(key));
        this.inflight.set(key, pending);
      }
      value = await pending;
    }
    if (!value) {
      throw new DomainError('PLAYER_NOT_FOUND', `No Minecraft account is named ${name}.`, { name });
    }
    return value;
  }

  private async fetchProfile(name: string): Promise<PlayerIdentity | null> {
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/users/profiles/minecraft/${encodeURIComponent(name)}`;
    let response: Response;
    try {
      response = await fetch(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (error) {
      throw new DomainError(
        'PLAYER_LOOKUP_UNAVAILABLE',
        `Mojang's account API could not be reached to resolve ${name} (${(error as Error).name === 'TimeoutError' ? `no answer in ${this.options.timeoutMs} ms` : (error as Error).message}). Try again, or add the player while the server runs.`,
        { name },
      );
    }
    let value: PlayerIdentity | null;
    if (response.status === 204 || response.status === 404) {
      await response.body?.cancel();
      value = null;
    } else if (response.ok) {
      const body = (await response.json().catch(() => null)) as { id?: unknown; name?: unknown } | null;
      if (!body || typeof body.id !== 'string' || !/^[0-9a-f]{32}$/i.test(body.id.replace(/-/g, ''))) {
        throw new DomainError(
          'PLAYER_LOOKUP_UNAVAILABLE',
          `Mojang's account API answered ${name} with no UUID.`,
          {
            name,
          },
        );
      }
      value = {
        uuid: dashed(body.id.replace(/-/g, '').toLowerCase()),
        name: typeof body.name === 'string' ? body.name : name,
      };
    } else {
      await response.body?.cancel();
      throw new DomainError(
        'PLAYER_LOOKUP_UNAVAILABLE',
        `Mojang's account API answered HTTP ${response.status} for ${name}.`,
        { name, status: response.status },
      );
    }
    this.remember(name.toLowerCase(), value);
    return value;
  }

  private remember(key: string, value: PlayerIdentity | null): void {
    this.cache.delete(key);
    this.cache.set(key, { at: this.now(), value });
    while (this.cache.size > this.options.maxEntries) {
      const oldest = this.cache.keys().next().value as string;
      this.cache.delete(oldest);
    }
  }
}
