import type { RuntimeDriver } from '@minefleet/domain/ports/runtime-driver';
import type { ServerFiles } from '@minefleet/domain/ports/server-files';

/**
 * The server files with every change announced to the runtime driver (`storageChanged`), so its
 * measurement of how much a server's files take is taken again after the platform wrote: an upload, an
 * extraction, a save, a move, a delete or a trash purge counts at once, not when a measurement expires.
 */
export function announcingChanges(
  files: ServerFiles,
  storage: Pick<RuntimeDriver, 'storageChanged'>,
): ServerFiles {
  const after = async <T>(serverId: string, change: Promise<T>): Promise<T> => {
    try {
      return await change;
    } finally {
      storage.storageChanged(serverId);
    }
  };
  return {
    stat: (serverId, rel) => files.stat(serverId, rel),
    list: (serverId, rel) => files.list(serverId, rel),
    listNames: (serverId, rel) => files.listNames(serverId, rel),
    statEntries: (serverId, rel, names) => files.statEntries(serverId, rel, names),
    read: (serverId, rel, maxBytes) => files.read(serverId, rel, maxBytes),
    readStream: (serverId, rel, start, end) => files.readStream(serverId, rel, start, end),
    write: (serverId, rel, data, options) => after(serverId, files.write(serverId, rel, data, options)),
    writeAt: (serverId, rel, offset, data, maxBytes) =>
      after(serverId, files.writeAt(serverId, rel, offset, data, maxBytes)),
    mkdir: (serverId, rel) => after(serverId, files.mkdir(serverId, rel)),
    rename: (serverId, from, to, overwrite) => after(serverId, files.rename(serverId, from, to, overwrite)),
    copy: (serverId, from, to) => after(serverId, files.copy(serverId, from, to)),
    remove: (serverId, rel) => after(serverId, files.remove(serverId, rel)),
    chmod: (serverId, rel, mode) => files.chmod(serverId, rel, mode),
  };
}
