// What the Kubernetes driver cannot do yet: what needs more of the agent inside the game's pod than a
// flying-squid server's console, stats, log, files, backups and restores (local paths for plugin
// installs; the Java image, which has no agent; commands before a start). One error code, RUNTIME_UNSUPPORTED, and a message naming the
// missing piece, so callers and the API tell "not possible on this runtime" from "failed".
import { DomainError } from '@minefleet/domain/errors';

export const UNSUPPORTED_FEATURES = {
  console:
    'the console of a Java server (RCON) and commands before a start are not reached yet; a flying-squid server’s console works',
  files:
    'plugin installs need the server’s files as local paths, and a Java server’s files (backups, restores, the files API) need an in-pod agent its image does not have yet; a flying-squid server’s backups, restores and files work',
  stats: 'process statistics of a Java server need an in-pod agent its image does not have yet',
  logs: 'the console log of a Java server needs an in-pod agent its image does not have yet',
} as const;

export type UnsupportedFeature = keyof typeof UNSUPPORTED_FEATURES;

export function unsupported(feature: UnsupportedFeature, serverId?: string): DomainError {
  return new DomainError(
    'RUNTIME_UNSUPPORTED',
    `Not supported by the Kubernetes runtime driver (preview): ${UNSUPPORTED_FEATURES[feature]}.`,
    { runtime: 'kubernetes', feature, ...(serverId ? { serverId } : {}) },
  );
}
