import type { Distribution } from '../distributions.js';

/** A plugin file to place: where its bytes come from and what they must be. */
export interface PluginFileToPlace {
  /** The name in the plugin folder (one plain segment, e.g. `hello.js`, `LuckPerms-5.4.jar`). */
  fileName: string;
  /** At least one of sha256/sha512: a file without a hash is refused. */
  sha256?: string | undefined;
  sha512?: string | undefined;
  sizeBytes: number;
  /** Opens the download (a source's `download`); called once, while placing. */
  open(): Promise<AsyncIterable<Uint8Array>>;
}

/** What a distribution's plugin loader can do, so the install service can answer `applied` honestly. */
export interface PluginFolderCapabilities {
  /** Whether plugins take effect without a restart (none of ours: flying-squid has no reload). */
  liveReload: boolean;
  /** Whether `writeConfig` can apply configuration overrides for this distribution. */
  configOverrides: boolean;
}

/**
 * The files of plugins in a server's plugin folder (`RuntimeDriver.workspace(id).pluginsDir`), as the
 * distribution's loader reads them. Implemented in @minefleet/plugins; the install service holds the
 * records and decides what changes, this port only touches files.
 *
 * Guarantees every implementation keeps:
 * - `place` verifies every file's size and hash before any becomes visible, and then places all of
 *   them or none: on any failure the folder is exactly as it was (PLUGIN_HASH_MISMATCH for a file
 *   that is not the published one).
 * - Writes are atomic (readers see the old file or the new one); file names are checked to stay inside
 *   the folder (VALIDATION_FAILED otherwise).
 */
export interface PluginFolder {
  capabilities(distribution: Distribution): PluginFolderCapabilities;

  /**
   * Downloads, verifies and places `files`; then removes `replaced` (files of older versions whose
   * name differs from the new one), in their enabled or disabled form.
   */
  place(
    dir: string,
    distribution: Distribution,
    files: readonly PluginFileToPlace[],
    replaced?: readonly string[],
  ): Promise<void>;

  /** Renames `<file>` to `<file>.disabled` or back; a no-op when it already has the wanted form. */
  setEnabled(dir: string, fileName: string, enabled: boolean): Promise<void>;

  /** Removes the plugin's file (enabled or disabled) and the configuration Minefleet wrote for it. */
  remove(dir: string, distribution: Distribution, fileName: string): Promise<void>;

  /** Writes the plugin's configuration overrides (only where `capabilities().configOverrides`). */
  writeConfig(
    dir: string,
    distribution: Distribution,
    fileName: string,
    config: Readonly<Record<string, unknown>>,
  ): Promise<void>;

  /** Records the order plugins load in, dependencies first (where the loader reads one). */
  writeLoadOrder(dir: string, distribution: Distribution, fileNames: readonly string[]): Promise<void>;
}
