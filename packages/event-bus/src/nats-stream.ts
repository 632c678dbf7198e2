import {
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';

/** The stream's bounds. Every one is a limit, so a console flood evicts old events instead of filling the disk. */
export interface StreamLimits {
  /** Events older than this are deleted (default 15 minutes: the stream is a live feed, not an archive). */
  maxAgeMs: number;
  /** Total size of the stream; past it the oldest events go (default 256 MiB). */
  maxBytes: number;
  /** Largest single event (default 1 MiB); a bigger publish is refused. */
  maxMsgSize: number;
  /** Events kept per subject, i.e. per server and type (default 10,000): one noisy console cannot evict everyone else's history. */
  maxMsgsPerSubject: number;
  /** `file` survives a NATS restart; `memory` never touches the disk. */
  storage: 'file' | 'memory';
  /** Copies in a NATS cluster (1 for a single server). */
  replicas: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  maxAgeMs: 15 * 60_000,
  maxBytes: 256 * 1024 * 1024,
  maxMsgSize: 1024 * 1024,
  maxMsgsPerSubject: 10_000,
  storage: 'file',
  replicas: 1,
};

const NANOS_PER_MS = 1_000_000;
/** JetStream's "stream name already in use with a different configuration". */
const STREAM_NAME_IN_USE = 10058;

export type EventStreamConfig = Partial<StreamConfig> & { name: string };

export function streamConfig(name: string, subjectPrefix: string, limits: StreamLimits): EventStreamConfig {
  return {
    name,
    subjects: [`${subjectPrefix}.>`],
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    storage: limits.storage === 'memory' ? StorageType.Memory : StorageType.File,
    num_replicas: limits.replicas,
    max_age: limits.maxAgeMs * NANOS_PER_MS,
    max_bytes: limits.maxBytes,
    max_msg_size: limits.maxMsgSize,
    max_msgs_per_subject: limits.maxMsgsPerSubject,
    max_msgs: -1,
    max_consumers: -1,
    // No message ids are used, so deduplication only costs memory; it must not exceed max_age.
    duplicate_window: Math.min(limits.maxAgeMs, 10_000) * NANOS_PER_MS,
  };
}

/**
 * Creates the stream, or brings an existing one to these limits. Every replica calls it at start (and
 * after a reconnect, in case the NATS server lost it), so it must be idempotent and race-safe.
 */
export async function ensureStream(jsm: JetStreamManager, config: EventStreamConfig): Promise<void> {
  const name = config.name;
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== STREAM_NAME_IN_USE) throw error;
    await jsm.streams.update(name, config);
  }
}
