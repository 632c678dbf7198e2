/**
 * Version arithmetic for the plugin resolver: plugin versions against semver ranges, and Minecraft
 * versions against the lists plugins declare. Pure functions, no I/O.
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

// A Minecraft release is `major.minor` or `major.minor.patch` ("1.20" is the release 1.20.0).
// Snapshots and pre-releases ("23w31a", "1.20-pre1", "1.20.2-rc1") are not releases and only ever
// match themselves: coercing "1.20-pre1" to 1.20.0 would install a plugin on the wrong game version.
const RELEASE = /^(\d+)\.(\d+)(?:\.(\d+))?$/;
const WILDCARD = /^(\d+)\.(\d+)\.[x*]$/i;
const SPAN = /^(\d+\.\d+(?:\.\d+)?)\s*-\s*(\d+\.\d+(?:\.\d+)?)$/;

function release(version: string): [number, number, number] | null {
  const m = RELEASE.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : null;
}

function compareRelease(a: [number, number, number], b: [number, number, number]): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/**
 * Whether a plugin version that declares `supported` runs on the Minecraft version `server`.
 *
 * An entry is `*` (any version), an exact version (`1.20` equals `1.20.0`, not `1.20.4`), a wildcard
 * (`1.20.x`, Hangar's notation) or an inclusive span (`1.16-1.18.2`, also Hangar's notation).
 */
export function supportsMinecraftVersion(supported: readonly string[], server: string): boolean {
  const serverRelease = release(server);
  return supported.some((raw) => {
    const entry = raw.trim();
    if (entry === '*' || entry === server.trim()) return true;
    if (!serverRelease) return false;
    const wildcard = WILDCARD.exec(entry);
    if (wildcard) return Number(wildcard[1]) === serverRelease[0] && Number(wildcard[2]) === serverRelease[1];
    const span = SPAN.exec(entry);
    if (span) {
      const low = release(span[1]!);
      const high = release(span[2]!);
      return (
        low !== null &&
        high !== null &&
        compareRelease(serverRelease, low) >= 0 &&
        compareRelease(serverRelease, high) <= 0
      );
    }
    const exact = release(entry);
    return exact !== null && compareRelease(exact, serverRelease) === 0;
  });
}
