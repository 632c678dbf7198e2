import { DomainError } from '@minefleet/domain/errors';
import type { PluginFolder } from '@minefleet/domain/ports/plugin-folder';
import type { ServerRecord } from '../server-record.js';
import type { InstallationRecord } from './catalogue-records.js';

const CONFIG_MAX_BYTES = 64 * 1024;

/**
 * A plugin's configuration overrides, given at install or changed later: refused where the server's
 * software cannot apply them, or when larger than 64 KiB.
 */
export function assertConfigOverrides(
  folder: PluginFolder,
  server: ServerRecord,
  config: Record<string, unknown> | undefined,
): void {
  if (config === undefined) return;
  if (Object.keys(config).length > 0 && !folder.capabilities(server.distribution).configOverrides) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `Configuration overrides are not supported for ${server.distribution} plugins (yet).`,
      { field: 'config_overrides', distribution: server.distribution },
    );
  }
  if (Buffer.byteLength(JSON.stringify(config)) > CONFIG_MAX_BYTES) {
    throw new DomainError('VALIDATION_FAILED', `config_overrides is larger than ${CONFIG_MAX_BYTES} bytes.`, {
      field: 'config_overrides',
    });
  }
}

/** Writes the overrides into the installed plugin's configuration, where the software supports it. */
export async function writeConfigOverrides(
  folder: PluginFolder,
  pluginsDir: string,
  server: ServerRecord,
  row: InstallationRecord,
  config: Record<string, unknown>,
): Promise<void> {
  if (!row.fileName || !folder.capabilities(server.distribution).configOverrides) return;
  await folder.writeConfig(pluginsDir, server.distribution, row.fileName, config);
}
