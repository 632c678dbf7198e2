// What the Kubernetes driver cannot do yet: what needs more of the agent inside the game's pod than a
// flying-squid server's console, stats, log, files, backups, restores and plugin files (local paths for
// what still reads a server folder directly; the Java image, which has no agent; commands before a start). One error code, RUNTIME_UNSUPPORTED, and a message naming the
// missing piece, so callers and the API tell "not possible on this runtime" from "failed".
import { DomainError } from '@minefleet/domain/errors';

export const UNSUPPORTED_FEATURES = {
  console:
    'the console of a Java server (RCON) and its commands before a start are not reached yet; a flying-squid server’s console and pre-start commands work',
  files:
    'a Java server’s files (backups, restores, plugins, the files API) need an in-pod agent its image does not have yet, and the server’s files are not a local folder (a flying-squid server’s files, backups, restores and plugins work through its agent)',
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
