/**
 * Which of our distributions can load a plugin built for a source's loader or platform.
 *
 * Paper runs Bukkit, Spigot and Paper plugins; Purpur is a Paper fork and runs those plus Purpur's
 * own. Fabric runs Fabric mods. Vanilla has no plugin loader and flying-squid loads only JavaScript
 * plugins, so nothing from Modrinth or Hangar maps to them (the local catalogue serves flying-squid).
 * Loaders not listed (forge, neoforge, quilt, folia, velocity, bungeecord, sponge, datapack, …) are
 * ignored: a version that only has those is not offered.
 */
import type { Distribution } from '@minefleet/domain/distributions';

const MODRINTH_LOADERS: Readonly<Record<string, readonly Distribution[]>> = {
  bukkit: ['paper', 'purpur'],
  spigot: ['paper', 'purpur'],
  paper: ['paper', 'purpur'],
  purpur: ['purpur'],
  fabric: ['fabric'],
};

/** Hangar platforms: PAPER is the server platform; WATERFALL and VELOCITY are proxies. */
const HANGAR_PLATFORMS: Readonly<Record<string, readonly Distribution[]>> = {
  PAPER: ['paper', 'purpur'],
};

function collect(
  table: Readonly<Record<string, readonly Distribution[]>>,
  keys: readonly string[],
): Distribution[] {
  const out = new Set<Distribution>();
  for (const key of keys) for (const d of table[key] ?? []) out.add(d);
  return [...out].sort();
}

export function distributionsForModrinthLoaders(loaders: readonly string[]): Distribution[] {
  return collect(
    MODRINTH_LOADERS,
    loaders.map((l) => l.toLowerCase()),
  );
}

/** Modrinth loaders whose plugins a distribution can run (for search facets); empty when none. */
export function modrinthLoadersFor(distribution?: Distribution): string[] {
  return Object.keys(MODRINTH_LOADERS).filter(
    (loader) => distribution === undefined || MODRINTH_LOADERS[loader]!.includes(distribution),
  );
}

export function distributionsForHangarPlatforms(platforms: readonly string[]): Distribution[] {
  return collect(HANGAR_PLATFORMS, platforms);
}

/** The Hangar platform a distribution uses, or undefined when Hangar has nothing for it. */
export function hangarPlatformFor(distribution?: Distribution): string | undefined {
  if (distribution === undefined) return 'PAPER';
  return Object.keys(HANGAR_PLATFORMS).find((p) => HANGAR_PLATFORMS[p]!.includes(distribution));
}
