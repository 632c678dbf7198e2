/**
 * Minecraft versions against the lists plugins declare. No imports, so the dashboard bundles the same
 * rule the API's resolver applies.
 */

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
