import { describe, expect, it } from 'vitest';
import { natsOptionsFromEnv } from './nats-config.js';

describe('natsOptionsFromEnv', () => {
  it('is null without NATS_URL (the in-process bus is the default)', () => {
    expect(natsOptionsFromEnv({})).toBeNull();
    expect(natsOptionsFromEnv({ NATS_URL: '  ' })).toBeNull();
  });

  it('reads the defaults, several servers and every limit', () => {
    expect(natsOptionsFromEnv({ NATS_URL: 'nats://a:4222' })).toEqual({
      servers: ['nats://a:4222'],
      stream: 'MINEFLEET_EVENTS',
      subjectPrefix: 'minefleet',
      limits: { maxAgeMs: 900_000, maxBytes: 268_435_456, replicas: 1, storage: 'file' },
    });
    expect(
      natsOptionsFromEnv({
        NATS_URL: 'nats://a:4222, nats://b:4222',
        NATS_STREAM: 'EVENTS',
        NATS_SUBJECT_PREFIX: 'mf',
        NATS_STREAM_MAX_AGE_SECONDS: '60',
        NATS_STREAM_MAX_BYTES: '1048576',
        NATS_STREAM_REPLICAS: '3',
        NATS_STREAM_STORAGE: 'memory',
      }),
    ).toEqual({
      servers: ['nats://a:4222', 'nats://b:4222'],
      stream: 'EVENTS',
      subjectPrefix: 'mf',
      limits: { maxAgeMs: 60_000, maxBytes: 1_048_576, replicas: 3, storage: 'memory' },
    });
  });

  it('names the variable that is malformed', () => {
    const url = { NATS_URL: 'nats://a:4222' };
    expect(() => natsOptionsFromEnv({ ...url, NATS_STREAM_MAX_BYTES: '1e3x' })).toThrow(
      /NATS_STREAM_MAX_BYTES/,
    );
    expect(() => natsOptionsFromEnv({ ...url, NATS_STREAM_MAX_AGE_SECONDS: '0' })).toThrow(
      /NATS_STREAM_MAX_AGE_SECONDS/,
    );
    expect(() => natsOptionsFromEnv({ ...url, NATS_STREAM_REPLICAS: '1.5' })).toThrow(/NATS_STREAM_REPLICAS/);
    expect(() => natsOptionsFromEnv({ ...url, NATS_STREAM_STORAGE: 'disk' })).toThrow(/NATS_STREAM_STORAGE/);
  });
});
