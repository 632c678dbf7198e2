/**
 * Version arithmetic for the plugin resolver: plugin versions against semver ranges, and (from
 * minecraft-versions.ts) Minecraft versions against the lists plugins declare. Pure functions, no I/O.
 */
import semver from 'semver';

/**
 * Parses a plugin version into a SemVer, or null when it has no number to compare.
 *
 * Plugin authors do not all follow semver (`1.0`, `v2.3`, `5.4-SNAPSHOT`): a strict parse is tried
 * first, then a loose one, then `coerce` keeping a pre-release tag, so `1.0` and `1.0.0` compare equal.
 * A version without any digit cannot be ordered: it is only ever chosen by an exact request.
 */
export function parsePluginVersion(version: string): semver.SemVer | null {
  return (
    semver.parse(version) ??
    semver.parse(version, { loose: true }) ??
    semver.coerce(version, { includePrerelease: true })
  );
}

/**
 * Whether `version` satisfies `range`. Pre-releases count (approval, not a tag, decides what may be
 * installed). An invalid range or an unparseable version satisfies nothing, so a typo in a catalogue
 * entry shows up as a conflict instead of silently matching everything.
 */
export function satisfiesRange(version: string, range: string): boolean {
  const parsed = parsePluginVersion(version);
  if (!parsed || semver.validRange(range, { includePrerelease: true }) === null) return false;
  return semver.satisfies(parsed, range, { includePrerelease: true });
}

export function isValidRange(range: string): boolean {
  return semver.validRange(range, { includePrerelease: true }) !== null;
}

/** Newest first; versions that do not parse sort last, ties keep a stable order by text. */
export function compareVersionsDescending(a: string, b: string): number {
  const pa = parsePluginVersion(a);
  const pb = parsePluginVersion(b);
  if (pa && pb) {
    const byVersion = semver.rcompare(pa, pb);
    if (byVersion !== 0) return byVersion;
  } else if (pa) return -1;
  else if (pb) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` is older than `b`, 0 when equal or not comparable, positive when newer. */
export function compareVersions(a: string, b: string): number {
  const pa = parsePluginVersion(a);
  const pb = parsePluginVersion(b);
  return pa && pb ? semver.compare(pa, pb) : 0;
}

export { supportsMinecraftVersion } from './minecraft-versions.js';
