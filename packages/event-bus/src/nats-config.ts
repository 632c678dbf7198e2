import { DEFAULT_STREAM_NAME, type NatsEventBusOptions } from './nats-event-bus.js';
import { DEFAULT_STREAM_LIMITS } from './nats-stream.js';

/**
 * Reads the NATS event bus settings from the environment; null when NATS_URL is unset (the
 * composition root then uses the in-process bus). Malformed values throw, naming the variable.
 *
 * - NATS_URL: comma-separated server URLs (credentials may be in the URL)
 * - NATS_STREAM: stream name (default MINEFLEET_EVENTS)
 * - NATS_SUBJECT_PREFIX: first subject token(s) (default minefleet)
 * - NATS_STREAM_MAX_AGE_SECONDS (default 900), NATS_STREAM_MAX_BYTES (default 268435456),
 *   NATS_STREAM_REPLICAS (default 1), NATS_STREAM_STORAGE = file | memory (default file)
 */
export function natsOptionsFromEnv(
  env: NodeJS.ProcessEnv,
): Omit<NatsEventBusOptions, 'onError' | 'name'> | null {
  const url = env.NATS_URL?.trim();
  if (!url) return null;
  const storage = env.NATS_STREAM_STORAGE ?? DEFAULT_STREAM_LIMITS.storage;
  if (storage !== 'file' && storage !== 'memory') {
    throw new Error(`NATS_STREAM_STORAGE must be "file" or "memory", got "${storage}"`);
  }
  return {
    servers: url
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    stream: env.NATS_STREAM || DEFAULT_STREAM_NAME,
    subjectPrefix: env.NATS_SUBJECT_PREFIX || 'minefleet',
    limits: {
      maxAgeMs: positiveInt(env, 'NATS_STREAM_MAX_AGE_SECONDS', DEFAULT_STREAM_LIMITS.maxAgeMs / 1000) * 1000,
      maxBytes: positiveInt(env, 'NATS_STREAM_MAX_BYTES', DEFAULT_STREAM_LIMITS.maxBytes),
      replicas: positiveInt(env, 'NATS_STREAM_REPLICAS', DEFAULT_STREAM_LIMITS.replicas),
      storage,
    },
  };
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, got "${raw}"`);
  }
  return value;
}
