// What the Kubernetes driver cannot do yet: everything that needs an agent inside the game's pod (console,
// files, process stats, log capture). One error code, RUNTIME_UNSUPPORTED, and a message naming the
// missing piece, so callers and the API tell "not possible on this runtime" from "failed".
import { DomainError } from '@minefleet/domain/errors';

export const UNSUPPORTED_FEATURES = {
  console: 'the server console (commands and console output) needs the in-pod agent',
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
