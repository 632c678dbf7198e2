// What the Kubernetes driver cannot do yet: what needs more of the agent inside the game's pod than the
// console of a flying-squid server (files, process stats, log capture, the Java image's console,
// commands before a start). One error code, RUNTIME_UNSUPPORTED, and a message naming the
// missing piece, so callers and the API tell "not possible on this runtime" from "failed".
import { DomainError } from '@minefleet/domain/errors';

export const UNSUPPORTED_FEATURES = {
  console:
    'the console of a Java server (RCON) and commands before a start are not reached yet; a flying-squid server’s console works',
  files: 'server files (workspace, storage use, backups, plugins) need the in-pod agent',
  stats: 'process statistics (CPU, memory, disk, tick rate) need the in-pod agent',
  logs: 'the captured console log needs the in-pod agent',
} as const;

export type UnsupportedFeature = keyof typeof UNSUPPORTED_FEATURES;

export function unsupported(feature: UnsupportedFeature, serverId?: string): DomainError {
  return new DomainError(
    'RUNTIME_UNSUPPORTED',
    `Not supported by the Kubernetes runtime driver (preview): ${UNSUPPORTED_FEATURES[feature]}.`,
    { runtime: 'kubernetes', feature, ...(serverId ? { serverId } : {}) },
  );
}
